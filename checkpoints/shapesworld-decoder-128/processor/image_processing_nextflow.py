"""Image processor of NextFlow: fits every image to the size of its aspect-ratio bucket and maps it to [-1, 1].

An image of height H and width W goes to the bucket `table.nearest_aspect_ratio(H / W)`; the last grid (h, w) of that
bucket's schedule at the chosen level is its token grid, and (h·f, w·f) pixels, f the tokenizer's downsample factor,
its size. The image is resized to cover that size (keeping its aspect ratio) and centre-cropped, so the VQ tokenizer
sees exactly the pixels that its schedule expects.
"""

from collections.abc import Sequence

import numpy as np
import PIL.Image
import torch
from transformers.image_processing_backends import PilBackend
from transformers.image_processing_utils import BatchFeature
from transformers.image_utils import ImageInput, PILImageResampling, SizeDict
from transformers.processing_utils import ImagesKwargs, Unpack

from .scales import Grid, ScaleScheduleTable


class NextFlowImageProcessorKwargs(ImagesKwargs, total=False):
    r"""
    scale_schedules (`dict[str, list]`, *optional*):
        Aspect ratio (h / w, as a string) → full schedule of (h, w) grids, as in `NextFlowVQConfig`; `None` means the
        paper's Table 14.
    scale_levels (`dict[str, int]`, *optional*):
        Level → number of steps, as in `NextFlowVQConfig`; `None` means 256/512/1024 → 12/16/18.
    downsample_factor (`int`, *optional*):
        Pixels per token side of the VQ tokenizer.
    level (`int`, *optional*):
        The level whose final grid sets the image size (1024 → 1024×1024 pixels for a 1:1 image with the paper's
        table and 16× downsampling).
    """

    scale_schedules: dict[str, list] | None
    scale_levels: dict[str, int] | None
    downsample_factor: int | None
    level: int | None


def image_grid(table: ScaleScheduleTable, level: int, height: int, width: int) -> Grid:
    """The final token grid of an image of `height` × `width` pixels at `level`: the last grid of its bucket."""
    return table.get_schedule(level, height / width)[-1]


class NextFlowImageProcessor(PilBackend):
    r"""
    Resizes and centre-crops images to the size of their aspect-ratio bucket at a level, and normalises them to
    [-1, 1], the range of the VQ tokenizer. Returns `pixel_values` (a `(N, 3, H, W)` tensor when all images share a
    size, else a list of `(3, H, W)` tensors) and `image_grids`, the `(N, 2)` final token grid of every image.

    `size`, `crop_size`, `do_resize` and `do_center_crop` are not used: the table decides every image's size.
    """

    valid_kwargs = NextFlowImageProcessorKwargs
    model_input_names = ["pixel_values", "image_grids"]

    scale_schedules = None
    scale_levels = None
    downsample_factor = 16
    level = 1024
    resample = PILImageResampling.BICUBIC
    do_convert_rgb = True
    do_rescale = True
    do_normalize = True
    image_mean = (0.5, 0.5, 0.5)
    image_std = (0.5, 0.5, 0.5)
    return_tensors = "pt"

    def __init__(self, **kwargs: Unpack[NextFlowImageProcessorKwargs]) -> None:
        super().__init__(**kwargs)
        levels = sorted(self.scale_table.levels)  # building the table raises on a malformed one
        if self.level not in levels:
            raise ValueError(f"Unknown level {self.level!r}; available levels: {levels}.")

    @classmethod
    def from_vq_config(cls, vq_config, **kwargs) -> "NextFlowImageProcessor":
        """The image processor matching a tokenizer config (`NextFlowVQConfig`): its table and downsample factor."""
        return cls(
            scale_schedules=vq_config.scale_schedules,
            scale_levels=vq_config.scale_levels,
            downsample_factor=vq_config.downsample_factor,
            **kwargs,
        )

    @property
    def scale_table(self) -> ScaleScheduleTable:
        return ScaleScheduleTable.from_config(self.scale_schedules, self.scale_levels)

    def image_grid(self, height: int, width: int, level: int | None = None) -> Grid:
        """The final token grid of an image of `height` × `width` pixels at `level` (default: this processor's)."""
        return image_grid(self.scale_table, self.level if level is None else level, height, width)

    def _preprocess(
        self,
        images: list[np.ndarray],
        resample: PILImageResampling,
        do_rescale: bool,
        rescale_factor: float,
        do_normalize: bool,
        image_mean: float | Sequence[float],
        image_std: float | Sequence[float],
        scale_schedules: dict[str, list] | None,
        scale_levels: dict[str, int] | None,
        downsample_factor: int,
        level: int,
        return_tensors: str | None,
        **kwargs,
    ) -> BatchFeature:
        """Fits each `(C, H, W)` image to its bucket's size, rescales and normalises it."""
        table = ScaleScheduleTable.from_config(scale_schedules, scale_levels)
        processed, grids = [], []
        for index, image in enumerate(images):
            height, width = image.shape[-2:]
            try:
                grid = image_grid(table, level, height, width)
            except ValueError as error:
                raise ValueError(f"Image {index} (height {height}, width {width}): {error}") from error
            size = SizeDict(height=grid[0] * downsample_factor, width=grid[1] * downsample_factor)
            image = self.fit(image, size, resample)
            if do_rescale:
                image = self.rescale(image, rescale_factor)
            if do_normalize:
                image = self.normalize(image, image_mean, image_std)
            processed.append(image)
            grids.append(grid)
        data = {"pixel_values": batch_images(processed, return_tensors), "image_grids": np.array(grids, dtype=np.int64)}
        return BatchFeature(
            data,
            tensor_type=return_tensors,
            skip_tensor_conversion=["pixel_values"],
        )

    def fit(self, image: np.ndarray, size: SizeDict, resample: PILImageResampling) -> np.ndarray:
        """Resizes a `(C, H, W)` image, keeping its aspect ratio, to the smallest size covering `size`, then crops
        its centre to exactly `size`."""
        height, width = image.shape[-2:]
        if (height, width) == (size.height, size.width):
            return image
        scale = max(size.height / height, size.width / width)
        cover = SizeDict(height=max(size.height, round(height * scale)), width=max(size.width, round(width * scale)))
        image = self.resize(image, cover, resample=resample)
        return self.center_crop(image, size)

    def postprocess(self, images: ImageInput, return_tensors: str | None = "PIL.Image.Image") -> BatchFeature:
        """Turns decoded images, `(N, 3, H, W)` or a list of `(3, H, W)` in about [-1, 1], back into 8-bit images:
        undoes the normalisation, clamps to [0, 1] and undoes the rescaling.

        `pixel_values` of the result are, by `return_tensors`: `"PIL.Image.Image"` (default), a list of PIL images;
        `"np"` or `"pt"`, a `(N, 3, H, W)` uint8 array or tensor (a list of `(3, H, W)` ones when sizes differ);
        `None`, a list of `(3, H, W)` uint8 arrays.
        """
        if isinstance(images, torch.Tensor):
            images = list(images) if images.ndim == 4 else [images]
        mean = np.asarray(self.image_mean, dtype=np.float32).reshape(-1, 1, 1)
        std = np.asarray(self.image_std, dtype=np.float32).reshape(-1, 1, 1)
        pixels = []
        for image in images:
            if isinstance(image, torch.Tensor):
                image = image.detach().float().cpu().numpy()
            image = np.clip(np.asarray(image, dtype=np.float32) * std + mean, 0.0, 1.0)
            pixels.append(np.round(image / self.rescale_factor).astype(np.uint8))
        if return_tensors == "PIL.Image.Image":
            return BatchFeature({"pixel_values": [PIL.Image.fromarray(image.transpose(1, 2, 0)) for image in pixels]})
        if return_tensors is None:
            return BatchFeature({"pixel_values": pixels})
        return BatchFeature({"pixel_values": batch_images(pixels, return_tensors)})


def batch_images(images: list[np.ndarray], return_tensors: str | None) -> np.ndarray | torch.Tensor | list:
    """Stacks images of one size into one array (a tensor for `"pt"`); keeps images of different sizes a list."""
    if len({image.shape for image in images}) == 1:
        stacked = np.stack(images)
        return torch.from_numpy(stacked) if return_tensors == "pt" else stacked
    return [torch.from_numpy(image) for image in images] if return_tensors == "pt" else images


__all__ = ["NextFlowImageProcessor", "NextFlowImageProcessorKwargs", "image_grid"]
