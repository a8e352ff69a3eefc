"""Seeded random ShapesWorld scenes at any aspect ratio, built with `place` so that objects never overlap.

Every sampler takes a `random.Random` and draws only from it, so the same seed gives the same scene. Samplers retry
whole scenes when a random placement fails (rare), which keeps them exact: a returned scene always satisfies what
was asked of it.
"""

import math
import random
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from .scene import MAX_OBJECTS, SHAPES, SIZES, Scene, place
from .splits import allowed_colors

# Height / width of the canvas; beyond these the canvas is too narrow for four large objects to be placed reliably.
MIN_ASPECT_RATIO = 0.25
MAX_ASPECT_RATIO = 4.0
# How often a sampler starts a scene afresh before giving up; failures are rare, so running out signals a bug.
MAX_TRIES = 1000

T = TypeVar("T")


class ObjectSpec(NamedTuple):
    """What an object is, without where it is."""

    shape: str
    color: str
    size: str


def check_aspect_ratio(aspect_ratio: float) -> None:
    """Raises a ValueError naming `aspect_ratio` unless it is finite and within the supported range."""
    if not (math.isfinite(aspect_ratio) and MIN_ASPECT_RATIO <= aspect_ratio <= MAX_ASPECT_RATIO):
        raise ValueError(
            f"Unsupported aspect ratio {aspect_ratio!r} (height / width); "
            f"ShapesWorld supports {MIN_ASPECT_RATIO} to {MAX_ASPECT_RATIO}."
        )


def check_num_objects(num_objects: int, minimum: int = 1) -> None:
    """Raises a ValueError naming `num_objects` unless it is between `minimum` and `MAX_OBJECTS`."""
    if not minimum <= num_objects <= MAX_OBJECTS:
        raise ValueError(
            f"Unsupported object count {num_objects!r}; this needs {minimum} to {MAX_OBJECTS} objects per scene."
        )


def random_spec(rng: random.Random, split: str, shape: str | None = None, color: str | None = None) -> ObjectSpec:
    """A random object of `split` (no held-out pair in train), with `shape` and `color` fixed when given."""
    shape = shape or rng.choice(SHAPES)
    color = color or rng.choice(allowed_colors(shape, split))
    return ObjectSpec(shape, color, rng.choice(tuple(SIZES)))


def place_objects(
    rng: random.Random, specs: Sequence[ObjectSpec], aspect_ratio: float, base: Scene | None = None
) -> Scene | None:
    """`base` (or an empty canvas) with `specs` added in order at random free positions; `None` when one did not fit."""
    scene = base or Scene((), aspect_ratio)
    for spec in specs:
        obj = place(rng, scene, spec.shape, spec.color, spec.size)
        if obj is None:
            return None
        scene = Scene((*scene.objects, obj), scene.aspect_ratio)
    return scene


def retry(make: Callable[[], T | None], what: str) -> T:
    """The first result of `make()` that is not `None`, over at most `MAX_TRIES` calls."""
    for _ in range(MAX_TRIES):
        result = make()
        if result is not None:
            return result
    raise RuntimeError(f"Could not sample {what} in {MAX_TRIES} tries.")


def sample_scene(
    rng: random.Random,
    aspect_ratio: float = 1.0,
    split: str = "train",
    num_objects: int | None = None,
    min_objects: int = 1,
) -> Scene:
    """A random scene of `num_objects` objects (random between `min_objects` and 4 when `None`) of `split`."""
    check_aspect_ratio(aspect_ratio)
    check_num_objects(min_objects)
    if num_objects is None:
        num_objects = rng.randint(min_objects, MAX_OBJECTS)
    check_num_objects(num_objects, min_objects)
    return retry(
        lambda: place_objects(rng, [random_spec(rng, split) for _ in range(num_objects)], aspect_ratio), "a scene"
    )
