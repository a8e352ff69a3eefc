"""Questions about scenes: answers recomputed from the scene's objects, canonical forms, determinism, errors."""

import random
import re

import pytest

from nextflow_hf.shapesworld import PALETTE, RELATIONS, SHAPES, relation
from nextflow_hf.shapesworld.questions import QUESTION_KINDS, normalize_answer, sample_question
from nextflow_hf.shapesworld.words import NUMBER_WORDS

from .checks import assert_valid_scene, find

NAME = r"((?:\w+ )?\w+)"


def words_of(text, vocabulary):
    return [word for word in re.findall(r"\w+", text) if word in vocabulary]


def expected_answer(kind, question, scene):
    """The answer worked out from the question's words and the scene's objects."""
    objects = scene.objects
    if kind == "color":
        (shape,) = words_of(question, SHAPES)
        return objects[find(scene, shape)].color
    if kind == "count":
        (shape,) = [s for s in SHAPES if f"{s}s" in question]
        return NUMBER_WORDS[sum(o.shape == shape for o in objects)]
    if kind == "shape":
        (color,) = words_of(question, PALETTE)
        (obj,) = [o for o in objects if o.color == color]
        return obj.shape
    if kind == "exists":
        (color,), (shape,) = words_of(question, PALETTE), words_of(question, SHAPES)
        return "yes" if any(o.shape == shape and o.color == color for o in objects) else "no"
    a, b = re.search(rf"the {NAME} (?:relative to|compared with) the {NAME}\W", question).groups()
    return relation(objects[find(scene, a)], objects[find(scene, b)], scene.aspect_ratio)


@pytest.mark.parametrize("kind", QUESTION_KINDS)
@pytest.mark.parametrize("split", ["train", "test"])
def test_answers_are_right_for_their_scenes(kind, split):
    rng = random.Random(0)
    answers = set()
    for _ in range(80):
        qa = sample_question(rng, kind, split, aspect_ratio=rng.choice([0.5, 1.0, 2.0]))
        assert qa.kind == kind
        assert qa.answer == expected_answer(kind, qa.question, qa.scene), qa
        assert qa.answer == qa.answer.lower() and normalize_answer(qa.answer) == qa.answer
        assert_valid_scene(qa.scene, split)
        answers.add(qa.answer)
    canonical = {
        "color": set(PALETTE),
        "count": set(NUMBER_WORDS),
        "shape": set(SHAPES),
        "exists": {"yes", "no"},
        "relation": set(RELATIONS),
    }[kind]
    assert answers <= canonical and len(answers) >= 2


def test_a_random_kind_covers_every_kind():
    rng = random.Random(1)
    assert {sample_question(rng).kind for _ in range(100)} == set(QUESTION_KINDS)


def test_same_seed_same_question_and_different_seeds_differ():
    for kind in QUESTION_KINDS:
        assert sample_question(random.Random(3), kind) == sample_question(random.Random(3), kind)
        assert sample_question(random.Random(3), kind) != sample_question(random.Random(4), kind)


def test_unknown_kind_is_named():
    with pytest.raises(ValueError, match="'size'"):
        sample_question(random.Random(0), "size")


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("3", "three"),
        ("Three.", "three"),
        ("  The Circle ", "circle"),
        ("to the left of", "left of"),
        ("Beneath!", "below"),
        ("Yes", "yes"),
        ("0", "zero"),
        ("12", "12"),
    ],
)
def test_replies_normalize_to_canonical_answers(reply, answer):
    assert normalize_answer(reply) == answer
