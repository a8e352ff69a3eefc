"""Edits of a scene (recolour, add, remove, move, resize) and instruction triples (source, instruction, target).

An edit changes exactly one object and leaves every other object as it was, in the same order: recolour, move and
resize replace the object at `index`; add appends the new object (its index is the last); remove deletes the object
at `index` of the source. Edited objects are named unambiguously in the source (see `words.reference`); a move goes
straight along one axis by at least `MIN_SHIFT` of the canvas, and the changed object still fits without overlap.
Stories (`sequences`) chain the same edits with narrating sentences instead of instructions.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from .sampling import check_aspect_ratio, random_spec, retry, sample_scene
from .scene import MAX_OBJECTS, SIZES, Scene, ShapeObject, half_extent, place
from .splits import Templates, allowed_colors, check_split
from .words import DIRECTION_PHRASES, DIRECTIONS, describe, reference, with_article

EDIT_KINDS = ("recolour", "add", "remove", "move", "resize")
# The shortest move, as a fraction of the canvas width (left / right) or height (up / down).
MIN_SHIFT = 0.15
# Object counts of source scenes per kind: an added object needs room for itself, a removed one leaves one behind.
SOURCE_OBJECTS = {"add": (1, MAX_OBJECTS - 1), "remove": (2, MAX_OBJECTS)}
INSTRUCTION_TEMPLATES: dict[str, Templates] = {
    "recolour": Templates(
        train=("make the {ref} {color}", "paint the {ref} {color}", "recolour the {ref} {color}"),
        test=("change the colour of the {ref} to {color}",),
    ),
    "add": Templates(train=("add {a}", "put {a} in the picture"), test=("insert {a}",)),
    "remove": Templates(train=("remove the {ref}", "delete the {ref}"), test=("get rid of the {ref}",)),
    "move": Templates(train=("move the {ref} {dir}", "shift the {ref} {dir}"), test=("slide the {ref} {dir}",)),
    "resize": Templates(
        train=("make the {ref} {size}", "resize the {ref} to {size}"),
        test=("change the size of the {ref} to {size}",),
    ),
}


@dataclass(frozen=True)
class Edit:
    """One change: its kind, the edited object's index (in the target for add, in the source otherwise), the scene
    after it and the words that describe it (the fields of instruction and narration templates)."""

    kind: str
    index: int
    target: Scene
    fields: dict[str, str]


@dataclass(frozen=True)
class EditTriple:
    """An instruction that turns `source` into `target`, by an edit of `kind` on object `index` (see `Edit`)."""

    source: Scene
    instruction: str
    target: Scene
    kind: str
    index: int


def check_edit_kind(kind: str) -> None:
    """Raises a ValueError naming `kind` unless it is one of `EDIT_KINDS`."""
    if kind not in EDIT_KINDS:
        raise ValueError(f"Unknown edit kind {kind!r}; ShapesWorld edits are {EDIT_KINDS}.")


def without(scene: Scene, index: int) -> Scene:
    """`scene` minus object `index`."""
    return Scene(scene.objects[:index] + scene.objects[index + 1 :], scene.aspect_ratio)


def replaced(scene: Scene, index: int, obj: ShapeObject) -> Scene:
    """`scene` with object `index` replaced by `obj`."""
    return Scene(scene.objects[:index] + (obj,) + scene.objects[index + 1 :], scene.aspect_ratio)


def shifted(rng: random.Random, scene: Scene, index: int, direction: str, min_shift: float) -> ShapeObject | None:
    """Object `index` moved straight in `direction` by at least `min_shift` to a free spot, or `None` if none was
    found. Only the coordinate along the direction changes."""
    obj, others = scene.objects[index], without(scene, index)
    dx, dy = DIRECTIONS[direction]
    half = half_extent(obj, scene.aspect_ratio)[0 if dx else 1]
    start = obj.x if dx else obj.y
    low, high = (half, start - min_shift) if dx + dy < 0 else (start + min_shift, 1 - half)
    if low > high:
        return None
    for _ in range(50):
        value = rng.uniform(low, high)
        candidate = obj.moved(value, obj.y) if dx else obj.moved(obj.x, value)
        if not others.overlaps(candidate):
            return candidate
    return None


def recolour(rng: random.Random, scene: Scene, index: int, split: str) -> Edit | None:
    """Object `index` in another colour it may have in `split`."""
    obj = scene.objects[index]
    color = rng.choice([c for c in allowed_colors(obj.shape, split) if c != obj.color])
    return Edit("recolour", index, replaced(scene, index, replace(obj, color=color)), {"color": color})


def add(rng: random.Random, scene: Scene, split: str) -> Edit | None:
    """A random object of `split` at a random free spot, or `None` when the scene is full or has no room for it."""
    if len(scene.objects) >= MAX_OBJECTS:
        return None
    spec = random_spec(rng, split)
    obj = place(rng, scene, spec.shape, spec.color, spec.size)
    if obj is None:
        return None
    target = Scene((*scene.objects, obj), scene.aspect_ratio)
    return Edit("add", len(scene.objects), target, {"a": with_article(describe(obj, size=True))})


def remove(rng: random.Random, scene: Scene, index: int, split: str) -> Edit | None:
    """The scene without object `index`, unless it is the last one."""
    return Edit("remove", index, without(scene, index), {}) if len(scene.objects) > 1 else None


def move(rng: random.Random, scene: Scene, index: int, split: str) -> Edit | None:
    """Object `index` moved in a random direction by at least `MIN_SHIFT`, if it has room there."""
    direction = rng.choice(tuple(DIRECTIONS))
    obj = shifted(rng, scene, index, direction, MIN_SHIFT)
    if obj is None:
        return None
    return Edit("move", index, replaced(scene, index, obj), {"dir": DIRECTION_PHRASES[direction]})


def resize(rng: random.Random, scene: Scene, index: int, split: str) -> Edit | None:
    """Object `index` in another size around the same centre, if it still fits without overlap."""
    obj = scene.objects[index]
    resized = replace(obj, size=rng.choice([size for size in SIZES if size != obj.size]))
    if without(scene, index).overlaps(resized):
        return None
    return Edit("resize", index, replaced(scene, index, resized), {"size": resized.size})


# Edits of an existing object (add is the one that creates its object).
EDITORS: dict[str, Callable[[random.Random, Scene, int, str], Edit | None]] = {
    "recolour": recolour,
    "remove": remove,
    "move": move,
    "resize": resize,
}


def apply_edit(rng: random.Random, scene: Scene, kind: str, split: str = "train") -> Edit | None:
    """A random edit of `kind` to `scene` (of a random nameable object, except for add), keeping held-out pairs out
    of train; `None` when this scene does not allow one."""
    check_edit_kind(kind)
    check_split(split)
    if kind == "add":
        return add(rng, scene, split)
    named = [i for i in range(len(scene.objects)) if reference(scene, i) is not None]
    if not named:
        return None
    index = rng.choice(named)
    edit = EDITORS[kind](rng, scene, index, split)
    return None if edit is None else replace(edit, fields={**edit.fields, "ref": reference(scene, index)})


def sample_edit(
    rng: random.Random, kind: str | None = None, split: str = "train", aspect_ratio: float = 1.0
) -> EditTriple:
    """A random source scene of `split`, an edit of `kind` (random when `None`) and its instruction."""
    if kind is None:
        kind = rng.choice(EDIT_KINDS)
    check_edit_kind(kind)
    check_split(split)
    check_aspect_ratio(aspect_ratio)
    low, high = SOURCE_OBJECTS.get(kind, (1, MAX_OBJECTS))

    def attempt() -> EditTriple | None:
        source = sample_scene(rng, aspect_ratio, split, num_objects=rng.randint(low, high))
        edit = apply_edit(rng, source, kind, split)
        if edit is None:
            return None
        instruction = INSTRUCTION_TEMPLATES[kind].pick(rng, split).format(**edit.fields)
        return EditTriple(source, instruction, edit.target, kind, edit.index)

    return retry(attempt, f"a {kind} edit")
