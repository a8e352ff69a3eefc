"""The ShapesWorld detector: which objects an image shows — colour, shape, size class and centre — without a model.

Steps, each robust to the blur and colour drift of a VQ decoder and to JPEG:
1. every pixel is classified to a palette colour or the background by its position on the background-to-colour
   segments (`colors`), so anti-aliased edges keep their colour;
2. 4-connected components of equal colour (`components`); specks smaller than a fraction of the smallest object
   ShapesWorld draws are dropped;
3. each component is described by its colour's *coverage* over the component and a rim around it (divided by the
   interior's median coverage, so a uniformly faded colour counts fully). Blur moves coverage around but keeps its
   sum, the area, and its centroid, so these are exact to a fraction of a pixel whatever the blur;
4. the shape is found by analysis by synthesis (`fit_shape`): each ShapesWorld shape is drawn with the observed area
   and centroid, blurred as much as fits best, and compared with the coverage; the one that explains it best wins,
   and a region no shape explains well (`MAX_SHAPE_ERROR`) is reported with `shape=None`. Comparing whole coverage
   maps rather than a few mask features (fill of the bounding box, solidity) is what keeps small stars apart from
   circles once blur has rounded their points;
5. the nominal side is sqrt(area / template area) (`geometry.TEMPLATES`), the size class the nearest of `SIZES` on a
   log scale, and the centre the centroid less the template's centroid offset (the triangle's centroid sits a sixth
   of the side below its centre).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..shapesworld import SIZES, Scene, ShapeObject
from .colors import (
    BACKGROUND_LABEL,
    COLOR_NAMES,
    RESIDUAL_TOLERANCE,
    classify_pixels,
    coverage_and_residual,
)
from .components import label_components
from .filters import filter_2d, gaussian_kernel
from .geometry import TEMPLATES, rasterise
from .images import ImageLike, aspect_ratio_of, to_rgb_array

# Components smaller than this fraction of the smallest object ShapesWorld draws (a small star) are specks.
MIN_AREA_FRACTION = 0.3
# A region whose best-fitting shape still misses more than this fraction of its mass is no ShapesWorld shape. Through
# JPEG and blur, 99% of rendered objects fit within 0.08 at 128 px and within 0.13 at 64 px; a 2:1 ellipse misses
# 0.42, a point-down triangle 0.36, two touching circles 0.56.
MAX_SHAPE_ERROR = 0.2
# Candidates are blurred by at most this fraction of their side: beyond it no shape can be told from another.
MAX_BLUR_FRACTION = 0.15
# Blurs narrower than this (pixels) are not applied; the search for the best blur stops at this precision.
MIN_BLUR = 0.1
BLUR_TOLERANCE = 0.05
# A region whose nominal side is further than this factor from every size class has no size class.
MAX_SIZE_FACTOR = 1.25
# Width of the rim around a component over which coverage is summed, as a fraction of the shorter canvas side (and
# at least 2 pixels): the blurred edge, but less than half the gap ShapesWorld keeps between objects.
RIM_FRACTION = 0.01


@dataclass(frozen=True)
class DetectedObject:
    """One detected region of a palette colour.

    `shape` and `size` are `None` when the region matches no ShapesWorld shape or size class. `x`, `y` is the centre
    in fractions of the canvas width and height (as in `ShapeObject`); `side` the nominal side as a fraction of the
    shorter canvas side; `area` the pixels of its mask; `shape_error` how far the best-fitting shape is from the
    region (see `fit_shape`) and `blur` the Gaussian blur (pixels) it was seen through.
    """

    color: str
    shape: str | None
    size: str | None
    x: float
    y: float
    side: float
    area: int
    shape_error: float
    blur: float

    @property
    def recognised(self) -> bool:
        return self.shape is not None and self.size is not None

    def to_shape_object(self) -> ShapeObject:
        """The object as a `ShapeObject`; a ValueError for an unrecognised region."""
        if not self.recognised:
            raise ValueError(f"A {self.color} region of no ShapesWorld shape or size class is not a ShapeObject.")
        return ShapeObject(self.shape, self.color, self.size, self.x, self.y)


def detect(image: ImageLike) -> Scene:
    """The scene an image shows: every recognised object (see `detect_objects`), with the canvas aspect ratio."""
    return recognised_scene(detect_objects(image), aspect_ratio_of(image))


def recognised_scene(found: list[DetectedObject], aspect_ratio: float) -> Scene:
    """The recognised objects of `found` as a scene on a canvas of `aspect_ratio` (height / width)."""
    return Scene(tuple(obj.to_shape_object() for obj in found if obj.recognised), aspect_ratio=aspect_ratio)


def detect_objects(image: ImageLike) -> list[DetectedObject]:
    """Every region of a palette colour larger than a speck, recognised or not, in raster order of its top-left
    pixel. See the module docstring for how each is measured."""
    rgb = to_rgb_array(image)
    height, width = rgb.shape[:2]
    shorter = min(height, width)
    alpha, residual = coverage_and_residual(rgb)
    colors = classify_pixels(alpha, residual)
    components, count = label_components(colors, BACKGROUND_LABEL)
    if count == 0:
        return []
    areas = np.bincount(components[components >= 0], minlength=count)
    min_area = MIN_AREA_FRACTION * TEMPLATES["star"].area * (min(SIZES.values()) * shorter) ** 2
    kept = np.nonzero(areas >= max(min_area, 1.0))[0]
    kept_mask = np.isin(components, kept)
    rim = max(2, math.ceil(RIM_FRACTION * shorter))
    detected = []
    for component in kept:
        mask = components == component
        rows, columns = np.nonzero(mask)
        color = int(colors[rows[0], columns[0]])
        top, left = max(rows.min() - rim, 0), max(columns.min() - rim, 0)
        window = (slice(top, min(rows.max() + 1 + rim, height)), slice(left, min(columns.max() + 1 + rim, width)))
        own = mask[window]
        # The colour's coverage over the mask and a rim around it (leaving out other objects' masks), only where the
        # pixel does lie on this colour's segment, divided by the interior's median coverage (undoing a uniform fade;
        # mask pixels are at least half covered, so the median is at least a half).
        region = dilate(own, rim) & (own | ~kept_mask[window])
        on_segment = residual[window][..., color] <= RESIDUAL_TOLERANCE
        interior = erode(own, 1)
        fade = float(np.median(alpha[window][..., color][interior if interior.any() else own]))
        coverage = np.where(region & on_segment, alpha[window][..., color], 0.0) / fade
        fit = fit_shape(coverage)
        if fit.error > MAX_SHAPE_ERROR:
            shape, size = None, None
        else:
            shape, size = fit.shape, nearest_size(fit.side / shorter)
        detected.append(
            DetectedObject(
                color=COLOR_NAMES[color],
                shape=shape,
                size=size,
                x=(left + fit.centre_x) / width,
                y=(top + fit.centre_y) / height,
                side=fit.side / shorter,
                area=int(areas[component]),
                shape_error=fit.error,
                blur=fit.blur,
            )
        )
    return detected


@dataclass(frozen=True)
class ShapeFit:
    """The best explanation of a coverage map by one shape: its nominal `side` and centre (pixels, in the map's
    coordinates), the Gaussian `blur` (standard deviation, pixels) it was seen through, and the `error`: the L1
    difference between the map and the blurred shape, as a fraction of the map's mass."""

    shape: str
    side: float
    centre_x: float
    centre_y: float
    blur: float
    error: float


def fit_shape(coverage: np.ndarray) -> ShapeFit:
    """The shape that best explains a coverage map holding one object (see the module docstring).

    Each candidate gets the side that gives it the observed mass and the centre that gives it the observed centroid;
    it is drawn as `render` would, blurred by the Gaussian (searched between none and `MAX_BLUR_FRACTION` of its
    side) that brings it closest to the map, and compared pixel by pixel. Candidate mass falling outside the map
    counts as error too, so a candidate cannot hide beyond the window.
    """
    height, width = coverage.shape
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    mass = coverage.sum()
    centroid_x, centroid_y = (coverage * xs).sum() / mass, (coverage * ys).sum() / mass
    fits = []
    for shape, template in TEMPLATES.items():
        side = math.sqrt(mass / template.area)
        centre_x = centroid_x - template.centroid[0] * side
        centre_y = centroid_y - template.centroid[1] * side
        sharp = rasterise(shape, centre_x, centre_y, side, height, width)
        full_mass = template.area * side**2

        def error(blur: float, sharp: np.ndarray = sharp, full_mass: float = full_mass) -> float:
            candidate = filter_2d(sharp, gaussian_kernel(blur)) if blur >= MIN_BLUR else sharp
            outside = max(full_mass - candidate.sum(), 0.0)
            return float((np.abs(coverage - candidate).sum() + outside) / mass)

        blur = golden_section_minimum(error, 0.0, MAX_BLUR_FRACTION * side, BLUR_TOLERANCE)
        blur = blur if blur >= MIN_BLUR else 0.0
        fits.append(ShapeFit(shape, side, float(centre_x), float(centre_y), blur, error(blur)))
    return min(fits, key=lambda fit: fit.error)


def golden_section_minimum(function: Callable[[float], float], low: float, high: float, tolerance: float) -> float:
    """The argument in [`low`, `high`] minimising a unimodal `function`, to within `tolerance`."""
    ratio = (math.sqrt(5) - 1) / 2
    left, right = high - ratio * (high - low), low + ratio * (high - low)
    value_left, value_right = function(left), function(right)
    while high - low > tolerance:
        if value_left <= value_right:
            high, right, value_right = right, left, value_left
            left = high - ratio * (high - low)
            value_left = function(left)
        else:
            low, left, value_left = left, right, value_right
            right = low + ratio * (high - low)
            value_right = function(right)
    return (low + high) / 2


def nearest_size(side: float) -> str | None:
    """The size class whose side (fraction of the shorter canvas side) is nearest to `side` on a log scale, or
    `None` when it is more than `MAX_SIZE_FACTOR` away from all of them."""
    size = min(SIZES, key=lambda name: abs(math.log(side / SIZES[name])))
    return size if abs(math.log(side / SIZES[size])) <= math.log(MAX_SIZE_FACTOR) else None


def dilate(mask: np.ndarray, steps: int, outside: bool = False) -> np.ndarray:
    """`mask` grown by `steps` pixels (3×3 square neighbourhood per step); pixels beyond the array count as
    `outside`."""
    grown = mask.copy()
    for _ in range(steps):
        padded = np.pad(grown, 1, constant_values=outside)
        grown = np.zeros_like(mask)
        for dy in range(3):
            for dx in range(3):
                grown |= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return grown


def erode(mask: np.ndarray, steps: int) -> np.ndarray:
    """`mask` shrunk by `steps` pixels: the pixels whose whole 3×3 neighbourhood stays in the mask, per step."""
    return ~dilate(~mask, steps, outside=True)
