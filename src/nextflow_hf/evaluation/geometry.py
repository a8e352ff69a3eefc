"""Shape geometry: each ShapesWorld shape exactly as `shapesworld.render` draws it, as numbers and as coverage maps.

A shape with nominal side 1 (the bounding-box side that `SIZES` gives) has an `area` (square 1, circle π/4, triangle
1/2, star 0.367) and a centroid offset from its nominal centre (the point-up triangle's centroid sits 1/6 below it;
the others' coincide). The detector reads sizes and centres through these numbers, and classifies a region by
comparing it with `rasterise`d candidates.
"""

import math
from dataclasses import dataclass

import numpy as np
import PIL.Image
import PIL.ImageDraw

from ..shapesworld.render import SUPERSAMPLE
from ..shapesworld.scene import SHAPES, star_points


@dataclass(frozen=True)
class ShapeTemplate:
    """A shape drawn with nominal side 1 around the origin (y down): its `area` and its centroid's offset
    `(x, y)` from the nominal centre."""

    area: float
    centroid: tuple[float, float]


def outline(shape: str, centre_x: float = 0.0, centre_y: float = 0.0, side: float = 1.0) -> list[tuple[float, float]]:
    """The polygon `render` draws for `shape` (x, y; y down), or for the circle a 720-gon (its area and centroid
    agree with the circle's to 1e-4)."""
    half = side / 2
    if shape == "circle":
        angles = np.linspace(0, 2 * math.pi, 720, endpoint=False)
        return [(centre_x + half * math.cos(a), centre_y + half * math.sin(a)) for a in angles]
    if shape == "square":
        return [(centre_x + dx * half, centre_y + dy * half) for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    if shape == "triangle":
        return [(centre_x, centre_y - half), (centre_x + half, centre_y + half), (centre_x - half, centre_y + half)]
    if shape == "star":
        return star_points(centre_x, centre_y, half)
    raise ValueError(f"Unknown shape {shape!r}; ShapesWorld has {SHAPES}.")


def polygon_area_and_centroid(vertices: list[tuple[float, float]]) -> tuple[float, tuple[float, float]]:
    """Area (absolute) and centroid of a simple polygon, by the shoelace formula."""
    points = np.asarray(vertices, dtype=np.float64)
    x, y = points[:, 0], points[:, 1]
    x_next, y_next = np.roll(x, -1), np.roll(y, -1)
    cross = x * y_next - x_next * y
    signed = cross.sum() / 2
    centroid_x = ((x + x_next) * cross).sum() / (6 * signed)
    centroid_y = ((y + y_next) * cross).sum() / (6 * signed)
    return float(abs(signed)), (float(centroid_x), float(centroid_y))


TEMPLATES: dict[str, ShapeTemplate] = {
    shape: ShapeTemplate(*polygon_area_and_centroid(outline(shape))) for shape in SHAPES
}


def rasterise(shape: str, centre_x: float, centre_y: float, side: float, height: int, width: int) -> np.ndarray:
    """The `(height, width)` coverage map in [0, 1] of `shape` with nominal `side` (pixels) centred at
    (`centre_x`, `centre_y`) (pixels from the top-left corner), drawn as `render` draws it: at `SUPERSAMPLE`× and
    box-downsampled."""
    scale = SUPERSAMPLE
    canvas = PIL.Image.new("L", (width * scale, height * scale), 0)
    draw = PIL.ImageDraw.Draw(canvas)
    cx, cy, half = centre_x * scale, centre_y * scale, side * scale / 2
    if shape == "circle":
        draw.ellipse((cx - half, cy - half, cx + half, cy + half), fill=255)
    elif shape == "square":
        draw.rectangle((cx - half, cy - half, cx + half, cy + half), fill=255)
    else:
        draw.polygon(outline(shape, cx, cy, side * scale), fill=255)
    small = canvas.resize((width, height), PIL.Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64) / 255.0
