"""Packing: rows of at most a token budget in which every sample gets the logits and loss it gets alone."""

import pytest
import torch

from nextflow_hf.modeling.sequence_layout import IGNORE_INDEX
from nextflow_hf.training.packing import PackedCollator, pack_examples, pack_lengths

from ..sequences import caption_then_image, random_codes, tiny_nextflow


def test_bins_hold_every_example_once_and_respect_the_budget():
    lengths = [7, 3, 9, 1, 5, 5, 2, 8]
    bins = pack_lengths(lengths, budget=10)
    assert sorted(index for members in bins for index in members) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in members) <= 10 for members in bins)
    assert len(bins) == 4  # first-fit decreasing fills all four rows: 9+1, 8+2, 7+3, 5+5


def test_an_example_longer_than_the_budget_is_refused_naming_both():
    with pytest.raises(ValueError, match="longer than the packing budget of 10 tokens \\(longest 12\\)"):
        pack_lengths([4, 12], budget=10)


def test_packed_rows_restart_positions_and_ignore_each_samples_first_label():
    examples = {
        "input_ids": [[5, 6, 7], [8, 9]],
        "labels": [[5, 6, 7], [8, 9]],
        "image_grids": [[[2, 2]], []],
    }
    packed = pack_examples(examples, budget=8)
    assert packed["input_ids"] == [[5, 6, 7, 8, 9]]
    assert packed["labels"] == [[IGNORE_INDEX, 6, 7, IGNORE_INDEX, 9]]
    assert packed["position_ids"] == [[0, 1, 2, 0, 1]]
    assert packed["image_grids"] == [[[2, 2]]]


def test_a_collated_packed_batch_gives_each_sample_its_own_logits_and_loss():
    model = tiny_nextflow()
    samples = []
    for seed, (prompt, level, ratio) in enumerate(
        [([0, 10, 11, 12], 16, 1.0), ([0, 20, 21], 32, 0.5), ([0, 30], 16, 1.0)]
    ):
        schedule = model.config.vq_config.scale_table.get_schedule(level, ratio)
        layout = model.model.image_layout(schedule, context=False)
        ids, labels = caption_then_image(model.config, prompt, layout, random_codes(layout, seed=seed))
        samples.append({"input_ids": ids.tolist(), "labels": labels.tolist(), "image_grids": [list(schedule[-1])]})
    lengths = [len(sample["input_ids"]) for sample in samples]
    budget = max(lengths[0] + lengths[2], lengths[1])
    columns = {key: [sample[key] for sample in samples] for key in samples[0]}
    packed = pack_examples(columns, budget=budget)
    rows = [dict(zip(packed, values)) for values in zip(*packed.values())]
    assert len(rows) == 2
    batch = PackedCollator(pad_token_id=2)(rows)
    assert batch["attention_mask"].sum() == sum(len(sample["input_ids"]) for sample in samples)
    with torch.no_grad():
        together = model(**batch)
        for sample in samples:
            alone = model(torch.tensor([sample["input_ids"]]), image_grids=torch.tensor(sample["image_grids"]))
            row, start = next(
                (r, s)
                for r, ids in enumerate(batch["input_ids"].tolist())
                for s in range(len(ids))
                if ids[s : s + len(sample["input_ids"])] == sample["input_ids"]
            )
            torch.testing.assert_close(
                together.logits[row, start : start + len(sample["input_ids"])], alone.logits[0], atol=1e-5, rtol=1e-4
            )
