"""Edit accuracy: the requested change happened and nothing else changed."""

import random
from dataclasses import replace

import pytest

from nextflow_hf.evaluation import score_edit
from nextflow_hf.shapesworld import EDIT_KINDS, ShapeObject, sample_edit

from .helpers import draw, scene_of

CIRCLE = ShapeObject("circle", "red", "medium", 0.25, 0.3)
STAR = ShapeObject("star", "yellow", "large", 0.7, 0.35)
SQUARE = ShapeObject("square", "blue", "small", 0.3, 0.75)
SOURCE = scene_of(CIRCLE, STAR, SQUARE)
EDITS = {  # target scenes of one edit of each kind
    "recolour": scene_of(replace(CIRCLE, color="green"), STAR, SQUARE),
    "add": scene_of(CIRCLE, STAR, SQUARE, ShapeObject("triangle", "pink", "medium", 0.72, 0.78)),
    "remove": scene_of(CIRCLE, SQUARE),
    "move": scene_of(CIRCLE.moved(0.25, 0.5), STAR, SQUARE),
    "resize": scene_of(replace(STAR, size="medium"), CIRCLE, SQUARE),
}


@pytest.mark.parametrize("kind", EDITS)
def test_the_target_image_is_a_correct_edit(kind):
    result = score_edit(SOURCE, EDITS[kind], draw(EDITS[kind]))
    assert result.change_applied and result.others_unchanged and result.correct


@pytest.mark.parametrize("kind", EDITS)
def test_an_unedited_image_keeps_the_rest_but_misses_the_change(kind):
    result = score_edit(SOURCE, EDITS[kind], draw(SOURCE))
    assert not result.change_applied and result.others_unchanged and not result.correct


def test_an_edit_that_changed_too_much_is_caught():
    target = EDITS["recolour"]
    also_moved = scene_of(replace(CIRCLE, color="green"), STAR.moved(0.7, 0.6), SQUARE)
    result = score_edit(SOURCE, target, draw(also_moved))
    assert result.change_applied and not result.others_unchanged and not result.correct


@pytest.mark.parametrize(
    "image_scene",
    [
        scene_of(replace(CIRCLE, color="green"), STAR),  # lost an object
        scene_of(
            replace(CIRCLE, color="green"), STAR, SQUARE, ShapeObject("star", "black", "small", 0.7, 0.8)
        ),  # extra
        scene_of(replace(CIRCLE, color="green"), replace(STAR, color="orange"), SQUARE),  # recoloured another too
    ],
    ids=["lost", "extra", "recoloured another"],
)
def test_collateral_changes_are_caught(image_scene):
    result = score_edit(SOURCE, EDITS["recolour"], draw(image_scene))
    assert result.change_applied and not result.others_unchanged


def test_the_wrong_change_is_caught():
    wrong_colour = scene_of(replace(CIRCLE, color="purple"), STAR, SQUARE)
    result = score_edit(SOURCE, EDITS["recolour"], draw(wrong_colour))
    assert not result.change_applied and not result.correct
    moved_too_little = scene_of(CIRCLE.moved(0.25, 0.33), STAR, SQUARE)
    assert not score_edit(SOURCE, EDITS["move"], draw(moved_too_little)).change_applied


def test_generated_edits_of_every_kind_score_perfectly_on_their_targets():
    rng = random.Random(0)
    for kind in EDIT_KINDS:
        for _ in range(3):
            triple = sample_edit(rng, kind, "test")
            assert score_edit(triple.source, triple.target, draw(triple.target)).correct
            assert not score_edit(triple.source, triple.target, draw(triple.source)).correct
