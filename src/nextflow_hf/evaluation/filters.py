"""Separable Gaussian filtering in numpy, for the detector's blurred templates and for SSIM's local statistics."""

import math

import numpy as np

# Kernel radius in standard deviations (as scipy and scikit-image truncate by default).
TRUNCATE = 3.5


def gaussian_kernel(sigma: float, radius: int | None = None) -> np.ndarray:
    """A normalised 1-D Gaussian of standard deviation `sigma` over `2 * radius + 1` taps (default radius:
    `ceil(TRUNCATE * sigma)`)."""
    if sigma <= 0:
        raise ValueError(f"sigma must be positive; got {sigma}.")
    radius = math.ceil(TRUNCATE * sigma) if radius is None else radius
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    return kernel / kernel.sum()


def filter_2d(array: np.ndarray, kernel: np.ndarray, valid: bool = False) -> np.ndarray:
    """`array` (`(H, W)` or `(H, W, C)`) filtered along its first two axes by the separable `kernel`.

    `valid=False` keeps the shape, taking zeros beyond the border (right for coverage maps, which are 0 outside the
    object); `valid=True` keeps only positions where the kernel fits inside (SSIM's convention), shrinking each side
    by `len(kernel) - 1`.
    """
    radius = len(kernel) // 2
    if not valid:
        pad = [(radius, radius), (radius, radius)] + [(0, 0)] * (array.ndim - 2)
        array = np.pad(array, pad)
    if array.shape[0] < len(kernel) or array.shape[1] < len(kernel):
        raise ValueError(f"An image of {array.shape[0]}×{array.shape[1]} is smaller than the {len(kernel)}-tap window.")
    windows = np.lib.stride_tricks.sliding_window_view(array, len(kernel), axis=0)
    array = np.tensordot(windows, kernel, axes=([-1], [0]))
    windows = np.lib.stride_tricks.sliding_window_view(array, len(kernel), axis=1)
    return np.tensordot(windows, kernel, axes=([-1], [0]))
