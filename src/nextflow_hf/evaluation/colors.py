"""Per-pixel colour classification: which palette colour, if any, a pixel shows, and how much of it.

Every ShapesWorld pixel is a blend of one palette colour with the background: interiors are pure colour, edges are
anti-aliased (and blurred further by a VQ decoder or JPEG). So each colour is modelled as the segment from the
background to that colour in RGB, and a pixel is described, per colour, by its *coverage* `alpha` (the position of
its projection on the segment: 0 at the background, 1 at the pure colour) and its *residual* (its distance from the
segment). A pixel belongs to the colour whose segment it lies closest to, when it is at least half covered and the
residual is within a tolerance; otherwise it is background. Classifying by segment rather than by nearest colour
matters at edges: half of red over the light background is nearer pink than red as a point, but it lies on red's
segment.
"""

import numpy as np

from ..shapesworld import BACKGROUND, PALETTE

COLOR_NAMES: tuple[str, ...] = tuple(PALETTE)
BACKGROUND_LABEL = -1
# A pixel further than this from every colour's segment (RGB units on [0, 255]) is not any palette colour.
RESIDUAL_TOLERANCE = 70.0
# A pixel must be at least this much covered by a colour to belong to it (half: the anti-aliased edge's midpoint).
MIN_COVERAGE = 0.5

_BACKGROUND = np.array(BACKGROUND, dtype=np.float64)
_DIRECTIONS = np.array([PALETTE[name] for name in COLOR_NAMES], dtype=np.float64) - _BACKGROUND  # (K, 3)
_SQUARED_LENGTHS = np.sum(_DIRECTIONS**2, axis=1)  # (K,)


def coverage_and_residual(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For an `(H, W, 3)` array on [0, 255]: per colour, the coverage in [0, 1] and the distance from the colour's
    background-to-colour segment, both `(H, W, K)` with colours in `COLOR_NAMES` order."""
    offset = rgb - _BACKGROUND  # (H, W, 3)
    projection = offset @ _DIRECTIONS.T  # (H, W, K): offset · direction
    alpha = np.clip(projection / _SQUARED_LENGTHS, 0.0, 1.0)
    # |offset - alpha d|² = |offset|² - 2 alpha (offset · d) + alpha² |d|², without an (H, W, K, 3) intermediate.
    squared = np.sum(offset**2, axis=-1, keepdims=True) - 2 * alpha * projection + alpha**2 * _SQUARED_LENGTHS
    return alpha, np.sqrt(np.maximum(squared, 0.0))


def classify_pixels(
    alpha: np.ndarray, residual: np.ndarray, tolerance: float = RESIDUAL_TOLERANCE, min_coverage: float = MIN_COVERAGE
) -> np.ndarray:
    """Per pixel, the index in `COLOR_NAMES` of the colour it shows, or `BACKGROUND_LABEL`: an `(H, W)` int array,
    from the `(H, W, K)` coverage and residual of `coverage_and_residual`."""
    best = np.argmin(residual, axis=-1)[..., None]
    best_alpha = np.take_along_axis(alpha, best, axis=-1)[..., 0]
    best_residual = np.take_along_axis(residual, best, axis=-1)[..., 0]
    foreground = (best_alpha >= min_coverage) & (best_residual <= tolerance)
    return np.where(foreground, best[..., 0], BACKGROUND_LABEL)
