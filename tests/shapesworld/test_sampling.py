"""Random scenes: the world's rules at every aspect ratio, seeded determinism, clear errors, exact serialisation."""

import random

import pytest

from nextflow_hf.shapesworld import SHAPES, Scene, ShapeObject
from nextflow_hf.shapesworld.captions import sample_caption
from nextflow_hf.shapesworld.sampling import sample_scene
from nextflow_hf.shapesworld.serialization import (
    prompt_from_json,
    prompt_to_json,
    scene_from_dict,
    scene_from_json,
    scene_to_dict,
    scene_to_json,
)
from nextflow_hf.shapesworld.splits import allowed_colors

from .checks import assert_valid_scene

ASPECT_RATIOS = (0.25, 0.5, 1.0, 4 / 3, 2.0, 4.0)


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
@pytest.mark.parametrize("split", ["train", "test"])
def test_scenes_keep_the_rules_at_every_aspect_ratio(aspect_ratio, split):
    rng = random.Random(0)
    for _ in range(100):
        scene = sample_scene(rng, aspect_ratio, split)
        assert scene.aspect_ratio == aspect_ratio
        assert_valid_scene(scene, split)


@pytest.mark.parametrize("aspect_ratio", [0.25, 1.0, 4.0])
def test_four_objects_fit_even_on_the_narrowest_canvases(aspect_ratio):
    rng = random.Random(1)
    for _ in range(20):
        assert len(sample_scene(rng, aspect_ratio, num_objects=4).objects) == 4


def test_scene_sizes_cover_one_to_four_objects():
    rng = random.Random(2)
    assert {len(sample_scene(rng).objects) for _ in range(200)} == {1, 2, 3, 4}


def test_same_seed_same_scene_and_different_seeds_differ():
    assert sample_scene(random.Random(5), 1.5) == sample_scene(random.Random(5), 1.5)
    assert sample_scene(random.Random(5), 1.5) != sample_scene(random.Random(6), 1.5)


@pytest.mark.parametrize("aspect_ratio", [0.0, -1.0, 0.2, 5.0, float("nan"), float("inf")])
def test_unsupported_aspect_ratios_are_named(aspect_ratio):
    with pytest.raises(ValueError, match=f"aspect ratio {aspect_ratio!r}"):
        sample_scene(random.Random(0), aspect_ratio)


@pytest.mark.parametrize("num_objects", [0, 5])
def test_unsupported_object_counts_are_named(num_objects):
    with pytest.raises(ValueError, match=f"object count {num_objects}"):
        sample_scene(random.Random(0), num_objects=num_objects)


def test_unknown_split_is_named():
    with pytest.raises(ValueError, match="'validation'"):
        sample_scene(random.Random(0), split="validation")
    with pytest.raises(ValueError, match="'hexagon'"):
        allowed_colors("hexagon", "train")


def test_train_colours_leave_out_two_per_shape():
    for shape in SHAPES:
        assert len(allowed_colors(shape, "train")) == 6 and len(allowed_colors(shape, "test")) == 8


def test_scenes_round_trip_exactly_through_dicts_and_json():
    scene = sample_scene(random.Random(3), 0.75, num_objects=4)
    assert scene_from_dict(scene_to_dict(scene)) == scene
    assert scene_from_json(scene_to_json(scene)) == scene
    assert scene_from_json(scene_to_json(Scene((ShapeObject("star", "pink", "large", 0.5, 0.5),)))).aspect_ratio == 1.0


def test_scenes_from_json_are_validated():
    text = scene_to_json(Scene((ShapeObject("star", "pink", "large", 0.5, 0.5),))).replace("pink", "teal")
    with pytest.raises(ValueError, match="'teal'"):
        scene_from_json(text)


def test_drawing_prompts_round_trip_through_json():
    rng = random.Random(4)
    for category in ("counting", "position", "color_attr"):
        prompt = sample_caption(rng, category).prompt
        assert prompt_from_json(prompt_to_json(prompt)) == prompt
