"""Teacher-forced cross-entropy and accuracy of a decoder's image tokens, scale by scale: where a drawing model
stands long before its samples pass a detector, and which scales a change of recipe helps."""

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..modeling import NextFlowForConditionalGeneration


@dataclass
class ScaleLosses:
    """Running sums per scale (0 = the 1×1 scale): image tokens seen, top-1 hits and summed cross-entropy (nats,
    over the K codes, unweighted: `scale_loss_alpha` plays no part)."""

    tokens: list[int] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)
    nll_sum: list[float] = field(default_factory=list)

    def add(self, scale: int, tokens: int, correct: int, nll_sum: float) -> None:
        missing = scale + 1 - len(self.tokens)
        if missing > 0:
            self.tokens += [0] * missing
            self.correct += [0] * missing
            self.nll_sum += [0.0] * missing
        self.tokens[scale] += tokens
        self.correct[scale] += correct
        self.nll_sum[scale] += nll_sum

    @property
    def nll(self) -> list[float]:
        return [total / count if count else float("nan") for total, count in zip(self.nll_sum, self.tokens)]

    @property
    def accuracy(self) -> list[float]:
        return [hits / count if count else float("nan") for hits, count in zip(self.correct, self.tokens)]

    @property
    def mean_nll(self) -> float:
        """Cross-entropy per image token over all scales (the plain-CE vision loss)."""
        return sum(self.nll_sum) / sum(self.tokens)


@torch.no_grad()
def accumulate_scale_losses(
    model: NextFlowForConditionalGeneration, batch: dict[str, torch.Tensor], losses: ScaleLosses
) -> ScaleLosses:
    """Adds one batch (as `PackedCollator` makes it: `input_ids`, `attention_mask`, `position_ids`, `labels`,
    `image_grids`) to `losses`. Only the positions that predict an image token go through the head."""
    device = model.device
    inputs = {key: value.to(device) for key, value in batch.items() if key != "labels"}
    outputs = model.model(**inputs)
    labels = batch["labels"][:, 1:].to(device)
    scales = outputs.vision_scales[:, :-1]
    offset = model.config.vision_token_offset
    predicts_image = (scales >= 0) & (labels >= offset)
    hidden = outputs.last_hidden_state[:, :-1][predicts_image]
    logits = model.lm_head(hidden)[:, offset : offset + model.config.vq_config.codebook_size].float()
    targets = labels[predicts_image] - offset
    nll = F.cross_entropy(logits, targets, reduction="none")
    hits = logits.argmax(-1) == targets
    token_scales = scales[predicts_image]
    for scale in token_scales.unique().tolist():
        at_scale = token_scales == scale
        losses.add(scale, int(at_scale.sum()), int(hits[at_scale].sum()), float(nll[at_scale].sum()))
    return losses
