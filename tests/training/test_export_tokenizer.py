"""Exporting a trained tokenizer as a shipped folder: fp16 safetensors that load in fp32, with a card of commands
and scores."""

from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from transformers import AutoModel

from nextflow_hf.evaluation import write_report
from nextflow_hf.modeling import NextFlowVQModel, tiny_vq_config

from ..scenes import render_scenes
from ..scripts import load_example

export_tokenizer = load_example("training/export_tokenizer.py")


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    NextFlowVQModel(tiny_vq_config()).save_pretrained(tmp_path / "tokenizer")
    (tmp_path / "tokenizer.sh").write_text("python examples/training/train_tokenizer.py configs/refine.yaml\n")
    write_report(tmp_path / "round-trip", "ShapesWorld tokenizer round trip", {"reconstruction": {"psnr": 31.5}})
    return tmp_path


def export(folder: Path, source: Path, *extra: str) -> Path:
    recipe = ["--recipe", str(folder / "tokenizer.sh")]
    return export_tokenizer.main(["--tokenizer", str(source), "--output", str(folder / "shipped"), *recipe, *extra])


def test_the_folder_holds_fp16_weights_a_card_and_loads_as_the_same_fp32_tokenizer(trained):
    folder = export(trained, trained / "tokenizer", "--reports", str(trained / "round-trip.json"), "--note", "On CPU.")
    with safe_open(folder / "model.safetensors", "pt") as weights:
        assert {weights.get_slice(name).get_dtype() for name in weights.keys()} == {"F16"}
    card = (folder / "README.md").read_text()
    assert "pipeline_tag: image-feature-extraction" in card
    assert "python examples/training/train_tokenizer.py configs/refine.yaml" in card
    assert "| psnr | 31.500 |" in card and "On CPU." in card
    original, shipped = NextFlowVQModel.from_pretrained(trained / "tokenizer"), NextFlowVQModel.from_pretrained(folder)
    assert shipped.dtype == torch.float32
    images = render_scenes(2, seed=3)
    with torch.no_grad():
        reconstruction = original(images).reconstruction
        assert torch.allclose(shipped(images).reconstruction, reconstruction, atol=0.05)
    assert type(AutoModel.from_pretrained(folder, trust_remote_code=True)).__name__ == "NextFlowVQModel"


def test_re_exporting_in_place_adds_reports_and_keeps_the_weights(trained):
    folder = export(trained, trained / "tokenizer")
    before = NextFlowVQModel.from_pretrained(folder).state_dict()
    export(trained, folder, "--reports", str(trained / "round-trip.json"))
    assert "| psnr | 31.500 |" in (folder / "README.md").read_text()
    after = NextFlowVQModel.from_pretrained(folder).state_dict()
    assert all(torch.equal(value, before[name]) for name, value in after.items())


def test_a_folder_without_a_tokenizer_is_refused_and_nothing_is_written(trained):
    with pytest.raises(FileNotFoundError, match="No saved tokenizer at"):
        export(trained, trained / "missing")
    assert not (trained / "shipped").exists()
