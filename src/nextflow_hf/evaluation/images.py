"""Images in the one form the evaluation code computes on: an `(H, W, 3)` float64 RGB array on the [0, 255] scale."""

import numpy as np
import PIL.Image

ImageLike = PIL.Image.Image | np.ndarray


def to_rgb_array(image: ImageLike) -> np.ndarray:
    """`image` as an `(H, W, 3)` float64 array on [0, 255].

    Accepts a PIL image (any mode; converted to RGB) or an `(H, W, 3)` array: integer arrays are read on [0, 255],
    floating-point arrays on [0, 1] (what the pipelines return with `output_type="np"`).
    """
    if isinstance(image, PIL.Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.float64)
    if not isinstance(image, np.ndarray):
        raise ValueError(f"Expected a PIL image or an (H, W, 3) array; got {type(image).__name__}.")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Expected an (H, W, 3) RGB array; got shape {image.shape}.")
    if np.issubdtype(image.dtype, np.floating):
        if image.size and (image.min() < -1e-3 or image.max() > 1 + 1e-3):
            raise ValueError(
                f"A floating-point image must lie in [0, 1]; got values in [{image.min():g}, {image.max():g}]."
            )
        return np.clip(image.astype(np.float64), 0.0, 1.0) * 255.0
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float64)
    raise ValueError(f"Unsupported image dtype {image.dtype}.")


def aspect_ratio_of(image: ImageLike) -> float:
    """Height / width of an image (a PIL image or an `(H, W, ...)` array)."""
    height, width = (image.height, image.width) if isinstance(image, PIL.Image.Image) else image.shape[:2]
    return height / width


def to_pil(image: ImageLike) -> PIL.Image.Image:
    """`image` as an 8-bit RGB PIL image (rounded), e.g. to store or encode it."""
    if isinstance(image, PIL.Image.Image):
        return image.convert("RGB")
    return PIL.Image.fromarray(np.clip(np.rint(to_rgb_array(image)), 0, 255).astype(np.uint8))
