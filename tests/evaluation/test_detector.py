"""The detector recovers rendered ground-truth scenes: exactly when clean, nearly always through JPEG and blur.

"Exactly" means the same multiset of (shape, colour, size) and every centre within 1% of the canvas width and height
(`helpers.same_scene`). Scenes are 1 to 4 random objects of every shape, colour and size, at 128×128 and on 96×160
and 160×96 canvases; "degraded" is JPEG at quality 75, then a Gaussian blur of radius 1. On these seeds the detector
recovers all clean scenes, all degraded 128×128 scenes and 98% of degraded non-square ones (a small star is 13 pixels
across there); over 1000 scenes per setting: 100% clean everywhere, 100% degraded at 128×128 and 99.6% non-square.
"""

import random
from collections import Counter

import numpy as np
import PIL.Image
import PIL.ImageDraw
import pytest

from nextflow_hf.evaluation import detect, detect_objects
from nextflow_hf.shapesworld import BACKGROUND, PALETTE, SHAPES, SIZES, Scene, ShapeObject, render

from .helpers import degrade, random_scene, same_scene

CENTRE_TOLERANCE = 0.01
CANVASES = {"square": [(128, 128)], "non-square": [(96, 160), (160, 96)]}


def recovery_rate(canvases: list[tuple[int, int]], count: int, seed: int, degraded: bool) -> tuple[float, Counter]:
    """The fraction of `count` random scenes (spread over `canvases`) the detector recovers exactly, and how often
    each (shape, colour, size) and object count occurred."""
    rng = random.Random(seed)
    seen: Counter = Counter()
    recovered = 0
    for i in range(count):
        height, width = canvases[i % len(canvases)]
        scene = random_scene(rng, height / width)
        seen.update((obj.shape, obj.color, obj.size) for obj in scene.objects)
        seen[len(scene.objects)] += 1
        image = render(scene, height, width)
        recovered += same_scene(scene, detect(degrade(image) if degraded else image), CENTRE_TOLERANCE)
    return recovered / count, seen


@pytest.mark.parametrize("canvas", CANVASES)
def test_clean_renders_are_recovered_exactly(canvas):
    rate, seen = recovery_rate(CANVASES[canvas], count=200, seed=1, degraded=False)
    tried = [key for key in seen if isinstance(key, tuple)]
    assert {shape for shape, _, _ in tried} == set(SHAPES) and {size for _, _, size in tried} == set(SIZES)
    assert {color for _, color, _ in tried} == set(PALETTE)
    assert {(shape, size) for shape, _, size in tried} == {(shape, size) for shape in SHAPES for size in SIZES}
    assert all(seen[n] > 0 for n in (1, 2, 3, 4))
    assert rate >= 0.99, f"recovered {rate:.3f} of clean {canvas} scenes"


@pytest.mark.parametrize("canvas", CANVASES)
def test_jpeg_and_blurred_renders_are_still_recovered(canvas):
    rate, _ = recovery_rate(CANVASES[canvas], count=150, seed=2, degraded=True)
    assert rate >= 0.95, f"recovered {rate:.3f} of JPEG + blurred {canvas} scenes"


def test_sizes_and_centres_are_measured_to_a_fraction_of_a_pixel():
    scene = Scene(
        (ShapeObject("triangle", "blue", "large", 0.3, 0.6), ShapeObject("star", "yellow", "small", 0.75, 0.25))
    )
    found = {obj.shape: obj for obj in detect_objects(render(scene, 200, 200))}
    for want in scene.objects:
        got = found[want.shape]
        assert abs(got.side - SIZES[want.size]) < 0.01
        assert abs(got.x - want.x) * 200 < 0.3 and abs(got.y - want.y) * 200 < 0.3


def test_colour_drift_and_fading_are_tolerated():
    """A decoder's colours are off: every colour pulled 25% of the way to the background, then shifted by 12 levels."""
    scene = Scene(
        tuple(
            ShapeObject(shape, color, "medium", 0.2 + 0.6 * (i % 2), 0.2 + 0.6 * (i // 2))
            for i, (shape, color) in enumerate(zip(SHAPES, ("red", "green", "pink", "black")))
        )
    )
    image = np.asarray(render(scene, 128, 128), dtype=np.float64)
    drifted = 0.75 * image + 0.25 * np.array(BACKGROUND) + np.array([12.0, -12.0, 6.0])
    assert same_scene(scene, detect(np.clip(drifted, 0, 255).astype(np.uint8)), CENTRE_TOLERANCE)


def test_specks_and_an_empty_canvas_yield_no_objects():
    image = np.full((64, 64, 3), BACKGROUND, dtype=np.uint8)
    assert detect(image).objects == ()
    rng = np.random.default_rng(0)
    for y, x in rng.integers(0, 64, size=(20, 2)):
        image[y, x] = PALETTE["red"]
    assert detect(image).objects == ()


def test_float_arrays_on_zero_one_are_accepted_like_8_bit_images():
    scene = Scene((ShapeObject("square", "purple", "medium", 0.5, 0.5),))
    image = render(scene, 96, 96)
    from_float = detect(np.asarray(image, dtype=np.float32) / 255)
    assert from_float == detect(image) and same_scene(scene, from_float, CENTRE_TOLERANCE)


def draw_red(shape_drawer) -> PIL.Image.Image:
    image = PIL.Image.new("RGB", (512, 512), BACKGROUND)
    shape_drawer(PIL.ImageDraw.Draw(image))
    return image.resize((128, 128), PIL.Image.Resampling.BOX)


@pytest.mark.parametrize(
    "drawer",
    [
        lambda d: d.ellipse((100, 200, 400, 350), fill=PALETTE["red"]),  # a 2:1 ellipse
        lambda d: d.polygon([(150, 150), (350, 150), (250, 350)], fill=PALETTE["red"]),  # a point-down triangle
        lambda d: (
            d.ellipse((100, 200, 250, 350), fill=PALETTE["red"]),
            d.ellipse((240, 200, 390, 350), fill=PALETTE["red"]),
        ),
    ],
    ids=["ellipse", "point-down triangle", "two touching circles"],
)
def test_regions_of_no_shapesworld_shape_are_reported_unrecognised(drawer):
    found = detect_objects(draw_red(drawer))
    assert len(found) == 1 and not found[0].recognised and found[0].color == "red"
    assert detect(draw_red(drawer)).objects == ()
    with pytest.raises(ValueError, match="no ShapesWorld shape"):
        found[0].to_shape_object()


def test_an_object_far_outside_the_size_classes_has_no_size():
    found = detect_objects(draw_red(lambda d: d.rectangle((50, 50, 450, 450), fill=PALETTE["red"])))
    assert found[0].shape == "square" and found[0].size is None and not found[0].recognised


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((8, 8), dtype=np.uint8), r"\(H, W, 3\)"),
        (np.full((8, 8, 3), 2.0), r"\[0, 1\]"),
        ("image.png", "PIL image"),
    ],
)
def test_bad_images_raise_clear_errors(image, message):
    with pytest.raises(ValueError, match=message):
        detect(image)
