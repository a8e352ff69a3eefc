"""The `evaluate` metrics: instantiated directly (no Hub), 1.0 on ground truth, the right lower score on mistakes."""

import math
from dataclasses import replace

import numpy as np
import pytest

from nextflow_hf.evaluation import (
    EditMetric,
    GenEvalMetric,
    ReconstructionMetric,
    SequenceConsistencyMetric,
    ShapesQAMetric,
)
from nextflow_hf.shapesworld import DrawingPrompt, ObjectRequirement, RelationRequirement, ShapeObject, prompt_to_json

from .helpers import draw, scene_of

CIRCLE = ShapeObject("circle", "red", "medium", 0.25, 0.5)
SQUARE = ShapeObject("square", "blue", "medium", 0.75, 0.5)
# Per category: a prompt, the scene it asks for, and a deliberately wrong scene.
CASES = {
    "single_object": (
        DrawingPrompt("a circle", "single_object", (ObjectRequirement("circle"),)),
        scene_of(CIRCLE),
        scene_of(SQUARE),  # missing object
    ),
    "counting": (
        DrawingPrompt("two circles", "counting", (ObjectRequirement("circle", 2),), exact_count=True),
        scene_of(CIRCLE, CIRCLE.moved(0.75, 0.5)),
        scene_of(CIRCLE, CIRCLE.moved(0.75, 0.5), CIRCLE.moved(0.5, 0.2)),  # wrong count
    ),
    "colors": (
        DrawingPrompt("a red circle", "colors", (ObjectRequirement("circle", 1, "red"),)),
        scene_of(CIRCLE),
        scene_of(replace(CIRCLE, color="orange")),  # wrong colour
    ),
    "position": (
        DrawingPrompt(
            "a circle left of a square",
            "position",
            (ObjectRequirement("circle"), ObjectRequirement("square")),
            RelationRequirement(0, "left of", 1),
        ),
        scene_of(CIRCLE, SQUARE),
        scene_of(CIRCLE.moved(0.75, 0.5), SQUARE.moved(0.25, 0.5)),  # swapped positions
    ),
}


def test_geneval_metric_scores_ground_truth_perfectly_and_each_mistake_as_wrong():
    prompts = [case[0] for case in CASES.values()] * 2
    images = [draw(case[1], 96) for case in CASES.values()] + [draw(case[2], 96) for case in CASES.values()]
    scores = GenEvalMetric(keep_in_memory=True).compute(predictions=images, references=prompts)
    assert scores == {
        "single_object": 0.5,
        "counting": 0.5,
        "colors": 0.5,
        "position": 0.5,
        "overall": 0.5,
        "num_prompts": 8,
    }
    perfect = GenEvalMetric(keep_in_memory=True).compute(predictions=images[:4], references=prompts[:4])
    assert perfect["overall"] == 1.0


def test_geneval_metric_accepts_json_prompts_arrays_and_incremental_adds(tmp_path):
    metric = GenEvalMetric(cache_dir=str(tmp_path))  # the default, file-backed cache works too
    prompt, scene, wrong = CASES["colors"]
    metric.add(prediction=np.asarray(draw(scene, 96), dtype=np.float32) / 255, reference=prompt_to_json(prompt))
    metric.add_batch(predictions=[draw(wrong, 96)], references=[prompt])
    assert metric.compute() == {"colors": 0.5, "overall": 0.5, "num_prompts": 2}


def test_qa_metric_normalises_and_breaks_down_by_category():
    metric = ShapesQAMetric(keep_in_memory=True)
    scores = metric.compute(
        predictions=["2", "Red.", "to the left of", "no"],
        references=["two", "red", "left of", "yes"],
        categories=["count", "color", "relation", "exists"],
    )
    assert scores == {
        "accuracy": 0.75,
        "num_questions": 4,
        "accuracy_count": 1.0,
        "accuracy_color": 1.0,
        "accuracy_relation": 1.0,
        "accuracy_exists": 0.0,
    }


def test_edit_metric_separates_a_missed_change_from_collateral_damage():
    source = scene_of(CIRCLE, SQUARE)
    target = scene_of(replace(CIRCLE, color="green"), SQUARE)
    images = [
        draw(target),  # right
        draw(source),  # change missed
        draw(scene_of(replace(CIRCLE, color="green"), SQUARE.moved(0.75, 0.8))),  # changed too much
    ]
    scores = EditMetric(keep_in_memory=True).compute(predictions=images, references=[target] * 3, sources=[source] * 3)
    assert scores == {"accuracy": 1 / 3, "change_applied": 2 / 3, "others_unchanged": 2 / 3, "num_edits": 3}


def test_sequence_metric_scores_stories_and_videos():
    frames = [scene_of(CIRCLE.moved(0.2 + 0.2 * k, 0.3), SQUARE.moved(0.5, 0.8)) for k in range(4)]
    drawn = [draw(scene) for scene in frames]
    story = SequenceConsistencyMetric(keep_in_memory=True).compute(
        predictions=[drawn, drawn[:3]], references=[frames, frames]
    )
    assert story == {"accuracy": 0.5, "frame_accuracy": 7 / 8, "num_sequences": 2}
    video = SequenceConsistencyMetric("video", keep_in_memory=True).compute(
        predictions=[drawn, drawn[::-1]], references=[frames, frames]
    )
    assert video == {"accuracy": 0.5, "frame_accuracy": 0.5, "num_sequences": 2, "monotonic": 0.5}
    with pytest.raises(ValueError, match="Unknown sequence kind"):
        SequenceConsistencyMetric("film")


def test_reconstruction_metric_averages_psnr_and_ssim():
    image = np.asarray(draw(scene_of(CIRCLE, SQUARE), 64))
    noisy = np.clip(image + np.random.default_rng(0).normal(0, 10, image.shape), 0, 255).astype(np.uint8)
    metric = ReconstructionMetric(keep_in_memory=True)
    assert metric.compute(predictions=[image], references=[image]) == {"psnr": math.inf, "ssim": 1.0, "num_images": 1}
    scores = ReconstructionMetric(keep_in_memory=True).compute(predictions=[noisy, image], references=[image, image])
    assert scores["psnr"] == math.inf and 0.5 < scores["ssim"] < 1.0
    noisy_only = ReconstructionMetric(keep_in_memory=True).compute(predictions=[noisy], references=[image])
    assert 25 < noisy_only["psnr"] < 35
