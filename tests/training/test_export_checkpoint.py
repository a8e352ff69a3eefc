"""Exporting a trained model as the shipped checkpoint: an fp16 pipeline folder with a card of commands and scores."""

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM

from nextflow_hf.evaluation import write_report
from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor
from nextflow_hf.pipelines import NextFlowPipeline

from ..scripts import load_example
from ..sequences import tiny_nextflow
from ..tokenization import tiny_tokenizer

export_checkpoint = load_example("training/export_checkpoint.py")


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    """A language-model stage's output: the model and its processor in one folder."""
    model = tiny_nextflow()
    model.save_pretrained(tmp_path / "sft")
    image_processor = NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16)
    NextFlowProcessor(image_processor, tiny_tokenizer()).save_pretrained(tmp_path / "sft")
    (tmp_path / "tokenizer.sh").write_text("python examples/training/train_tokenizer.py configs/refine.yaml\n")
    (tmp_path / "recipe.sh").write_text("python examples/training/train_lm.py configs/sft.yaml\n")
    write_report(tmp_path / "geneval", "ShapesWorld GenEval", {"text to image": {"overall": 0.5, "num_prompts": 24}})
    return tmp_path


def export(folder: Path, *extra: str) -> Path:
    return export_checkpoint.main(
        [
            "--model",
            str(folder / "sft"),
            "--output",
            str(folder / "ckpt"),
            "--recipe",
            str(folder / "tokenizer.sh"),
            str(folder / "recipe.sh"),
            *extra,
        ]
    )


def test_the_checkpoint_is_an_fp16_pipeline_with_generation_defaults_and_a_card(trained):
    note = "Trained on 2 CPU cores."
    folder = export(trained, "--reports", str(trained / "geneval.json"), "--guidance-scale", "2.5", "--note", note)
    with safe_open(folder / "model" / "model.safetensors", "pt") as weights:
        dtypes = {weights.get_slice(name).get_dtype() for name in weights.keys()}
    assert dtypes == {"F16"}
    assert json.loads((folder / "model_index.json").read_text())["_class_name"][1] == "NextFlowPipeline"
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlicense: apache-2.0")
    assert "Every stage ran with these scripts, in this order" in card
    tokenizer_stage = card.index("python examples/training/train_tokenizer.py configs/refine.yaml")
    assert tokenizer_stage < card.index("python examples/training/train_lm.py configs/sft.yaml")
    assert "| overall | 0.500 |" in card
    assert "It draws 16×16 images by default (the 16 level, 4 scales).\n\nTrained on 2 CPU cores." in card
    pipe = NextFlowPipeline.from_pretrained(folder, dtype=torch.float16)
    assert pipe.model.generation_config.guidance_scale == 2.5 and pipe.model.dtype == torch.float16
    assert pipe.model.model.vqmodel.dtype == torch.float32  # stored in fp16, the tokenizer runs in fp32
    model = AutoModelForCausalLM.from_pretrained(folder / "model")
    assert type(model).__name__ == "NextFlowForConditionalGeneration"


def test_a_failed_export_leaves_the_previous_checkpoint_untouched(trained):
    folder = export(trained)
    before = sorted(path.relative_to(folder) for path in folder.rglob("*"))
    with pytest.raises(FileNotFoundError, match="No markdown report"):
        export(trained, "--reports", str(trained / "missing.json"))
    assert sorted(path.relative_to(folder) for path in folder.rglob("*")) == before
    assert [path.name for path in trained.iterdir() if path.name.endswith(".partial")] == []


def test_an_exported_checkpoint_is_re_exported_in_place_with_reports_and_new_defaults(trained):
    folder = export(trained)
    weights_before = NextFlowPipeline.from_pretrained(folder).model.state_dict()
    arguments = ["--model", str(folder), "--output", str(folder), "--recipe", str(trained / "recipe.sh")]
    export_checkpoint.main([*arguments, "--reports", str(trained / "geneval.json"), "--top-k", "5"])
    pipe = NextFlowPipeline.from_pretrained(folder)
    assert "| overall | 0.500 |" in (folder / "README.md").read_text()
    assert pipe.model.generation_config.image_top_k == 5
    assert all(torch.equal(value, weights_before[name]) for name, value in pipe.model.state_dict().items())


def test_a_per_scale_top_k_default_is_kept_and_used(trained):
    folder = export(trained, "--top-k", "0,0,1,1")
    pipe = NextFlowPipeline.from_pretrained(folder)
    assert pipe.model.generation_config.image_top_k == [0, 0, 1, 1]
    assert pipe("a red circle", generator=torch.Generator().manual_seed(0)).images[0].size == (16, 16)
