"""Edit triples: exactly one object changes, in exactly the way the instruction says."""

import random

import pytest

from nextflow_hf.shapesworld.edits import EDIT_KINDS, MIN_SHIFT, sample_edit
from nextflow_hf.shapesworld.words import describe, reference

from .checks import assert_valid_scene, find, single_change

# The signed move of the changed coordinate for each last word of a move instruction.
DIRECTION_OF_WORD = {"left": ("x", -1), "right": ("x", 1), "up": ("y", -1), "down": ("y", 1)}


def assert_follows_instruction(triple):
    kind, index = single_change(triple.source, triple.target)
    assert (kind, index) == (triple.kind, triple.index)
    last_word = triple.instruction.split()[-1]
    if kind == "add":
        assert describe(triple.target.objects[index], size=True) in triple.instruction
        return
    name = reference(triple.source, index)
    assert f"the {name}" in triple.instruction and find(triple.source, name) == index
    before = triple.source.objects[index]
    if kind == "recolour":
        assert triple.target.objects[index].color == last_word != before.color
    elif kind == "resize":
        assert triple.target.objects[index].size == last_word != before.size
    elif kind == "move":
        axis, sign = DIRECTION_OF_WORD[last_word]
        shift = getattr(triple.target.objects[index], axis) - getattr(before, axis)
        assert shift * sign >= MIN_SHIFT


@pytest.mark.parametrize("kind", EDIT_KINDS)
@pytest.mark.parametrize("split", ["train", "test"])
def test_edits_change_exactly_what_the_instruction_says(kind, split):
    rng = random.Random(0)
    instructions = set()
    for _ in range(60):
        triple = sample_edit(rng, kind, split, aspect_ratio=rng.choice([0.5, 1.0, 2.0]))
        assert_follows_instruction(triple)
        assert_valid_scene(triple.source, split)
        assert_valid_scene(triple.target, split)
        instructions.add(triple.instruction)
    assert len(instructions) > 10


def test_moves_go_every_way():
    rng = random.Random(1)
    assert {sample_edit(rng, "move").instruction.split()[-1] for _ in range(60)} == set(DIRECTION_OF_WORD)


def test_same_seed_same_edit_and_different_seeds_differ():
    for kind in EDIT_KINDS:
        assert sample_edit(random.Random(3), kind) == sample_edit(random.Random(3), kind)
        assert sample_edit(random.Random(3), kind) != sample_edit(random.Random(4), kind)


def test_unknown_edit_kind_is_named():
    with pytest.raises(ValueError, match="'rotate'"):
        sample_edit(random.Random(0), "rotate")
