"""The semantic teacher of the tokenizer's distillation: a small SigLIP trained from scratch with the sigmoid loss on
ShapesWorld image-caption pairs, its presets, the collator that batches the pairs, and a retrieval check.

The 7B recipe distils from a pretrained SigLIP 2 instead; `examples/training/train_teacher.py` loads one by name.
"""

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from transformers import PreTrainedTokenizerFast, SiglipConfig, SiglipModel, SiglipTextConfig, SiglipVisionConfig

from ..shapesworld.vocabulary import shapesworld_tokenizer
from .images import to_pixel_values

# SigLIP's initial temperature and bias (Zhai et al., 2023): logits start as 10·cos − 10, so the many negatives of a
# batch begin with a small loss instead of swamping the one positive per row.
LOGIT_SCALE_INIT = math.log(10.0)
LOGIT_BIAS_INIT = -10.0


def shapesworld_text_config(hidden_size: int, num_hidden_layers: int, num_attention_heads: int) -> SiglipTextConfig:
    """A SigLIP text tower over the ShapesWorld vocabulary (ids as in `shapesworld_tokenizer`), 24 positions long."""
    tokenizer = shapesworld_tokenizer()
    return SiglipTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        max_position_embeddings=24,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )


def shapesworld_teacher_config() -> SiglipConfig:
    """The teacher of `shapesworld_vq_config`: 128 wide (its `semantic_teacher_dim`), a 4-layer ViT with 16-pixel
    patches on 128×128 images (the tokenizer's 8×8 grid at the 128 level) and a 2-layer text tower."""
    vision = SiglipVisionConfig(
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        patch_size=16,
        image_size=128,
    )
    text = shapesworld_text_config(hidden_size=128, num_hidden_layers=2, num_attention_heads=4)
    return SiglipConfig(text_config=text, vision_config=vision)


def tiny_teacher_config() -> SiglipConfig:
    """A teacher for tests: 32 wide (the `semantic_teacher_dim` of `tiny_vq_config`), one layer per tower, 4-pixel
    patches on 16×16 images."""
    vision = SiglipVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, patch_size=4, image_size=16
    )
    text = shapesworld_text_config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2)
    return SiglipConfig(text_config=text, vision_config=vision)


TEACHER_PRESETS: dict[str, Callable[[], SiglipConfig]] = {
    "shapesworld": shapesworld_teacher_config,
    "tiny": tiny_teacher_config,
}


def teacher_config(preset: str, image_size: int | None = None, caption_max_length: int | None = None) -> SiglipConfig:
    """The config of `preset` (a key of `TEACHER_PRESETS`), optionally for another image size (a multiple of the
    patch size) and caption length (the text tower's number of positions)."""
    if preset not in TEACHER_PRESETS:
        raise ValueError(f"Unknown teacher preset {preset!r}; choose one of {sorted(TEACHER_PRESETS)}.")
    config = TEACHER_PRESETS[preset]()
    if image_size is not None:
        patch_size = config.vision_config.patch_size
        if image_size < 1 or image_size % patch_size:
            raise ValueError(
                f"Teacher image size {image_size} must be a positive multiple of the patch size {patch_size}."
            )
        config.vision_config.image_size = image_size
    if caption_max_length is not None:
        if caption_max_length < 2:
            raise ValueError(f"caption_max_length must be at least 2 (a word and the eos); got {caption_max_length}.")
        config.text_config.max_position_embeddings = caption_max_length
    return config


def build_teacher(config: SiglipConfig) -> SiglipModel:
    """A freshly initialised SiglipModel with SigLIP's initial logit scale and bias."""
    model = SiglipModel(config)
    with torch.no_grad():
        model.logit_scale.fill_(LOGIT_SCALE_INIT)
        model.logit_bias.fill_(LOGIT_BIAS_INIT)
    return model


class TeacherCollator:
    """Image-caption rows (`image` a PIL image, `prompt` a caption) to SiglipModel inputs with `return_loss=True`.

    SigLIP's text tower pools the *last* position, so each caption ends in the eos token and is padded on the left to
    `max_length`: the pooled position is always the eos, at the same place. Other row columns are dropped; a caption
    longer than `max_length` tokens raises rather than losing its end.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerFast, max_length: int):
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        texts = [row["prompt"] + self.tokenizer.eos_token for row in rows]
        text = self.tokenizer(texts, padding="max_length", max_length=self.max_length, padding_side="left")
        for caption, ids in zip(texts, text["input_ids"]):
            if len(ids) > self.max_length:
                raise ValueError(
                    f"Caption {caption!r} has {len(ids)} tokens with its eos; raise caption_max_length "
                    f"(now {self.max_length}) to at least that."
                )
        return {
            "pixel_values": to_pixel_values([row["image"] for row in rows]),
            "input_ids": torch.tensor(text["input_ids"]),
            "attention_mask": torch.tensor(text["attention_mask"]),
            "return_loss": True,
        }


@torch.no_grad()
def caption_retrieval_accuracy(model: SiglipModel, batch: dict[str, Any], captions: Sequence[str]) -> float:
    """Share of images whose best-scoring caption among the batch's captions is their own caption (a caption that
    occurs more than once counts as correct for every image it describes)."""
    model.eval()
    inputs = {name: value.to(model.device) for name, value in batch.items() if isinstance(value, torch.Tensor)}
    best = model(**inputs).logits_per_image.argmax(dim=1).tolist()
    return sum(captions[index] == caption for index, caption in zip(best, captions)) / len(captions)
