"""The evaluation examples, the quickstart and the tokenizer demo run end to end: ground truth scores 1.0, a saved
pipeline is drawn from and scored, a saved tokenizer's round trip is measured and shown."""

import json
import re

import pytest
from PIL import Image

from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor, NextFlowVQModel, tiny_vq_config
from nextflow_hf.pipelines import NextFlowPipeline

from ..scripts import load_example
from ..sequences import tiny_nextflow
from ..tokenization import tiny_tokenizer


@pytest.mark.parametrize(
    "name, count_flag, score_key",
    [
        ("evaluate_text_to_image", "--per-category", "overall"),
        ("evaluate_edit", "--per-kind", "accuracy"),
        ("evaluate_qa", "--per-kind", "accuracy"),
    ],
)
def test_ground_truth_scores_perfectly(tmp_path, name, count_flag, score_key):
    load_example(f"{name}.py").main(
        ["--ground-truth", count_flag, "2", "--size", "128", "--out", str(tmp_path / "report")]
    )
    results = json.loads((tmp_path / "report.json").read_text())["results"]
    assert all(section[score_key] == 1.0 for section in results.values())
    assert (tmp_path / "report.md").is_file()


def test_unedited_sources_keep_everything_and_change_nothing(tmp_path):
    results = load_example("evaluate_edit.py").main(
        ["--copy-source", "--per-kind", "2", "--size", "128", "--out", str(tmp_path / "report")]
    )
    assert results["all"]["change_applied"] == 0.0 and results["all"]["others_unchanged"] == 1.0


def test_a_saved_pipeline_draws_the_prompts_and_is_scored(tmp_path):
    model = tiny_nextflow(seed=0)  # tiny random weights: the scores mean nothing, the plumbing does
    processor = NextFlowProcessor(
        NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16), tiny_tokenizer()
    )
    NextFlowPipeline(model=model, processor=processor).save_pretrained(tmp_path / "pipeline")
    flags = ["--per-category", "1", "--guidance-scale", "2", "--top-k", "4", "--out", str(tmp_path / "report")]
    scores = load_example("evaluate_text_to_image.py").main(["--pipeline", str(tmp_path / "pipeline"), *flags])
    assert scores["num_prompts"] == 6 and 0.0 <= scores["overall"] <= 1.0
    assert "guidance scale 2.0, top-k 4" in (tmp_path / "report.md").read_text()


def test_a_saved_tokenizer_round_trip_is_measured(tmp_path):
    NextFlowVQModel(tiny_vq_config()).save_pretrained(tmp_path / "tokenizer")
    flags = ["--size", "32", "--images", "4", "--per-category", "1", "--out", str(tmp_path / "report")]
    results = load_example("evaluate_tokenizer.py").main(["--tokenizer", str(tmp_path / "tokenizer"), *flags])
    assert results["reconstruction"]["num_images"] == 4 and results["reconstruction"]["psnr"] > 0
    assert results["GenEval of reconstructions"]["num_prompts"] == 6
    assert (tmp_path / "report.md").is_file()


def test_the_quickstart_draws_judges_and_writes_one_row_per_category(tmp_path, capsys):
    model = tiny_nextflow(seed=0)
    processor = NextFlowProcessor(
        NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16), tiny_tokenizer()
    )
    NextFlowPipeline(model=model, processor=processor).save_pretrained(tmp_path / "pipeline")
    quickstart = load_example("quickstart.py")
    out = tmp_path / "sheet.png"
    quickstart.main(["--model", str(tmp_path / "pipeline"), "--per-category", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert len(re.findall(r"^(correct|incorrect) +\[", printed, flags=re.MULTILINE)) == 12
    assert "/12 drawings satisfy their prompt" in printed
    assert Image.open(out).size == (2 * 16, 6 * 16)


def test_the_quickstart_names_a_folder_that_is_no_pipeline(tmp_path):
    with pytest.raises(SystemExit):
        load_example("quickstart.py").main(["--model", str(tmp_path)])


def test_the_tokenizer_demo_shows_originals_above_reconstructions_and_measures_them(tmp_path, capsys):
    NextFlowVQModel(tiny_vq_config()).save_pretrained(tmp_path / "tokenizer")
    out = tmp_path / "sheet.png"
    flags = ["--size", "32", "--per-category", "1", "--out", str(out)]
    summary = load_example("tokenizer_round_trip.py").main(["--tokenizer", str(tmp_path / "tokenizer"), *flags])
    printed = capsys.readouterr().out
    assert "6 held-out scenes at 32×32" in printed
    assert len(re.findall(r"dB +(found|missed) +\S", printed)) == 6
    assert summary["psnr"] > 0 and 0.0 <= summary["captions_found"] <= 1.0
    assert Image.open(out).size == (6 * 32, 2 * 32)


def test_the_tokenizer_demo_names_a_folder_that_holds_no_tokenizer(tmp_path, capsys):
    with pytest.raises(SystemExit):
        load_example("tokenizer_round_trip.py").main(["--tokenizer", str(tmp_path)])
    assert "holds no saved tokenizer" in capsys.readouterr().err
