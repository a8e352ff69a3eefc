"""The reasoning and interleaved evaluation examples: ground truth scores 1.0, a saved pipeline runs end to end, and
the prompts they build are the sequences the model is trained on."""

import json
import random

import pytest
import torch

from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor
from nextflow_hf.pipelines import NextFlowInterleavedPipeline, NextFlowPipeline
from nextflow_hf.shapesworld import render, sample_knowledge
from nextflow_hf.training.extraction import flatten_codes, level_geometry
from nextflow_hf.training.sequences import SequenceBuilder

from ..scripts import load_example
from ..sequences import tiny_nextflow
from ..tokenization import tiny_tokenizer

LEVEL = 16
KNOWLEDGE_KEYS = {
    "direct": {"accuracy", "num_prompts"},
    "reasoning": {"accuracy", "num_prompts", "image_rate", "resolved_text_accuracy"},
    "summary": {"gain"},
}
INTERLEAVED_KEYS = {
    "story": {"consistency", "frame_accuracy", "num_sequences"},
    "video": {"consistency", "frame_accuracy", "num_sequences", "monotonic"},
}


def tiny_pipeline() -> NextFlowInterleavedPipeline:
    """An untrained tiny model with its processor at level 16: the scores mean nothing, the plumbing does."""
    model = tiny_nextflow(seed=0)
    processor = NextFlowProcessor(
        NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=LEVEL), tiny_tokenizer()
    )
    return NextFlowInterleavedPipeline(model=model, processor=processor)


@pytest.fixture(scope="module")
def pipeline_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    NextFlowPipeline(**tiny_pipeline().components).save_pretrained(folder)
    return folder


def report(path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())["results"]


def test_knowledge_ground_truth_scores_perfectly(tmp_path):
    load_example("evaluate_knowledge.py").main(
        ["--ground-truth", "--num-prompts", "3", "--size", "128", "--out", str(tmp_path / "report")]
    )
    results = report(tmp_path / "report")
    assert results["direct"]["accuracy"] == results["reasoning"]["accuracy"] == 1.0
    assert results["reasoning"]["resolved_text_accuracy"] == 1.0 and results["summary"]["gain"] == 0.0
    assert (tmp_path / "report.md").is_file()


def test_interleaved_ground_truth_scores_perfectly(tmp_path):
    load_example("evaluate_interleaved.py").main(
        ["--ground-truth", "--per-task", "2", "--out", str(tmp_path / "report")]
    )
    results = report(tmp_path / "report")
    assert {task: set(scores) for task, scores in results.items()} == INTERLEAVED_KEYS
    assert all(scores[key] == 1.0 for scores in results.values() for key in ("consistency", "frame_accuracy"))
    assert results["video"]["monotonic"] == 1.0


def test_a_count_below_one_is_refused(capsys):
    with pytest.raises(SystemExit):
        load_example("evaluate_interleaved.py").main(["--ground-truth", "--per-task", "0"])
    assert "--per-task must be at least 1; got 0" in capsys.readouterr().err


def test_knowledge_runs_with_a_saved_pipeline(tmp_path, pipeline_folder):
    # The untrained model rarely emits <boi>: a reasoning turn without an image must score 0, not crash.
    load_example("evaluate_knowledge.py").main(
        ["--pipeline", str(pipeline_folder), "--num-prompts", "2", "--max-new-tokens", "8"]
        + ["--out", str(tmp_path / "report")]
    )
    results = report(tmp_path / "report")
    assert {section: set(scores) for section, scores in results.items()} == KNOWLEDGE_KEYS
    for section in ("direct", "reasoning"):
        assert results[section]["num_prompts"] == 2 and 0.0 <= results[section]["accuracy"] <= 1.0
    assert results["summary"]["gain"] == results["reasoning"]["accuracy"] - results["direct"]["accuracy"]


def test_a_reasoning_turn_without_an_image_is_wrong_however_well_it_reasons():
    module = load_example("evaluate_knowledge.py")
    sample = sample_knowledge(random.Random(0), "test")
    scores = module.reasoning_scores([module.Attempt(None, f"{sample.reasoning} {sample.resolved.text}")], [sample])
    assert scores == {"accuracy": 0.0, "num_prompts": 1, "image_rate": 0.0, "resolved_text_accuracy": 1.0}


def test_interleaved_runs_with_a_saved_pipeline(tmp_path, pipeline_folder):
    load_example("evaluate_interleaved.py").main(
        ["--pipeline", str(pipeline_folder), "--per-task", "1", "--out", str(tmp_path / "report")]
    )
    results = report(tmp_path / "report")
    assert {task: set(scores) for task, scores in results.items()} == INTERLEAVED_KEYS
    for scores in results.values():
        assert scores["num_sequences"] == 1
        assert all(0.0 <= scores[key] <= 1.0 for key in scores.keys() - {"num_sequences"})


def training_builder(pipe: NextFlowInterleavedPipeline) -> SequenceBuilder:
    schedule = pipe.scale_table.get_schedule(LEVEL, 1.0)
    return SequenceBuilder(pipe.model.config, pipe.processor.tokenizer, schedule, caption_dropout=0.0)


def test_knowledge_asks_in_the_training_chat_format():
    module, pipe = load_example("evaluate_knowledge.py"), tiny_pipeline()
    text = sample_knowledge(random.Random(0), "test").text
    assert module.chat_prompt(pipe, text) == training_builder(pipe).chat_prompt([{"type": "text", "text": text}])


@pytest.mark.parametrize("task", ["story", "video"])
def test_each_image_is_drawn_after_the_training_sequence_so_far(monkeypatch, task):
    module, pipe = load_example("evaluate_interleaved.py"), tiny_pipeline()
    sequence = module.sample_sequences(1, "test", seed=0)[task][0]
    prompts, draw = [], pipe.model.generate_image

    def recording(input_ids, image_grids, **kwargs):
        prompts.append((input_ids[0].tolist(), image_grids.tolist()))
        return draw(input_ids, image_grids=image_grids, **kwargs)

    monkeypatch.setattr(pipe.model, "generate_image", recording)
    size = level_geometry(pipe.model.config.vq_config, LEVEL)[1]
    first = module.encode_image(pipe, render(sequence.scenes[0], *size), LEVEL)
    drawn = module.continue_sequence(pipe, sequence.texts, first, LEVEL, torch.Generator().manual_seed(0))
    codes = [flatten_codes(image) for image in (first, *drawn)]
    if task == "story":
        row = {"texts": list(sequence.texts), "images_input_codes": codes, "images_target_codes": codes}
    else:
        row = {"prompt": sequence.texts[0], "frames_input_codes": codes, "frames_target_codes": codes}
    trained = training_builder(pipe).build(task, row, random.Random(0))
    assert len(prompts) == len(sequence.scenes) - 1
    for k, (input_ids, grids) in enumerate(prompts, start=1):
        assert input_ids == trained["input_ids"][: len(input_ids)]
        assert trained["input_ids"][len(input_ids)] == pipe.model.config.boi_token_id
        assert grids == trained["image_grids"][:k]
