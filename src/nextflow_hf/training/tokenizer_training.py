"""Training the NextFlow VQ tokenizer with `transformers.Trainer`: the image collator, the pixel stage's freezing of
the semantic branch, the trainer that adds the frozen teacher's distillation targets and logs the loss components,
and the held-out measures of the round trip: PSNR, and the GenEval score of reconstructed ground-truth scenes.

The recipe has two stages. "pixel": no teacher; the semantic encoder and decoder stay frozen at their initialisation,
so only the CNN pixel branch and the two codebooks learn (the semantic codebook still follows the frozen semantic
features, since every index is chosen on both parts). "joint": everything trains, and the semantic decoder learns to
reconstruct the teacher's patch features from the quantised semantic codes.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import PIL.Image
import torch
from torch import nn
from transformers import PreTrainedModel, Trainer

from ..evaluation import GenEvalMetric, psnr
from ..modeling import NextFlowVQModel, NextFlowVQModelOutput, shapesworld_vq_config, tiny_vq_config
from ..modeling.modeling_nextflow_vq import vision_patch_features
from ..shapesworld import CaptionSample, render, sample_captions
from ..shapesworld.data import build_dataset
from .images import from_pixel_values, to_pixel_values

# Shapes of a fresh tokenizer, by name.
VQ_PRESETS = {"shapesworld": shapesworld_vq_config, "tiny": tiny_vq_config}
# Output fields averaged over each logging window and logged next to the total loss.
LOGGED_COMPONENTS = ("reconstruction_loss", "semantic_loss", "codebook_loss", "commitment_loss", "codebook_usage")


class ImageCollator:
    """Rows with a PIL image in `image_column` to `{"pixel_values": (batch, 3, H, W) on [-1, 1]}`."""

    def __init__(self, image_column: str = "image"):
        self.image_column = image_column

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        return {"pixel_values": to_pixel_values([row[self.image_column] for row in rows])}


def freeze_semantic_branch(model: NextFlowVQModel) -> None:
    """Stops the gradient of the semantic encoder and decoder (the pixel stage learns without a teacher)."""
    model.semantic_encoder.requires_grad_(False)
    model.semantic_decoder.requires_grad_(False)


class TokenizerTrainer(Trainer):
    """A `Trainer` for [`NextFlowVQModel`].

    With a `teacher` (a transformers vision encoder whose width is the tokenizer's `semantic_teacher_dim`), its patch
    features at `teacher_feature_layer` on the image's token grid are the distillation targets; the teacher stays
    frozen and in eval mode. The loss components of `LOGGED_COMPONENTS` are averaged over the batches of each logging
    window and logged with the loss.
    """

    # `compute_loss` returns the batch mean, which the Trainer still has to divide for gradient accumulation.
    loss_is_scaled_for_ga = False

    def __init__(self, *args: Any, teacher: PreTrainedModel | None = None, teacher_feature_layer: int = -1, **kwargs):
        super().__init__(*args, **kwargs)
        if teacher is not None:
            teacher = teacher.to(self.args.device).eval().requires_grad_(False)
        self.teacher = teacher
        self.teacher_feature_layer = teacher_feature_layer
        self.component_sums: dict[str, torch.Tensor] = {}
        self.component_batches = 0

    def teacher_features(self, pixel_values: torch.Tensor, downsample_factor: int) -> torch.Tensor | None:
        """The teacher's `(batch, teacher_dim, h, w)` patch features on the token grid, or `None` without a teacher."""
        if self.teacher is None:
            return None
        grid = (pixel_values.shape[-2] // downsample_factor, pixel_values.shape[-1] // downsample_factor)
        with torch.no_grad():
            return vision_patch_features(self.teacher, pixel_values, grid, self.teacher_feature_layer)

    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """The tokenizer's loss on a batch, with the distillation term when there is a teacher."""
        pixel_values = inputs["pixel_values"]
        downsample_factor = self.accelerator.unwrap_model(model).config.downsample_factor
        teacher_features = self.teacher_features(pixel_values, downsample_factor)
        outputs = model(pixel_values=pixel_values, teacher_features=teacher_features)
        if model.training:
            self.accumulate_components(outputs)
        return (outputs.loss, outputs) if return_outputs else outputs.loss

    def accumulate_components(self, outputs: NextFlowVQModelOutput) -> None:
        """Adds a training batch's loss components to the sums of the current logging window."""
        for name in LOGGED_COMPONENTS:
            value = getattr(outputs, name)
            if value is not None:
                self.component_sums[name] = self.component_sums.get(name, 0.0) + value.detach().float()
        self.component_batches += 1

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Adds the window's mean loss components to a training log (one that carries `loss`)."""
        if "loss" in logs and self.component_batches:
            for name, total in self.component_sums.items():
                logs[name] = float(total) / self.component_batches
            self.component_sums, self.component_batches = {}, 0
        super().log(logs, start_time)


@torch.no_grad()
def reconstruction_metrics(
    model: NextFlowVQModel, images: Sequence[PIL.Image.Image], batch_size: int = 16
) -> dict[str, float]:
    """Mean PSNR (dB) of the encode-decode round trip of `images`, and the share of the codebook their tokens use."""
    model.eval()
    scores, used_codes = [], set()
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        outputs = model(to_pixel_values(batch).to(model.device))
        reconstructions = from_pixel_values(outputs.reconstruction)
        scores += [psnr(image, reconstruction) for image, reconstruction in zip(batch, reconstructions)]
        used_codes.update(torch.cat([tokens.flatten() for tokens in outputs.image_tokens]).tolist())
    return {
        "psnr": float(np.mean(scores)),
        "codebook_usage": len(used_codes) / model.config.codebook_size,
        "num_images": len(images),
    }


@torch.no_grad()
def round_trip_geneval(
    model: NextFlowVQModel, samples: Sequence[CaptionSample], size: int, batch_size: int = 16
) -> dict[str, float]:
    """GenEval scores (per category and overall) of the round trip of each caption's ground-truth scene rendered at
    `size`: the detector judges the reconstruction against the caption. A decoder drawing with this tokenizer's codes
    cannot score above this, so it is the tokenizer's ceiling; PSNR alone misses the details the judge needs (the
    points of a small star, the corners of a square)."""
    model.eval()
    reconstructions = []
    for start in range(0, len(samples), batch_size):
        images = [render(sample.scene, size, size) for sample in samples[start : start + batch_size]]
        reconstructions += from_pixel_values(model(to_pixel_values(images).to(model.device)).reconstruction)
    references = [sample.prompt for sample in samples]
    return GenEvalMetric(keep_in_memory=True).compute(predictions=reconstructions, references=references)


def round_trip_report(
    model: NextFlowVQModel, size: int, num_images: int, prompts_per_category: int, seed: int
) -> dict[str, dict[str, float]]:
    """The held-out measures of the round trip at `size`×`size`: `"reconstruction"`, the PSNR and codebook usage of
    `num_images` test-split caption scenes, and `"geneval"`, the GenEval of `prompts_per_category` test captions per
    category (left out when 0); both drawn with `seed`, so the training script and `evaluate_tokenizer.py` agree."""
    scenes = build_dataset("captions", num_images, split="test", seed=seed, height=size, width=size, streaming=True)
    report = {"reconstruction": reconstruction_metrics(model, [row["image"] for row in scenes])}
    if prompts_per_category:
        report["geneval"] = round_trip_geneval(model, sample_captions(prompts_per_category, "test", seed), size)
    return report
