"""Scene basics: relations compare pixel offsets, and the renderer draws what the scene says."""

import numpy as np
import pytest

from nextflow_hf.shapesworld import BACKGROUND, PALETTE, Scene, ShapeObject, relation, render


def test_relation_compares_offsets_in_pixels_on_any_canvas():
    left, right = ShapeObject("circle", "red", "small", 0.3, 0.2), ShapeObject("star", "blue", "small", 0.5, 0.8)
    assert relation(left, right) == "above"  # square canvas: 0.6 of the height beats 0.2 of the width
    assert relation(left, right, aspect_ratio=0.25) == "left of"  # wide canvas: 0.6 × H = 0.15 W < 0.2 W
    assert relation(right, left, aspect_ratio=0.25) == "right of"


def test_render_draws_the_palette_colour_at_the_centre_and_background_elsewhere():
    scene = Scene((ShapeObject("square", "green", "large", 0.5, 0.5),))
    pixels = np.asarray(render(scene, 64, 64))
    assert tuple(pixels[32, 32]) == PALETTE["green"]
    assert tuple(pixels[2, 2]) == BACKGROUND
    side = (pixels == PALETTE["green"]).all(axis=-1).any(axis=0).sum()
    assert abs(side - 0.32 * 64) <= 1


def test_render_refuses_a_canvas_of_another_aspect_ratio():
    with pytest.raises(ValueError, match="does not have the scene's aspect ratio 1"):
        render(Scene(()), 32, 64)
