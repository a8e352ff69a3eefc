"""Renders ShapesWorld scenes to PIL images at any resolution and aspect ratio."""

import PIL.Image
import PIL.ImageDraw

from .scene import BACKGROUND, PALETTE, SIZES, Scene, ShapeObject, star_points

SUPERSAMPLE = 4


def render(scene: Scene, height: int, width: int) -> PIL.Image.Image:
    """The scene as an RGB image of `height` × `width` pixels, drawn at 4× and downsampled for smooth edges.

    The canvas aspect ratio must match the scene's (within one pixel), so sizes and positions mean what the scene says.
    """
    if abs(height / width - scene.aspect_ratio) * width > 1.0:
        raise ValueError(
            f"Canvas {height}×{width} (height × width) does not have the scene's aspect ratio {scene.aspect_ratio:g}."
        )
    big_h, big_w = height * SUPERSAMPLE, width * SUPERSAMPLE
    image = PIL.Image.new("RGB", (big_w, big_h), BACKGROUND)
    draw = PIL.ImageDraw.Draw(image)
    for obj in scene.objects:
        draw_object(draw, obj, big_h, big_w)
    return image.resize((width, height), PIL.Image.Resampling.BOX)


def draw_object(draw: PIL.ImageDraw.ImageDraw, obj: ShapeObject, height: int, width: int) -> None:
    """One filled object; its bounding box has side `SIZES[size] × min(height, width)` around its centre."""
    side = SIZES[obj.size] * min(height, width)
    cx, cy, half = obj.x * width, obj.y * height, side / 2
    box = (cx - half, cy - half, cx + half, cy + half)
    color = PALETTE[obj.color]
    if obj.shape == "circle":
        draw.ellipse(box, fill=color)
    elif obj.shape == "square":
        draw.rectangle(box, fill=color)
    elif obj.shape == "triangle":
        draw.polygon([(cx, cy - half), (cx + half, cy + half), (cx - half, cy + half)], fill=color)
    else:
        draw.polygon(star_points(cx, cy, half), fill=color)
