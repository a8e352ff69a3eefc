"""Where drawings go wrong, scale by scale: a pipeline draws captions of known scenes with its first k scales replaced
by the tokenizer's own codes of the scene, and the detector judges each drawing.

k = 0 is plain generation and k = all scales is the tokenizer's round trip; the k at which the pass rate jumps names
the scales the decoder has not learnt yet. This separates "the layout is wrong" (coarse scales) from "the shapes are
wrong" (fine scales), which GenEval alone cannot, and needs no training data: the scenes come with the captions.
"""

from collections.abc import Callable, Sequence

import torch

from ..shapesworld import CaptionSample, render
from ..training.images import to_pixel_values
from .geneval import score_drawing


def scene_token_maps(pipe, samples: Sequence[CaptionSample], level: int) -> list[torch.LongTensor]:
    """The tokenizer's per-scale `(batch, h, w)` codes of every sample's scene, rendered square at `level` pixels."""
    schedule = pipe.scale_table.get_schedule(level, 1.0)
    vqmodel = pipe.model.vqmodel
    pixel_values = to_pixel_values(render(sample.scene, level, level) for sample in samples)
    with torch.no_grad():
        encoded = vqmodel.encode(pixel_values.to(vqmodel.device, vqmodel.dtype), schedule=schedule)
    return encoded.image_tokens


def force_first_scales(token_maps: Sequence[torch.LongTensor], forced: int) -> Callable:
    """A `callback_on_step_end` that replaces each of the first `forced` drawn scales by `token_maps`' codes."""

    def replace(pipe, scale: int, grid: tuple[int, int], tensors: dict) -> dict:
        drawn = tensors["token_maps"]
        if scale < forced:
            drawn[-1] = token_maps[scale].to(drawn[-1].device)
        return {"token_maps": drawn}

    return replace


def forced_scale_results(
    pipe,
    samples: Sequence[CaptionSample],
    forced_counts: Sequence[int],
    level: int | None = None,
    seed: int = 0,
    batch_size: int = 8,
    **sampling,
) -> dict[int, list[bool]]:
    """For each k of `forced_counts`, whether each sample's square drawing at `level` (default: the pipeline's) with
    its first k scales forced satisfies its caption. Sample `i` is drawn with seed `seed + i` whatever the batch;
    `sampling` (guidance_scale, top_k, …) goes to the pipeline call."""
    level, _ = pipe.resolve_size(level, 1.0, None, None)
    num_scales = len(pipe.scale_table.get_schedule(level, 1.0))
    bad = [count for count in forced_counts if not 0 <= count <= num_scales]
    if bad:
        raise ValueError(f"Forced scale counts must lie in [0, {num_scales}] at level {level}; got {bad}.")
    results = {forced: [] for forced in forced_counts}
    for start in range(0, len(samples), batch_size):
        batch = samples[start : start + batch_size]
        token_maps = scene_token_maps(pipe, batch, level)
        for forced in forced_counts:
            generators = [torch.Generator().manual_seed(seed + start + index) for index in range(len(batch))]
            images = pipe(
                [sample.prompt.text for sample in batch],
                level=level,
                generator=generators,
                callback_on_step_end=force_first_scales(token_maps, forced),
                **sampling,
            ).images
            results[forced] += [score_drawing(sample.prompt, image) for sample, image in zip(batch, images)]
    return results
