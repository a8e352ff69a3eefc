"""PSNR and SSIM: maximal on identical images, lower on noise, and SSIM as scikit-image computes it."""

import math
import random

import numpy as np
import pytest

from nextflow_hf.evaluation import psnr, ssim

from .helpers import draw, random_scene


def pattern() -> tuple[np.ndarray, np.ndarray]:
    """A deterministic 48×40 image and a perturbed copy (no random generator, so the values below never move)."""
    y, x = np.mgrid[0:48, 0:40]
    image = np.stack([(x * 5 + y * 3) % 256, (x * y) % 256, (200 - 2 * x + y) % 256], axis=-1).astype(np.uint8)
    noise = ((x * 7 + y * 11) % 17 - 8)[..., None] * np.array([1, 2, 3])
    return image, np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)


def test_identical_images_have_infinite_psnr_and_ssim_one():
    image = draw(random_scene(random.Random(0)), 64, 64)
    assert psnr(image, image) == math.inf
    assert ssim(image, image) == pytest.approx(1.0)


def test_noise_lowers_both_and_more_noise_lowers_them_more():
    image = np.asarray(draw(random_scene(random.Random(1)), 64, 64))
    rng = np.random.default_rng(0)
    noisy = [np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8) for sigma in (5, 25)]
    assert math.isfinite(psnr(image, noisy[0])) and psnr(image, noisy[0]) > psnr(image, noisy[1]) > 15
    assert 1.0 > ssim(image, noisy[0]) > ssim(image, noisy[1])


def test_values_agree_with_scikit_image():
    """Reference values from scikit-image 0.26: `peak_signal_noise_ratio(a, b, data_range=255)` and
    `structural_similarity(a, b, channel_axis=-1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    data_range=255)`."""
    image, perturbed = pattern()
    assert psnr(image, perturbed) == pytest.approx(27.712163491684194, abs=1e-9)
    assert ssim(image, perturbed) == pytest.approx(0.7200092510836414, abs=1e-9)


def test_float_images_on_zero_one_give_the_same_values():
    image, perturbed = pattern()
    assert ssim(image / 255, perturbed / 255) == pytest.approx(ssim(image, perturbed), abs=1e-12)


def test_mismatched_or_tiny_images_are_refused():
    with pytest.raises(ValueError, match="differ in size"):
        psnr(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(ValueError, match="smaller than the 11-tap window"):
        ssim(np.zeros((10, 20, 3), np.uint8), np.zeros((10, 20, 3), np.uint8))
