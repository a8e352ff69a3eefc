"""Sequence layout: how an image's blocks, labels, RoPE positions and mask ids sit in the token sequence."""

import pytest
import torch

from nextflow_hf.modeling import NextFlowConfig
from nextflow_hf.modeling.scales import PAPER_SCALE_TABLE
from nextflow_hf.modeling.sequence_layout import (
    IGNORE_INDEX,
    block_sequence_ids,
    find_image_spans,
    image_layout,
    layout_for_grid,
    position_range,
    rope_positions,
)

CONFIG = NextFlowConfig.tiny()
TABLE = CONFIG.vq_config.scale_table
BOI, EOI, OFFSET = CONFIG.boi_token_id, CONFIG.eoi_token_id, CONFIG.vision_token_offset


def test_generated_and_context_spans_have_the_designed_lengths():
    generated = layout_for_grid(TABLE, (4, 4), context=False)
    context = layout_for_grid(TABLE, (4, 4), context=True)
    assert generated.schedule == ((1, 1), (2, 2), (3, 3), (4, 4))
    assert generated.num_block_tokens == 4 + 9 + 16
    assert generated.span_length == 1 + 29 + 1
    assert generated.num_targets == 1 + 4 + 9 + 16
    assert context.num_block_tokens == 29 + 16
    assert context.block_grids[-1] == (4, 4)


def test_block_tokens_give_back_every_scale_exactly_on_all_paper_schedules():
    for ratio in PAPER_SCALE_TABLE.aspect_ratios:
        layout = image_layout(PAPER_SCALE_TABLE.schedules[ratio], True, 64.0)
        for block, source_grid in enumerate(layout.schedule, start=1):
            codes = torch.randperm(source_grid[0] * source_grid[1])
            shown = codes[layout.upsample_index(block)]
            assert torch.equal(shown[layout.source_index(block)], codes), (ratio, block)


def test_token_ids_and_labels_of_a_generated_image():
    layout = layout_for_grid(TABLE, (4, 4), context=False)
    inputs = [torch.full(grid, 5) for grid in layout.schedule]
    targets = [torch.arange(h * w).view(h, w) % 64 for h, w in layout.schedule]
    ids = layout.token_ids(inputs, OFFSET, BOI, EOI)
    labels = layout.labels(targets, OFFSET, BOI)
    assert ids[0] == BOI and ids[-1] == EOI
    assert torch.equal(ids[1:-1], torch.full((29,), OFFSET + 5))
    assert labels[0] == BOI
    assert torch.equal(labels[1:], torch.cat([t.flatten() for t in targets]) + OFFSET)


def test_context_image_labels_ignore_the_finest_block():
    layout = layout_for_grid(TABLE, (4, 4), context=True)
    targets = [torch.zeros(grid, dtype=torch.long) for grid in layout.schedule]
    labels = layout.labels(targets, OFFSET, BOI)
    assert (labels[1 : 1 + 30] == OFFSET).all()
    assert (labels[31:] == IGNORE_INDEX).all() and len(labels[31:]) == 16


def test_tokens_on_the_wrong_grids_are_refused():
    layout = layout_for_grid(TABLE, (4, 4), context=False)
    with pytest.raises(ValueError, match="schedule"):
        layout.token_ids([torch.zeros(2, 2, dtype=torch.long)] * 4, OFFSET, BOI, EOI)


def sequence_with_image(prefix: int, suffix: int, context: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    layout = layout_for_grid(TABLE, (4, 4), context=context)
    span = layout.token_ids([torch.zeros(grid, dtype=torch.long) for grid in layout.schedule], OFFSET, BOI, EOI)
    ids = torch.cat([torch.arange(4, 4 + prefix), span, torch.arange(4, 4 + suffix)])
    return ids, torch.tensor([[4, 4]])


def test_rope_positions_follow_the_multiscale_3d_design():
    ids, grids = sequence_with_image(prefix=3, suffix=2)
    spans = find_image_spans(ids[None], grids, TABLE, BOI, EOI)
    positions = rope_positions(torch.ones(1, len(ids)), spans)[:, 0]
    t, row, col = positions
    assert torch.equal(t[:4], torch.arange(4.0))  # three text tokens, then <boi> at t0 = 3
    assert torch.equal(positions[:, :4], positions[0, :4].expand(3, -1))
    block_t = t[4:33]
    assert torch.equal(block_t, torch.tensor([4.0] * 4 + [5.0] * 9 + [6.0] * 16))
    c = position_range(TABLE, 4)
    assert c == 4.0
    finest_rows = row[4 + 4 + 9 : 33].view(4, 4)
    assert torch.allclose(finest_rows, (torch.arange(4.0) + 0.5)[:, None].expand(4, 4))
    assert torch.allclose(col[4:8], torch.tensor([1.0, 3.0, 1.0, 3.0]))  # 2×2 block: C·(j + 0.5)/2
    assert t[33] == 3 + 4  # <eoi> at t0 + K
    assert torch.equal(positions[:, 34:], torch.tensor([[8.0, 9.0]]).expand(3, -1))


def test_left_padding_does_not_move_positions():
    ids, grids = sequence_with_image(prefix=2, suffix=1)
    padded = torch.cat([torch.full((3,), 2), ids])[None]
    mask = torch.cat([torch.zeros(3), torch.ones(len(ids))])[None]
    alone = rope_positions(torch.ones(1, len(ids)), find_image_spans(ids[None], grids, TABLE, BOI, EOI))
    shifted = rope_positions(mask, find_image_spans(padded, grids, TABLE, BOI, EOI))
    assert torch.equal(shifted[:, :, 3:], alone)


def test_block_ids_give_each_block_its_own_group_and_text_none():
    ids, grids = sequence_with_image(prefix=2, suffix=2, context=True)
    spans = find_image_spans(ids[None], grids, TABLE, BOI, EOI)
    blocks = block_sequence_ids(ids[None].shape, spans, ids.device)[0]
    assert (blocks[:3] == -1).all() and (blocks[-3:] == -1).all()  # text, <boi>; <eoi>, text
    sizes = torch.unique_consecutive(blocks[3:-3], return_counts=True)[1].tolist()
    assert sizes == [4, 9, 16, 16]


def test_a_trailing_boi_opens_an_image_to_generate_and_is_no_span():
    ids = torch.tensor([[4, 5, BOI]])
    assert find_image_spans(ids, None, TABLE, BOI, EOI) == []


def test_spans_and_grids_must_agree():
    ids, grids = sequence_with_image(prefix=2, suffix=0)
    with pytest.raises(ValueError, match="image_grids describes 0"):
        find_image_spans(ids[None], None, TABLE, BOI, EOI)
    with pytest.raises(ValueError, match="must be followed by"):
        find_image_spans(ids[None], torch.tensor([[8, 8]]), TABLE, BOI, EOI)
    with pytest.raises(ValueError, match="No level"):
        find_image_spans(ids[None], torch.tensor([[5, 5]]), TABLE, BOI, EOI)
