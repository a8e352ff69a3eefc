"""PIL images to model pixel values and back, on [-1, 1]: the range of SigLIP and of the NextFlow tokenizer.

Training data arrive already at the training size (ShapesWorld renders at any size), so no resizing happens here;
images of one batch must share a size.
"""

from collections.abc import Iterable

import numpy as np
import PIL.Image
import torch


def to_pixel_values(images: Iterable[PIL.Image.Image]) -> torch.Tensor:
    """A `(batch, 3, H, W)` float32 tensor on [-1, 1] from same-sized images (any mode; converted to RGB)."""
    images = list(images)
    if not images:
        raise ValueError("to_pixel_values needs at least one image; got none.")
    sizes = sorted({image.size for image in images})
    if len(sizes) > 1:
        raise ValueError(f"Images of one batch must share a size; got (width, height) sizes {sizes}.")
    arrays = np.stack([np.asarray(image.convert("RGB"), dtype=np.float32) for image in images])
    return torch.from_numpy(arrays).permute(0, 3, 1, 2).div(127.5).sub(1.0).contiguous()


def from_pixel_values(pixel_values: torch.Tensor) -> list[PIL.Image.Image]:
    """8-bit RGB images from a `(batch, 3, H, W)` tensor on about [-1, 1] (values outside are clamped)."""
    if pixel_values.ndim != 4 or pixel_values.shape[1] != 3:
        raise ValueError(f"pixel_values must be a (batch, 3, height, width) tensor; got {tuple(pixel_values.shape)}.")
    scaled = (pixel_values.detach().float().cpu().clamp(-1.0, 1.0) + 1.0) * 127.5
    arrays = scaled.round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return [PIL.Image.fromarray(array) for array in arrays]
