"""ShapesWorld scenes: coloured shapes on a plain background, described exactly so that every output can be checked.

A scene is resolution-free: each object has a shape, a colour, a size class and a centre in fractions of the canvas
(x from the left, y from the top). An object's bounding box has side `SIZES[size] × min(height, width)` pixels when
rendered; objects never overlap. Relations (left of / right of / above / below) compare centres.
"""

import math
import random
from dataclasses import dataclass, replace

BACKGROUND = (235, 235, 235)
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 30),
    "yellow": (235, 205, 30),
    "green": (50, 165, 70),
    "blue": (45, 85, 215),
    "purple": (140, 70, 190),
    "pink": (235, 110, 180),
    "black": (30, 30, 30),
}
SHAPES = ("circle", "square", "triangle", "star")
SIZES: dict[str, float] = {"small": 0.14, "medium": 0.22, "large": 0.32}
RELATIONS = ("left of", "right of", "above", "below")
MAX_OBJECTS = 4
# Free space kept between objects and to the canvas edge, as a fraction of the shorter side.
MARGIN = 0.02


@dataclass(frozen=True)
class ShapeObject:
    """One object: what it is and where its centre sits (fractions of canvas width and height)."""

    shape: str
    color: str
    size: str
    x: float
    y: float

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"Unknown shape {self.shape!r}; ShapesWorld has {SHAPES}.")
        if self.color not in PALETTE:
            raise ValueError(f"Unknown colour {self.color!r}; ShapesWorld has {tuple(PALETTE)}.")
        if self.size not in SIZES:
            raise ValueError(f"Unknown size {self.size!r}; ShapesWorld has {tuple(SIZES)}.")

    def moved(self, x: float, y: float) -> "ShapeObject":
        return replace(self, x=x, y=y)


def relation(a: ShapeObject, b: ShapeObject, aspect_ratio: float = 1.0) -> str:
    """The dominant relation of `a` to `b` by centres: the axis with the larger offset *in pixels* decides, so on a
    canvas of `aspect_ratio` (height / width) a vertical offset counts `aspect_ratio` times its fraction."""
    dx, dy = a.x - b.x, (a.y - b.y) * aspect_ratio
    if abs(dx) >= abs(dy):
        return "left of" if dx < 0 else "right of"
    return "above" if dy < 0 else "below"


@dataclass(frozen=True)
class Scene:
    """Objects on the canvas, in no particular order; `aspect_ratio` is height / width of the canvas."""

    objects: tuple[ShapeObject, ...]
    aspect_ratio: float = 1.0

    def overlaps(self, candidate: ShapeObject) -> bool:
        """Whether `candidate` would overlap (or crowd) an object of the scene, or leave the canvas."""
        return not fits(candidate, self.aspect_ratio) or any(
            too_close(candidate, other, self.aspect_ratio) for other in self.objects
        )


def half_extent(obj: ShapeObject, aspect_ratio: float) -> tuple[float, float]:
    """Half the bounding-box side of `obj` as fractions of canvas width and height."""
    side = SIZES[obj.size] + MARGIN  # of the shorter canvas side
    shorter_over_width = min(1.0, aspect_ratio)  # shorter side / width
    shorter_over_height = min(1.0, 1 / aspect_ratio)  # shorter side / height
    return side / 2 * shorter_over_width, side / 2 * shorter_over_height


def fits(obj: ShapeObject, aspect_ratio: float) -> bool:
    half_w, half_h = half_extent(obj, aspect_ratio)
    return half_w <= obj.x <= 1 - half_w and half_h <= obj.y <= 1 - half_h


def too_close(a: ShapeObject, b: ShapeObject, aspect_ratio: float) -> bool:
    """Bounding boxes (with the margin) intersect."""
    a_w, a_h = half_extent(a, aspect_ratio)
    b_w, b_h = half_extent(b, aspect_ratio)
    return abs(a.x - b.x) < a_w + b_w and abs(a.y - b.y) < a_h + b_h


def place(
    rng: random.Random, scene: Scene, shape: str, color: str, size: str, attempts: int = 200
) -> ShapeObject | None:
    """A uniformly random free position for a new object in `scene`, or `None` when none was found."""
    for _ in range(attempts):
        half_w, half_h = half_extent(ShapeObject(shape, color, size, 0.5, 0.5), scene.aspect_ratio)
        candidate = ShapeObject(shape, color, size, rng.uniform(half_w, 1 - half_w), rng.uniform(half_h, 1 - half_h))
        if not scene.overlaps(candidate):
            return candidate
    return None


def star_points(cx: float, cy: float, radius: float, inner_ratio: float = 0.5) -> list[tuple[float, float]]:
    """The ten vertices of a five-pointed star with one point up, outer radius `radius`."""
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * inner_ratio
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points
