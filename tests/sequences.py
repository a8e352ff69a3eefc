"""Builders of tiny NextFlow models and training sequences with pre-extracted image codes, for tests."""

import torch

from nextflow_hf.modeling import NextFlowConfig, NextFlowForConditionalGeneration
from nextflow_hf.modeling.sequence_layout import IGNORE_INDEX, ImageLayout


def tiny_nextflow(seed: int = 0, **config_kwargs) -> NextFlowForConditionalGeneration:
    """A seeded, untrained `NextFlowConfig.tiny()` model in eval mode."""
    torch.manual_seed(seed)
    return NextFlowForConditionalGeneration(NextFlowConfig.tiny(**config_kwargs)).eval()


def random_codes(layout: ImageLayout, seed: int) -> list[torch.LongTensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 64, grid, generator=generator) for grid in layout.schedule]


def caption_then_image(
    config: NextFlowConfig, prompt: list[int], layout: ImageLayout, targets: list[torch.LongTensor]
) -> tuple[torch.LongTensor, torch.LongTensor]:
    """`prompt <boi> blocks <eoi>` with labels that train the image (and `<boi>`) but not the prompt."""
    span = layout.token_ids(targets, config.vision_token_offset, config.boi_token_id, config.eoi_token_id)
    labels = layout.labels(targets, config.vision_token_offset, config.boi_token_id)
    ids = torch.cat([torch.tensor(prompt), span])
    return ids, torch.cat([torch.full((len(prompt),), IGNORE_INDEX), labels])


def placeholder_sequence(
    config: NextFlowConfig, prompt: list[int], layout: ImageLayout, suffix: list[int]
) -> torch.LongTensor:
    """`(1, length)`: `prompt <boi> placeholders <eoi> suffix`, as a processor writes a context image."""
    return torch.cat(
        [
            torch.tensor(prompt + [config.boi_token_id]),
            torch.full((layout.num_block_tokens,), config.image_token_id),
            torch.tensor([config.eoi_token_id, *suffix]),
        ]
    )[None]
