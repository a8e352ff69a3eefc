"""GenEval captions and knowledge prompts: each ground-truth scene satisfies its prompt, checked on its objects."""

import random

import pytest

from nextflow_hf.shapesworld import GENEVAL_CATEGORIES, PALETTE, SHAPES, relation
from nextflow_hf.shapesworld.captions import COUNTS, sample_caption, sample_captions
from nextflow_hf.shapesworld.knowledge import REFERENTS, sample_knowledge
from nextflow_hf.shapesworld.words import RELATION_PHRASES, number_word, plural

from .checks import assert_valid_scene, satisfies

SPLITS = ("train", "test")


def samples(category, split, count=60, aspect_ratio=1.0, seed=0):
    rng = random.Random(seed)
    return [sample_caption(rng, category, split, aspect_ratio) for _ in range(count)]


@pytest.mark.parametrize("category", GENEVAL_CATEGORIES)
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("aspect_ratio", [0.25, 0.5, 1.0, 3.0, 4.0])
def test_ground_truth_scenes_satisfy_their_prompts(category, split, aspect_ratio):
    for sample in samples(category, split, aspect_ratio=aspect_ratio):
        assert sample.prompt.category == category
        assert satisfies(sample.prompt, sample.scene), sample
        assert_valid_scene(sample.scene, split)
        # A ground truth holds exactly the objects asked for.
        assert len(sample.scene.objects) == sum(req.count for req in sample.prompt.requirements)


@pytest.mark.parametrize("split", SPLITS)
def test_single_object(split):
    for sample in samples("single_object", split):
        (req,) = sample.prompt.requirements
        assert req.count == 1 and req.color is None and sample.scene.objects[0].shape == req.shape
        assert req.shape in sample.prompt.text


@pytest.mark.parametrize("split", SPLITS)
def test_two_objects_are_two_different_shapes(split):
    for sample in samples("two_objects", split):
        a, b = sample.prompt.requirements
        assert a.shape != b.shape and [o.shape for o in sample.scene.objects] == [a.shape, b.shape]
        assert sample.prompt.text.index(a.shape) < sample.prompt.text.index(b.shape)


@pytest.mark.parametrize("split", SPLITS)
def test_counting_is_exact(split):
    seen = set()
    for sample in samples("counting", split):
        (req,) = sample.prompt.requirements
        assert sample.prompt.exact_count and req.count in COUNTS
        assert [o.shape for o in sample.scene.objects] == [req.shape] * req.count
        assert f"{number_word(req.count)} {plural(req.shape)}" in sample.prompt.text
        seen.add(req.count)
    assert seen == set(COUNTS)


@pytest.mark.parametrize("split", SPLITS)
def test_colors_name_shape_and_colour(split):
    for sample in samples("colors", split):
        (req,) = sample.prompt.requirements
        (obj,) = sample.scene.objects
        assert (obj.shape, obj.color) == (req.shape, req.color)
        assert req.shape in sample.prompt.text and req.color in sample.prompt.text


@pytest.mark.parametrize("split", SPLITS)
def test_position_relations_hold_between_centres(split):
    relations = set()
    for sample in samples("position", split, count=120):
        rel = sample.prompt.relation
        assert (rel.subject, rel.anchor) == (0, 1)
        subject, anchor = sample.scene.objects
        assert relation(subject, anchor, sample.scene.aspect_ratio) == rel.relation
        assert [subject.shape, anchor.shape] == [req.shape for req in sample.prompt.requirements]
        assert subject.shape != anchor.shape
        text = sample.prompt.text
        assert any(f"{subject.shape} {phrase} a {anchor.shape}" in text for phrase in RELATION_PHRASES[rel.relation])
        relations.add(rel.relation)
    assert relations == set(RELATION_PHRASES)


@pytest.mark.parametrize("split", SPLITS)
def test_colour_attribution_binds_each_colour_to_its_shape(split):
    for sample in samples("color_attr", split):
        a, b = sample.prompt.requirements
        assert a.shape != b.shape and a.color != b.color
        assert [(o.shape, o.color) for o in sample.scene.objects] == [(a.shape, a.color), (b.shape, b.color)]
        assert f"{a.color} {a.shape}" in sample.prompt.text and f"{b.color} {b.shape}" in sample.prompt.text


def test_captions_vary_their_phrasing():
    texts = {s.prompt.text.replace("circle", "X").replace("square", "X") for s in samples("single_object", "train")}
    assert len(texts) >= 6


def test_same_seed_same_caption_and_different_seeds_differ():
    for category in GENEVAL_CATEGORIES:
        assert samples(category, "train", 5, seed=1) == samples(category, "train", 5, seed=1)
        assert samples(category, "train", 5, seed=1) != samples(category, "train", 5, seed=2)


def test_evaluation_prompt_sets_take_each_category_in_turn_and_are_fixed_by_their_seed():
    prompts = sample_captions(3, "test", seed=4)
    assert [sample.prompt.category for sample in prompts] == [c for c in GENEVAL_CATEGORIES for _ in range(3)]
    assert prompts == sample_captions(3, "test", seed=4) and prompts != sample_captions(3, "test", seed=5)
    assert prompts[:3] == samples(GENEVAL_CATEGORIES[0], "test", 3, seed=4)


def test_unknown_category_is_named():
    with pytest.raises(ValueError, match="'relations'"):
        sample_caption(random.Random(0), "relations")


KNOWN_COLOURS = {
    "a banana": "yellow",
    "grass": "green",
    "the sky": "blue",
    "the ocean": "blue",
    "coal": "black",
    "night": "black",
    "a flamingo": "pink",
    "an orange": "orange",
    "a ripe tomato": "red",
    "a plum": "purple",
    "an eggplant": "purple",
}


def test_referents_name_the_right_colours():
    for thing, color in KNOWN_COLOURS.items():
        assert thing in REFERENTS[color]
    assert set(REFERENTS) == set(PALETTE)


@pytest.mark.parametrize("split", SPLITS)
def test_knowledge_prompts_resolve_to_the_referents_colour(split):
    rng = random.Random(0)
    referents = set()
    for _ in range(100):
        sample = sample_knowledge(rng, split)
        (req,) = sample.resolved.requirements
        assert sample.referent in sample.text and sample.referent in REFERENTS[req.color]
        assert req.color not in sample.text.replace(sample.referent, "").split(), "only the referent names the colour"
        assert req.shape in sample.text and req.shape in SHAPES
        assert sample.resolved.category == "colors"
        assert sample.resolved.text == f"{'an' if req.color == 'orange' else 'a'} {req.color} {req.shape}"
        assert sample.reasoning == f"{sample.referent} is {req.color}, so the {req.shape} is {req.color}."
        assert satisfies(sample.resolved, sample.scene) and len(sample.scene.objects) == 1
        assert_valid_scene(sample.scene, split)
        referents.add(sample.referent)
    assert len(referents) > 5


def test_same_seed_same_knowledge_prompt_and_different_seeds_differ():
    assert sample_knowledge(random.Random(1)) == sample_knowledge(random.Random(1))
    assert sample_knowledge(random.Random(1)) != sample_knowledge(random.Random(2))
