"""Matching objects of two scenes: which expected object each detected one is, and what is missing or extra.

Two objects match when shape, colour and size are equal and their centres are within a tolerance, measured in pixels
as a fraction of the shorter canvas side (so it means the same on any canvas). Pairs are taken greedily, closest
first; objects never overlap and the tolerance is far below an object's size, so the greedy choice is the only
sensible one.
"""

import math
from dataclasses import dataclass

from ..shapesworld import Scene, ShapeObject
from .detector import detect_objects, recognised_scene
from .images import ImageLike, aspect_ratio_of

# How far a detected centre may be from the expected one, as a fraction of the shorter canvas side. The detector is
# within 0.006 on rendered scenes down to 64 px through JPEG and blur; ShapesWorld moves are 0.075 or more.
POSITION_TOLERANCE = 0.05


@dataclass(frozen=True)
class SceneMatch:
    """The outcome of matching expected objects against detected ones: matched `pairs` (expected, detected), the
    expected objects `missing`, the detected objects `extra`, and the number of `unrecognised` regions (palette-
    coloured regions of no ShapesWorld shape or size)."""

    pairs: tuple[tuple[ShapeObject, ShapeObject], ...]
    missing: tuple[ShapeObject, ...]
    extra: tuple[ShapeObject, ...]
    unrecognised: int = 0

    @property
    def exact(self) -> bool:
        """Every expected object is there, and nothing else is."""
        return not self.missing and not self.extra and self.unrecognised == 0


def attributes(obj: ShapeObject) -> tuple[str, str, str]:
    """What an object is, regardless of where: (shape, colour, size)."""
    return obj.shape, obj.color, obj.size


def centre_distance(a: ShapeObject, b: ShapeObject, aspect_ratio: float) -> float:
    """Distance between centres in pixels over the shorter canvas side, on a canvas of `aspect_ratio` (height /
    width)."""
    width, height = max(1.0, 1 / aspect_ratio), max(1.0, aspect_ratio)  # canvas sides over the shorter side
    return math.hypot((a.x - b.x) * width, (a.y - b.y) * height)


def match_scenes(expected: Scene, detected: Scene, tolerance: float = POSITION_TOLERANCE) -> SceneMatch:
    """Matches the objects of `detected` to those of `expected` (see the module docstring); distances are measured on
    `detected`'s canvas."""
    candidates = sorted(
        (centre_distance(want, found, detected.aspect_ratio), i, j)
        for i, want in enumerate(expected.objects)
        for j, found in enumerate(detected.objects)
        if attributes(want) == attributes(found)
    )
    pairs: dict[int, int] = {}
    for distance, i, j in candidates:
        if distance > tolerance:
            break
        if i not in pairs and j not in pairs.values():
            pairs[i] = j
    return SceneMatch(
        pairs=tuple((expected.objects[i], detected.objects[j]) for i, j in sorted(pairs.items())),
        missing=tuple(obj for i, obj in enumerate(expected.objects) if i not in pairs),
        extra=tuple(obj for j, obj in enumerate(detected.objects) if j not in pairs.values()),
    )


def match_image(expected: Scene, image: ImageLike, tolerance: float = POSITION_TOLERANCE) -> SceneMatch:
    """Matches the objects detected in `image` to `expected`, counting regions of no ShapesWorld shape as
    `unrecognised` (they make the match inexact: something is there that should not be)."""
    found = detect_objects(image)
    match = match_scenes(expected, recognised_scene(found, aspect_ratio_of(image)), tolerance)
    return SceneMatch(match.pairs, match.missing, match.extra, unrecognised=sum(not obj.recognised for obj in found))
