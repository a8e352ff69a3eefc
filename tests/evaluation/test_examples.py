"""The evaluation examples run end to end: ground truth scores 1.0, and a saved pipeline is drawn from and scored."""

import json

import pytest

from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor
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
    scores = load_example("evaluate_text_to_image.py").main(
        ["--pipeline", str(tmp_path / "pipeline"), "--per-category", "1", "--out", str(tmp_path / "report")]
    )
    assert scores["num_prompts"] == 6 and 0.0 <= scores["overall"] <= 1.0
