"""Shape templates agree with geometry and with what `render` draws."""

import math

import numpy as np
import pytest

from nextflow_hf.evaluation.colors import COLOR_NAMES, coverage_and_residual
from nextflow_hf.evaluation.geometry import TEMPLATES, rasterise
from nextflow_hf.shapesworld import SHAPES, SIZES, Scene, ShapeObject, render


def test_template_areas_and_centroids():
    assert TEMPLATES["square"].area == pytest.approx(1.0)
    assert TEMPLATES["circle"].area == pytest.approx(math.pi / 4, rel=1e-4)
    assert TEMPLATES["triangle"].area == pytest.approx(0.5)
    # Five-pointed star of outer radius 1/2, inner radius 1/4: 10 triangles of sides 1/2 and 1/4 at 36°.
    assert TEMPLATES["star"].area == pytest.approx(10 * 0.5 * 0.5 * 0.25 * math.sin(math.pi / 5))
    assert TEMPLATES["triangle"].centroid == pytest.approx((0.0, 1 / 6))
    for shape in ("circle", "square", "star"):
        assert TEMPLATES[shape].centroid == pytest.approx((0.0, 0.0), abs=1e-9)


@pytest.mark.parametrize("shape", SHAPES)
def test_rasterised_templates_are_what_render_draws(shape):
    obj = ShapeObject(shape, "blue", "large", 0.43, 0.58)
    image = np.asarray(render(Scene((obj,)), 100, 100), dtype=np.float64)
    alpha, _ = coverage_and_residual(image)
    drawn = alpha[..., COLOR_NAMES.index("blue")]
    side = SIZES["large"] * 100
    template = rasterise(shape, obj.x * 100, obj.y * 100, side, 100, 100)
    assert np.abs(drawn - template).max() < 0.01  # 8-bit rounding of the render
    # PIL fills the pixels its outline passes through, so a drawn shape is about a subpixel larger all round.
    assert template.sum() == pytest.approx(TEMPLATES[shape].area * side**2, rel=0.05)
