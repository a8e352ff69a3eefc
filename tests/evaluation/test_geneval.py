"""GenEval scoring: ground-truth scenes satisfy their prompts, and each kind of mistake is caught."""

import pytest

from nextflow_hf.evaluation import geneval_scores, satisfies, score_drawing
from nextflow_hf.shapesworld import (
    DrawingPrompt,
    ObjectRequirement,
    RelationRequirement,
    ShapeObject,
    render,
    sample_captions,
)

from .helpers import scene_of

RED_CIRCLE = ShapeObject("circle", "red", "medium", 0.3, 0.3)
BLUE_SQUARE = ShapeObject("square", "blue", "small", 0.7, 0.7)
PROMPTS = {
    "single": DrawingPrompt("a circle", "single_object", (ObjectRequirement("circle"),)),
    "two": DrawingPrompt(
        "a circle and a square", "two_objects", (ObjectRequirement("circle"), ObjectRequirement("square"))
    ),
    "count": DrawingPrompt("two circles", "counting", (ObjectRequirement("circle", 2),), exact_count=True),
    "color": DrawingPrompt("a red circle", "colors", (ObjectRequirement("circle", 1, "red"),)),
    "position": DrawingPrompt(
        "a circle left of a square",
        "position",
        (ObjectRequirement("circle"), ObjectRequirement("square")),
        RelationRequirement(0, "left of", 1),
    ),
    "attribution": DrawingPrompt(
        "a red circle and a blue square",
        "color_attr",
        (ObjectRequirement("circle", 1, "red"), ObjectRequirement("square", 1, "blue")),
    ),
}


@pytest.mark.parametrize(
    "prompt, objects, expected",
    [
        ("single", [RED_CIRCLE], True),
        ("single", [BLUE_SQUARE], False),  # missing object
        ("single", [RED_CIRCLE, BLUE_SQUARE], True),  # unmentioned objects do not matter
        ("two", [RED_CIRCLE, BLUE_SQUARE], True),
        ("two", [RED_CIRCLE], False),  # missing object
        ("count", [RED_CIRCLE, RED_CIRCLE.moved(0.7, 0.3)], True),
        ("count", [RED_CIRCLE], False),  # too few
        ("count", [RED_CIRCLE, RED_CIRCLE.moved(0.7, 0.3), RED_CIRCLE.moved(0.3, 0.7)], False),  # too many
        ("color", [RED_CIRCLE], True),
        ("color", [ShapeObject("circle", "green", "medium", 0.3, 0.3)], False),  # wrong colour
        ("position", [RED_CIRCLE, BLUE_SQUARE], True),
        ("position", [RED_CIRCLE.moved(0.7, 0.7), BLUE_SQUARE.moved(0.3, 0.3)], False),  # swapped positions
        ("position", [RED_CIRCLE.moved(0.45, 0.1), BLUE_SQUARE.moved(0.5, 0.9)], False),  # above, hardly left
        ("attribution", [RED_CIRCLE, BLUE_SQUARE], True),
        ("attribution", [ShapeObject("circle", "blue", "medium", 0.3, 0.3), BLUE_SQUARE], False),  # wrong colour
        (
            "attribution",
            [ShapeObject("circle", "blue", "medium", 0.3, 0.3), ShapeObject("square", "red", "small", 0.7, 0.7)],
            False,
        ),  # colours swapped
    ],
)
def test_requirements_are_checked(prompt, objects, expected):
    assert satisfies(PROMPTS[prompt], scene_of(*objects)) is expected


def test_one_object_cannot_serve_two_requirements():
    prompt = DrawingPrompt(
        "a circle and a red circle", "two_objects", (ObjectRequirement("circle"), ObjectRequirement("circle", 1, "red"))
    )
    assert not satisfies(prompt, scene_of(RED_CIRCLE))
    assert satisfies(prompt, scene_of(RED_CIRCLE, ShapeObject("circle", "blue", "small", 0.7, 0.7)))


def test_relations_are_judged_in_pixels_on_non_square_canvases():
    # 0.2 of the width apart, 0.15 of the height: on a canvas twice as tall as wide, the vertical offset dominates.
    circle, square = RED_CIRCLE.moved(0.3, 0.3), BLUE_SQUARE.moved(0.5, 0.45)
    assert satisfies(PROMPTS["position"], scene_of(circle, square, aspect_ratio=1.0))
    assert not satisfies(PROMPTS["position"], scene_of(circle, square, aspect_ratio=2.0))


def test_rendered_ground_truth_of_every_category_scores_perfectly_and_wrong_images_do_not():
    samples = sample_captions(4, "test", seed=0)
    correct = [score_drawing(sample.prompt, render(sample.scene, 128, 128)) for sample in samples]
    assert geneval_scores([sample.prompt.category for sample in samples], correct)["overall"] == 1.0
    # Each prompt against the image of the prompt after it, from another category: almost never right.
    shifted = [
        score_drawing(sample.prompt, render(other.scene, 128, 128)) for sample, other in zip(samples, samples[4:])
    ]
    assert sum(shifted) / len(shifted) < 0.5


def test_overall_is_the_mean_of_the_category_accuracies():
    scores = geneval_scores(["counting"] * 4 + ["colors"], [True, False, False, False, True])
    assert scores == {"counting": 0.25, "colors": 1.0, "overall": 0.625}


@pytest.mark.parametrize(
    "categories, correct, message",
    [(["colors"], [True, False], "2 results"), ([], [], "empty"), (["colours"], [True], "Unknown categories")],
)
def test_scores_check_their_inputs(categories, correct, message):
    with pytest.raises(ValueError, match=message):
        geneval_scores(categories, correct)
