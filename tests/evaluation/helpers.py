"""Scenes, images and checks shared by the evaluation tests: a small seeded scene sampler built on `place`, the
degradations a decoder or a file format inflicts, and an exact-match check independent of the code under test."""

import io
import math
import random

import PIL.Image
import PIL.ImageFilter

from nextflow_hf.shapesworld import PALETTE, SHAPES, SIZES, Scene, ShapeObject, place, render


def random_scene(rng: random.Random, aspect_ratio: float = 1.0) -> Scene:
    """One to four random objects (any shape, colour, size) at random free positions."""
    scene = Scene((), aspect_ratio)
    for _ in range(rng.randint(1, 4)):
        obj = place(rng, scene, rng.choice(SHAPES), rng.choice(tuple(PALETTE)), rng.choice(tuple(SIZES)))
        if obj is not None:
            scene = Scene((*scene.objects, obj), aspect_ratio)
    return scene


def scene_of(*objects: ShapeObject, aspect_ratio: float = 1.0) -> Scene:
    return Scene(tuple(objects), aspect_ratio)


def jpeg(image: PIL.Image.Image, quality: int = 75) -> PIL.Image.Image:
    """`image` after a JPEG round trip at `quality` (PIL's default 4:2:0 chroma subsampling)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return PIL.Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def degrade(image: PIL.Image.Image) -> PIL.Image.Image:
    """JPEG at quality 75, then a Gaussian blur of radius 1: roughly what a VQ decoder does to edges and colours."""
    return jpeg(image).filter(PIL.ImageFilter.GaussianBlur(1))


def draw(scene: Scene, height: int = 128, width: int | None = None) -> PIL.Image.Image:
    width = height if width is None else width
    return render(scene, height, width)


def same_scene(expected: Scene, detected: Scene, tolerance: float) -> bool:
    """Same multiset of (shape, colour, size), and each expected object has its own detected twin whose centre is
    within `tolerance` of the canvas width and height (a brute-force check, independent of `evaluation.matching`)."""
    if len(expected.objects) != len(detected.objects):
        return False

    def key(obj: ShapeObject) -> tuple[str, str, str]:
        return obj.shape, obj.color, obj.size

    if sorted(map(key, expected.objects)) != sorted(map(key, detected.objects)):
        return False
    unused = list(detected.objects)
    for want in expected.objects:
        twins = [
            obj for obj in unused if key(obj) == key(want) and math.hypot(obj.x - want.x, obj.y - want.y) <= tolerance
        ]
        if not twins:
            return False
        unused.remove(twins[0])
    return True
