"""Tokenizer reconstruction quality: PSNR and SSIM between an image and its encode-decode round trip.

Both work on RGB on the [0, 255] scale (8-bit images as they are; floating-point arrays on [0, 1] are scaled, see
`images.to_rgb_array`). PSNR is over all pixels and channels at once; it is infinite for identical images. SSIM
follows Wang et al. (2004): an 11×11 Gaussian window of standard deviation 1.5, K1 = 0.01, K2 = 0.03, the SSIM map
over the window positions that fit inside the image ("valid"), computed per RGB channel and averaged over channels
and positions. It is 1.0 for identical images, and equals scikit-image's `structural_similarity(..., channel_axis=-1,
gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)` (checked to 1e-12).
"""

import math

import numpy as np

from .filters import filter_2d, gaussian_kernel
from .images import ImageLike, to_rgb_array

DATA_RANGE = 255.0
SSIM_SIGMA = 1.5
SSIM_RADIUS = 5
K1, K2 = 0.01, 0.03


def paired_arrays(reference: ImageLike, reconstruction: ImageLike) -> tuple[np.ndarray, np.ndarray]:
    """Both images as RGB arrays on [0, 255], after checking that they have the same size."""
    first, second = to_rgb_array(reference), to_rgb_array(reconstruction)
    if first.shape != second.shape:
        raise ValueError(f"Images differ in size: {first.shape[:2]} and {second.shape[:2]} (height, width).")
    return first, second


def psnr(reference: ImageLike, reconstruction: ImageLike) -> float:
    """Peak signal-to-noise ratio in dB, 10 log10(255² / MSE); `inf` when the images are identical."""
    first, second = paired_arrays(reference, reconstruction)
    mse = float(np.mean((first - second) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(DATA_RANGE**2 / mse)


def ssim(reference: ImageLike, reconstruction: ImageLike) -> float:
    """Mean structural similarity (see the module docstring); images must be at least 11 pixels on each side."""
    first, second = paired_arrays(reference, reconstruction)
    kernel = gaussian_kernel(SSIM_SIGMA, SSIM_RADIUS)

    def local_mean(array: np.ndarray) -> np.ndarray:
        return filter_2d(array, kernel, valid=True)

    mean_first, mean_second = local_mean(first), local_mean(second)
    variance_first = local_mean(first * first) - mean_first**2
    variance_second = local_mean(second * second) - mean_second**2
    covariance = local_mean(first * second) - mean_first * mean_second
    c1, c2 = (K1 * DATA_RANGE) ** 2, (K2 * DATA_RANGE) ** 2
    ssim_map = ((2 * mean_first * mean_second + c1) * (2 * covariance + c2)) / (
        (mean_first**2 + mean_second**2 + c1) * (variance_first + variance_second + c2)
    )
    return float(ssim_map.mean())
