"""How images sit in NextFlow's token sequence: block layout, 3-D RoPE positions and block-causal mask ids.

An image occupies a *span*: `<boi> B_1 … B_{K-1} <eoi>` while it is being generated, `<boi> B_1 … B_K <eoi>` when
it is a complete image in context (understanding input, edit source, an earlier image of an interleaved story).
Block B_k has the grid of scale k+1 (B_K: the grid of scale K) and is fed the codes of scale k. In `input_ids`,
the block holds those codes as vision ids, nearest-upsampled to the block's grid, so a sequence is plain ids;
the model reads scale k back exactly (`ImageLayout.source_index`), embeds it and upsamples it bicubically.

Labels follow the causal-LM convention (the token at p is trained to predict label p + 1). The label of the
`<boi>` position is `<boi>` itself (the text decides to draw), and the N = Σ h·w label positions after it hold
the targets r_1 … r_K in raster order: `<boi>` predicts scale 1 and block B_k predicts scale k + 1.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import torch

from .scales import Grid, ScaleScheduleTable, num_image_tokens

IGNORE_INDEX = -100


def position_range(table: ScaleScheduleTable, num_steps: int) -> float:
    """C of the multiscale RoPE: side of the finest 1:1 grid of the level with `num_steps` scales (√(h·w) of the
    finest grid when the table has no 1:1 bucket), so the finest tokens sit near integer coordinates."""
    if 1.0 in table.schedules:
        return float(table.schedules[1.0][num_steps - 1][0])
    h, w = table.schedules[table.aspect_ratios[0]][num_steps - 1]
    return math.sqrt(h * w)


@dataclass(frozen=True)
class ImageLayout:
    """The span of one image with a given schedule, as generated (`context=False`) or in context (`context=True`)."""

    schedule: tuple[Grid, ...]
    context: bool
    position_range: float

    @property
    def num_scales(self) -> int:
        return len(self.schedule)

    @property
    def block_grids(self) -> tuple[Grid, ...]:
        """Grids of B_1, B_2, …: scales 2..K, plus scale K again for the context block B_K."""
        return self.schedule[1:] + ((self.schedule[-1],) if self.context else ())

    @property
    def num_block_tokens(self) -> int:
        return sum(h * w for h, w in self.block_grids)

    @property
    def span_length(self) -> int:
        """`<boi>`, the blocks and `<eoi>`."""
        return self.num_block_tokens + 2

    @property
    def num_targets(self) -> int:
        return num_image_tokens(self.schedule)

    @cached_property
    def block_index(self) -> torch.LongTensor:
        """Block number k (1-based) of every block token, in sequence order."""
        sizes = torch.tensor([h * w for h, w in self.block_grids])
        return torch.repeat_interleave(torch.arange(1, len(sizes) + 1), sizes)

    @cached_property
    def block_coordinates(self) -> torch.Tensor:
        """`(2, num_block_tokens)` RoPE (row, column) of every block token: C·(i + 0.5)/√(h·w), likewise for j."""
        coordinates = []
        for h, w in self.block_grids:
            step = self.position_range / math.sqrt(h * w)
            rows = (torch.arange(h, dtype=torch.float64) + 0.5) * step
            cols = (torch.arange(w, dtype=torch.float64) + 0.5) * step
            coordinates.append(torch.stack(torch.meshgrid(rows, cols, indexing="ij")).reshape(2, -1))
        return torch.cat(coordinates, dim=1).float()

    @cached_property
    def target_scale(self) -> torch.LongTensor:
        """For every span position, the 0-based scale it predicts (`<boi>` → 0, B_k → k); -1 for B_K and `<eoi>`."""
        predicted = [0] + [k if k < self.num_scales else -1 for k in self.block_index.tolist()] + [-1]
        return torch.tensor(predicted)

    def upsample_index(self, block: int) -> torch.LongTensor:
        """Nearest-neighbour map from block `block`'s tokens to the raster cells of scale `block` it shows."""
        (src_h, src_w), (dst_h, dst_w) = self.schedule[block - 1], self.block_grids[block - 1]
        rows = torch.arange(dst_h) * src_h // dst_h
        cols = torch.arange(dst_w) * src_w // dst_w
        return (rows[:, None] * src_w + cols[None, :]).reshape(-1)

    def source_index(self, block: int) -> torch.LongTensor:
        """Inverse of `upsample_index`: for each cell of scale `block`, one block token that shows it exactly."""
        (src_h, src_w), (dst_h, dst_w) = self.schedule[block - 1], self.block_grids[block - 1]
        rows = -(-torch.arange(src_h) * dst_h // src_h)
        cols = -(-torch.arange(src_w) * dst_w // src_w)
        return (rows[:, None] * dst_w + cols[None, :]).reshape(-1)

    def token_ids(
        self, input_tokens: Sequence[torch.LongTensor], vision_token_offset: int, boi_token_id: int, eoi_token_id: int
    ) -> torch.LongTensor:
        """The span's `input_ids` from the per-scale `(h, w)` input code grids of one image (all K scales)."""
        self.check_tokens(input_tokens)
        blocks = [
            input_tokens[block - 1].reshape(-1)[self.upsample_index(block)]
            for block in range(1, len(self.block_grids) + 1)
        ]
        body = torch.cat(blocks) + vision_token_offset if blocks else torch.zeros(0, dtype=torch.long)
        return torch.cat([torch.tensor([boi_token_id]), body.cpu(), torch.tensor([eoi_token_id])])

    def labels(
        self, target_tokens: Sequence[torch.LongTensor], vision_token_offset: int, boi_token_id: int
    ) -> torch.LongTensor:
        """The span's labels: `<boi>`, then the targets r_1 … r_K, then `IGNORE_INDEX` for the rest."""
        self.check_tokens(target_tokens)
        labels = torch.full((self.span_length,), IGNORE_INDEX)
        labels[0] = boi_token_id
        targets = torch.cat([tokens.reshape(-1).cpu() for tokens in target_tokens]) + vision_token_offset
        labels[1 : 1 + self.num_targets] = targets
        return labels

    def check_tokens(self, tokens: Sequence[torch.LongTensor]) -> None:
        grids = [tuple(scale.shape[-2:]) for scale in tokens]
        if grids != list(self.schedule):
            raise ValueError(f"Image tokens have grids {grids}; this image's schedule is {list(self.schedule)}.")


@lru_cache(maxsize=256)
def image_layout(schedule: tuple[Grid, ...], context: bool, position_range: float) -> ImageLayout:
    """Cached `ImageLayout` (its index tensors are built once per schedule)."""
    return ImageLayout(tuple(tuple(grid) for grid in schedule), context, position_range)


def layout_for_schedule(table: ScaleScheduleTable, schedule: Sequence[Grid], context: bool) -> ImageLayout:
    """The layout of an image drawn with `schedule`, its RoPE range C taken from `table`."""
    return image_layout(tuple(map(tuple, schedule)), context, position_range(table, len(schedule)))


def layout_for_grid(table: ScaleScheduleTable, grid: Grid, context: bool) -> ImageLayout:
    """The layout of an image whose final token grid is `grid`, with the table's schedule for it."""
    return layout_for_schedule(table, table.schedule_for_grid(tuple(grid)), context)


@dataclass(frozen=True)
class ImageSpan:
    """One image found in a batch of sequences: row, index of its `<boi>`, and its layout."""

    row: int
    start: int
    layout: ImageLayout

    @property
    def block_slice(self) -> slice:
        return slice(self.start + 1, self.start + 1 + self.layout.num_block_tokens)


def find_image_spans(
    input_ids: torch.LongTensor,
    image_grids: torch.LongTensor | None,
    table: ScaleScheduleTable,
    boi_token_id: int,
    eoi_token_id: int,
) -> list[ImageSpan]:
    """Every image span of a `(batch, length)` batch, row by row, left to right.

    A `<boi>` that ends a sequence opens an image still to be generated and is no span. `image_grids`
    `(num_images, 2)` gives each span's final token grid, in the same order; the span's length then tells whether
    it is a generated or a context image. Raises `ValueError` when grids and spans disagree.
    """
    rows, starts = (input_ids[:, :-1] == boi_token_id).nonzero(as_tuple=True)
    num_grids = 0 if image_grids is None else len(image_grids)
    if len(rows) != num_grids:
        raise ValueError(
            f"The batch holds {len(rows)} image span(s) (a <boi> followed by an image), but image_grids describes "
            f"{num_grids}; pass one (h, w) final token grid per image, in order."
        )
    spans = []
    length = input_ids.shape[1]
    for row, start, grid in zip(rows.tolist(), starts.tolist(), [] if image_grids is None else image_grids.tolist()):
        candidates = [layout_for_grid(table, tuple(grid), context) for context in (False, True)]
        for layout in candidates:
            end = start + layout.span_length - 1
            if end < length and int(input_ids[row, end]) == eoi_token_id:
                spans.append(ImageSpan(row, start, layout))
                break
        else:
            expected = " or ".join(str(layout.num_block_tokens) for layout in candidates)
            raise ValueError(
                f"The image at row {row}, position {start} has final grid {tuple(grid)}, so <boi> must be followed by "
                f"{expected} block tokens and then <eoi>; the sequence does not match."
            )
    return spans


def rope_positions(
    attention_mask: torch.Tensor, spans: Sequence[ImageSpan], documents: torch.Tensor | None = None
) -> torch.Tensor:
    """`(3, batch, length)` float positions (temporal, row, column) of the multiscale 3D RoPE.

    Text, `<boi>` and `<eoi>` at running position t get (t, t, t); block B_k of an image whose `<boi>` sits at t0
    gets temporal t0 + k and spatial C·(i + 0.5)/√(h·w), C·(j + 0.5)/√(h·w). Padding does not advance t, so a
    left-padded row gets the positions it would get alone. `documents` `(batch, length)` (packed sequences: the
    index of the sample each token belongs to) restarts t at 0 for every sample.
    """
    steps = attention_mask.to(torch.float64).clone()
    for span in spans:
        block_index = span.layout.block_index.to(steps.device)
        first_of_block = torch.ones_like(block_index, dtype=torch.bool)
        first_of_block[1:] = block_index[1:] != block_index[:-1]
        steps[span.row, span.block_slice] = first_of_block.to(steps.dtype)
    running = steps.cumsum(dim=1)
    if documents is not None:
        starts = torch.ones_like(documents, dtype=torch.bool)
        starts[:, 1:] = documents[:, 1:] != documents[:, :-1]
        running = running - torch.where(starts, running - steps, 0.0).cummax(dim=1).values
    positions = (running - 1).clamp(min=0)[None].repeat(3, 1, 1)
    for span in spans:
        coordinates = span.layout.block_coordinates.to(positions.device, positions.dtype)
        positions[1:, span.row, span.block_slice] = coordinates
    return positions.float()


def block_sequence_ids(shape: torch.Size, spans: Sequence[ImageSpan], device: torch.device) -> torch.LongTensor:
    """`(batch, length)` ids for `create_causal_mask(block_sequence_ids=...)`: each image block gets its own id,
    so it is bidirectional inside and causal across blocks; text (and `<boi>`, `<eoi>`) keeps -1, fully causal."""
    ids = torch.full(shape, -1, dtype=torch.long, device=device)
    next_id = 0
    for span in spans:
        ids[span.row, span.block_slice] = span.layout.block_index.to(device) + next_id
        next_id += len(span.layout.block_grids)
    return ids


def vision_loss_scales(shape: torch.Size, spans: Sequence[ImageSpan], device: torch.device) -> torch.LongTensor:
    """`(batch, length)`: the 0-based scale each position predicts, -1 where it predicts no vision token."""
    scales = torch.full(shape, -1, dtype=torch.long, device=device)
    for span in spans:
        end = span.start + span.layout.span_length
        scales[span.row, span.start : end] = span.layout.target_scale.to(device)
    return scales
