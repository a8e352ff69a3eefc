"""Stage c, offline code extraction: flat codes round-trip to the tokenizer's grids, self-correction perturbs the
configured share of input tokens with per-image seeds, every task keeps its text columns, and the stage script
writes loadable datasets with `extraction.json` or, when it fails, nothing at all."""

import json

import pytest
import torch
from datasets import Dataset, Features, List, Value, load_from_disk

from nextflow_hf.modeling import NextFlowVQModel, tiny_vq_config
from nextflow_hf.shapesworld.data import BUILDERS, build_dataset
from nextflow_hf.training import extraction
from nextflow_hf.training.extraction import (
    check_tokenizer,
    extract_codes,
    image_generator,
    load_extraction_info,
    split_codes,
    write_extraction,
)
from nextflow_hf.training.images import to_pixel_values

from ..scripts import EXAMPLES, load_example

CONFIG = EXAMPLES / "training" / "configs" / "tiny" / "extract.yaml"
SCHEDULE_32 = [(1, 1), (2, 2), (3, 3), (4, 4), (6, 6), (8, 8)]
TOKENS_32 = 130
CODES = List(Value("int32"))


def seeded_tiny_vq() -> NextFlowVQModel:
    """The script's `vq_preset: tiny` with its default seed 0: the same weights as the script builds."""
    torch.manual_seed(0)
    return NextFlowVQModel(tiny_vq_config()).eval()


def in_memory(task: str, num_rows: int, side: int = 32, seed: int = 0) -> Dataset:
    """ShapesWorld rows held in memory: `map` then keeps no cache file, so every extraction below really encodes."""
    rows = build_dataset(task, num_rows, height=side, width=side, seed=seed, streaming=True)
    return Dataset.from_list(list(rows), features=rows.features)


@pytest.fixture(scope="module")
def captions() -> Dataset:
    return in_memory("captions", 3, seed=1)


@pytest.fixture(scope="module")
def stories() -> Dataset:
    return in_memory("stories", 4, seed=2)


def test_flat_target_codes_split_back_into_the_tokenizer_grids_and_decode_alike(tiny_vq, captions):
    codes = extract_codes(tiny_vq, captions, level=32, batch_size=8, self_correction=False)
    grids = [split_codes(row["image_target_codes"], SCHEDULE_32) for row in codes]
    with torch.no_grad():
        encoded = tiny_vq.encode(to_pixel_values(captions["image"]))
        stacked = [torch.stack(scale) for scale in zip(*grids)]
        assert all(torch.equal(mine, theirs) for mine, theirs in zip(stacked, encoded.image_tokens))
        assert torch.allclose(tiny_vq.decode(stacked), tiny_vq.decode(encoded.image_tokens), atol=1e-6)


def test_split_codes_refuses_a_wrong_length():
    assert [tuple(grid.shape) for grid in split_codes(list(range(TOKENS_32)), SCHEDULE_32)] == SCHEDULE_32
    with pytest.raises(ValueError, match=r"129.*130"):
        split_codes(list(range(TOKENS_32 - 1)), SCHEDULE_32)


def test_without_self_correction_the_inputs_are_the_targets(tiny_vq, captions):
    codes = extract_codes(tiny_vq, captions, level=32, self_correction=False)
    assert codes["image_input_codes"] == codes["image_target_codes"]


def test_self_correction_replaces_the_configured_share_of_every_scale(tiny_vq, stories):
    codes = extract_codes(tiny_vq, stories, level=32, batch_size=4, seed=3)
    inputs = [split_codes(flat, SCHEDULE_32) for row in codes["images_input_codes"] for flat in row]
    targets = [split_codes(flat, SCHEDULE_32) for row in codes["images_target_codes"] for flat in row]
    changed = [torch.stack([a != b for a, b in zip(*scale)]).float() for scale in zip(zip(*inputs), zip(*targets))]
    fraction = tiny_vq.config.self_correction_fraction
    total = torch.cat([scale.flatten() for scale in changed]).mean().item()
    assert len(inputs) >= 12 and abs(total - fraction) < 0.05, total
    for (h, w), scale in zip(SCHEDULE_32, changed):
        if h * w >= 9:
            assert abs(scale.mean().item() - fraction) < 0.15, ((h, w), scale.mean().item())


def test_self_corrected_codes_are_encode_with_each_images_own_generator(tiny_vq, captions):
    codes = extract_codes(tiny_vq, captions, level=32, batch_size=1, seed=5)
    plain = extract_codes(tiny_vq, captions, level=32, batch_size=1, self_correction=False)
    for row, image in enumerate(captions["image"]):
        generator = image_generator(5, row, "image")
        with torch.no_grad():
            encoded = tiny_vq.encode(to_pixel_values([image]), self_correction=True, generator=generator)
        expected_inputs = torch.cat([grid.flatten() for grid in encoded.input_image_tokens]).tolist()
        expected_targets = torch.cat([grid.flatten() for grid in encoded.image_tokens]).tolist()
        assert codes[row]["image_input_codes"] == expected_inputs
        assert codes[row]["image_target_codes"] == expected_targets
        # Nothing is perturbed before the first scale; later targets are top-1 of the perturbed residual chain.
        assert codes[row]["image_target_codes"][0] == plain[row]["image_target_codes"][0]


def test_codes_do_not_depend_on_the_batch_size(tiny_vq, stories):
    one = extract_codes(tiny_vq, stories, level=32, batch_size=1, seed=7)
    three = extract_codes(tiny_vq, stories, level=32, batch_size=3, seed=7)
    assert one.to_dict() == three.to_dict()
    other_seed = extract_codes(tiny_vq, stories, level=32, batch_size=3, seed=8)
    assert other_seed["images_input_codes"] != three["images_input_codes"]


def test_a_wrong_image_size_is_refused_naming_both_sizes(tiny_vq):
    small = in_memory("qa", 1, side=16)
    with pytest.raises(ValueError, match=r"16×16.*level 32.*32×32"):
        extract_codes(tiny_vq, small, level=32)


def test_the_script_writes_every_task_and_extraction_json(tmp_path):
    output_dir, tokenizer = tmp_path / "codes", tmp_path / "tokenizer"
    seeded_tiny_vq().save_pretrained(tokenizer)
    load_example("training/extract_codes.py").main(
        [str(CONFIG), "--tokenizer_path", str(tokenizer), "--output_dir", str(output_dir), "--num_rows", "2"]
        + ["--rows_per_task", '{"videos": 1}']
    )
    info = load_extraction_info(output_dir)
    assert info["level"] == 32 and info["schedule"] == SCHEDULE_32 and info["image_size"] == (32, 32)
    assert info["tokenizer_path"] == str(tokenizer) and info["vq_preset"] is None and info["self_correction"] is True
    assert info["num_rows"] == {"train": {task: 1 if task == "videos" else 2 for task in BUILDERS}}
    check_tokenizer(info, seeded_tiny_vq())
    torch.manual_seed(1)
    with pytest.raises(ValueError, match="fingerprint"):
        check_tokenizer(info, NextFlowVQModel(tiny_vq_config()))

    image_columns = {"edits": ["source_image", "target_image"], "stories": ["images"], "videos": ["frames"]}
    for task, rows in info["num_rows"]["train"].items():
        dataset = load_from_disk(str(output_dir / "train" / task))
        raw = in_memory(task, rows)
        columns = image_columns.get(task, ["image"])
        is_list = task in ("stories", "videos")
        expected = Features({name: feature for name, feature in raw.features.items() if name not in columns})
        for column in columns:
            expected[f"{column}_input_codes"] = expected[f"{column}_target_codes"] = List(CODES) if is_list else CODES
        assert dataset.features == expected, task
        assert dataset.num_rows == rows
        kept = [name for name in raw.column_names if name not in columns]
        assert dataset.select_columns(kept).to_dict() == raw.select_columns(kept).to_dict()
        for row, raw_row in zip(dataset, raw):
            for column in columns:
                images = row[f"{column}_input_codes"] if is_list else [row[f"{column}_input_codes"]]
                assert len(images) == (len(raw_row["scenes"]) if is_list else 1)
                assert all(len(flat) == TOKENS_32 for flat in images)


def test_a_failing_run_leaves_no_output_folder(tmp_path, monkeypatch):
    def build_or_fail(task, *args, **kwargs):
        if task == "qa":
            raise RuntimeError("disk full")
        return build_dataset(task, *args, **kwargs)

    monkeypatch.setattr(extraction, "build_dataset", build_or_fail)
    output_dir = tmp_path / "codes"
    with pytest.raises(RuntimeError, match="disk full"):
        write_extraction(seeded_tiny_vq(), output_dir, 16, {"captions": 1, "qa": 1}, vq_preset="tiny")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_is_kept_unless_overwriting_is_allowed(tmp_path):
    output_dir = tmp_path / "codes"
    output_dir.mkdir()
    with pytest.raises(FileExistsError, match="codes"):
        write_extraction(seeded_tiny_vq(), output_dir, 16, {"qa": 1}, vq_preset="tiny")
    write_extraction(seeded_tiny_vq(), output_dir, 16, {"qa": 1}, vq_preset="tiny", overwrite=True)
    assert load_extraction_info(output_dir)["schedule"] == SCHEDULE_32[:4]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["codes"]


def test_a_malformed_extraction_json_is_refused(tmp_path):
    (tmp_path / "extraction.json").write_text(json.dumps({"level": 32}))
    with pytest.raises(ValueError, match="schedule"):
        load_extraction_info(tmp_path)
    with pytest.raises(FileNotFoundError, match="extract_codes"):
        load_extraction_info(tmp_path / "missing")
