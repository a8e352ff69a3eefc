"""Packing training examples into rows of at most a token budget, and the collator that batches packed rows.

Samples in one row keep their own positions (they restart at 0) and see only themselves: the model reads 2-D
`position_ids` that restart as packed samples (`NextFlowModel.forward`). The first label of every sample is ignored,
so no sample learns to predict the start of the next.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..modeling.sequence_layout import IGNORE_INDEX

Example = dict[str, list]


def pack_lengths(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """First-fit-decreasing bins of example indices whose lengths sum to at most `budget` each."""
    too_long = [length for length in lengths if length > budget]
    if too_long:
        raise ValueError(
            f"{len(too_long)} example(s) are longer than the packing budget of {budget} tokens (longest "
            f"{max(too_long)}); raise `max_tokens_per_row` or use a smaller image level."
        )
    bins: list[list[int]] = []
    room: list[int] = []
    for index in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        target = next((b for b, free in enumerate(room) if free >= lengths[index]), None)
        if target is None:
            bins.append([])
            room.append(budget)
            target = len(bins) - 1
        bins[target].append(index)
        room[target] -= lengths[index]
    return bins


def pack_examples(examples: dict[str, list], budget: int) -> dict[str, list]:
    """A `datasets` batched-map function: a batch of examples (columns `input_ids`, `labels`, `image_grids`) to
    packed rows with `position_ids` that restart at every sample."""
    packed: dict[str, list] = {"input_ids": [], "labels": [], "position_ids": [], "image_grids": []}
    for members in pack_lengths([len(ids) for ids in examples["input_ids"]], budget):
        row = {key: [] for key in packed}
        for index in members:
            ids = examples["input_ids"][index]
            row["input_ids"] += ids
            row["labels"] += [IGNORE_INDEX, *examples["labels"][index][1:]]
            row["position_ids"] += list(range(len(ids)))
            row["image_grids"] += examples["image_grids"][index]
        for key, value in row.items():
            packed[key].append(value)
    return packed


@dataclass
class PackedCollator:
    """Right-pads packed rows into a batch: `input_ids`, `attention_mask`, `labels`, `position_ids` (padding forms a
    sample of its own) and `image_grids` `(num_images, 2)`, row by row."""

    pad_token_id: int

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        length = max(len(row["input_ids"]) for row in rows)
        batch: dict[str, list] = {"input_ids": [], "attention_mask": [], "labels": [], "position_ids": []}
        grids = []
        for row in rows:
            pad = length - len(row["input_ids"])
            batch["input_ids"].append(list(row["input_ids"]) + [self.pad_token_id] * pad)
            batch["attention_mask"].append([1] * len(row["input_ids"]) + [0] * pad)
            batch["labels"].append(list(row["labels"]) + [IGNORE_INDEX] * pad)
            batch["position_ids"].append(list(row["position_ids"]) + list(range(pad)))
            grids += row["image_grids"]
        tensors = {key: torch.tensor(value, dtype=torch.long) for key, value in batch.items()}
        tensors["image_grids"] = torch.tensor(grids, dtype=torch.long).reshape(-1, 2)
        return tensors
