"""Image processor: bucket choice, output size, centre crop, value range, inverse postprocessing, errors, saving."""

import numpy as np
import PIL.Image
import pytest
import torch

from nextflow_hf.modeling.configuration_nextflow import tiny_vq_config
from nextflow_hf.modeling.image_processing_nextflow import NextFlowImageProcessor

RED, GREEN = (255, 0, 0), (0, 255, 0)


def tiny_image_processor(**kwargs) -> NextFlowImageProcessor:
    """The tiny table: 4× downsampling, levels 16 (4 steps) and 32 (6 steps), buckets 1:2 and 1:1."""
    vq = tiny_vq_config()
    defaults = dict(scale_schedules=vq.scale_schedules, scale_levels=vq.scale_levels, downsample_factor=4, level=16)
    return NextFlowImageProcessor(**{**defaults, **kwargs})


def random_image(height: int, width: int, seed: int = 0) -> PIL.Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    return PIL.Image.fromarray(pixels)


@pytest.mark.parametrize(
    ("height", "width", "level", "size", "grid"),
    [
        (20, 20, 16, (16, 16), (4, 4)),  # square
        (20, 20, 32, (32, 32), (8, 8)),
        (30, 60, 16, (8, 16), (2, 4)),  # wide, 1:2
        (30, 60, 32, (16, 32), (4, 8)),
        (17, 23, 16, (16, 16), (4, 4)),  # h/w = 0.74 is nearer 1:1 than 1:2 on a log scale
        (15, 29, 16, (8, 16), (2, 4)),  # h/w = 0.52
        (31, 31, 16, (16, 16), (4, 4)),  # odd, downscaled
        (7, 9, 32, (32, 32), (8, 8)),  # odd, upscaled
    ],
)
def test_images_go_to_their_bucket_at_the_levels_size(height, width, level, size, grid):
    out = tiny_image_processor(level=level)(random_image(height, width))
    assert out["pixel_values"].shape == (1, 3, *size)
    assert out["pixel_values"].dtype == torch.float32
    assert out["image_grids"].dtype == torch.long
    assert out["image_grids"].tolist() == [list(grid)]


def test_level_can_be_chosen_per_call():
    processor = tiny_image_processor(level=16)
    assert processor(random_image(20, 20), level=32)["pixel_values"].shape == (1, 3, 32, 32)
    assert processor.level == 16


def test_images_of_different_sizes_come_back_as_a_list():
    out = tiny_image_processor()([random_image(20, 20), random_image(30, 60), PIL.Image.new("L", (23, 17))])
    assert [tuple(image.shape) for image in out["pixel_values"]] == [(3, 16, 16), (3, 8, 16), (3, 16, 16)]
    assert out["image_grids"].tolist() == [[4, 4], [2, 4], [4, 4]]


@pytest.mark.parametrize(
    ("height", "width", "middle"),
    [
        # 16×20 → 1:1 bucket, 16×16: the image already covers it, so only the crop acts, 2 columns off each side.
        (16, 20, np.s_[:, 2:18]),
        # 10×16 → 1:2 bucket, 8×16: one row off the top and one off the bottom.
        (10, 16, np.s_[1:9, :]),
    ],
)
def test_centre_crop_keeps_the_middle(height, width, middle):
    pixels = np.full((height, width, 3), RED, dtype=np.uint8)
    pixels[middle] = GREEN
    out = tiny_image_processor()(PIL.Image.fromarray(pixels))["pixel_values"][0]
    green = torch.tensor([-1.0, 1.0, -1.0])[:, None, None].expand_as(out)
    torch.testing.assert_close(out, green)


def test_values_span_minus_one_to_one():
    pixels = np.zeros((16, 16, 3), dtype=np.uint8)
    pixels[:, 8:] = 255
    out = tiny_image_processor()(PIL.Image.fromarray(pixels))["pixel_values"]
    assert out.min() == -1.0 and out.max() == 1.0
    noisy = tiny_image_processor(level=32)(random_image(23, 41))["pixel_values"]
    assert noisy.min() >= -1.0 and noisy.max() <= 1.0


def test_non_rgb_images_are_converted_to_rgb():
    out = tiny_image_processor()([PIL.Image.new("L", (16, 16), 255), PIL.Image.new("RGBA", (16, 16), (0, 0, 0, 255))])
    assert out["pixel_values"].shape == (2, 3, 16, 16)
    assert out["pixel_values"][0].eq(1.0).all() and out["pixel_values"][1].eq(-1.0).all()


@pytest.mark.parametrize("level", [16, 32])
def test_postprocess_inverts_preprocess_at_bucket_size(level):
    processor = tiny_image_processor(level=level)
    image = random_image(level // 2, level)  # exactly the 1:2 bucket's size
    original = np.asarray(image).transpose(2, 0, 1).astype(np.int16)
    pixel_values = processor(image)["pixel_values"]

    as_numpy = processor.postprocess(pixel_values, return_tensors="np")["pixel_values"]
    assert as_numpy.dtype == np.uint8 and as_numpy.shape == (1, *original.shape)
    assert np.abs(as_numpy[0].astype(np.int16) - original).max() <= 1

    as_tensor = processor.postprocess(pixel_values, return_tensors="pt")["pixel_values"]
    assert as_tensor.dtype == torch.uint8 and torch.equal(as_tensor, torch.from_numpy(as_numpy))

    (as_pil,) = processor.postprocess(pixel_values, return_tensors="PIL.Image.Image")["pixel_values"]
    assert as_pil.size == image.size and np.array_equal(np.asarray(as_pil), as_numpy[0].transpose(1, 2, 0))


def test_postprocess_clamps_out_of_range_values():
    decoded = torch.tensor([-3.0, -1.0, -0.5, 1.0, 3.0]).reshape(1, 1, 1, 5).expand(2, 3, 1, 5)
    (first, second) = tiny_image_processor().postprocess(decoded, return_tensors=None)["pixel_values"]
    assert first.dtype == np.uint8
    assert first[0, 0].tolist() == [0, 0, 64, 255, 255]
    assert np.array_equal(first, second)


def test_unsupported_aspect_ratio_names_the_ratio_and_the_range():
    with pytest.raises(ValueError, match=r"Aspect ratio 4 .*not supported.* 0\.5 to 1"):
        tiny_image_processor()(random_image(40, 10))


def test_unknown_level_names_the_level_and_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown level 64.*\[16, 32\]"):
        tiny_image_processor()(random_image(16, 16), level=64)
    with pytest.raises(ValueError, match=r"Unknown level 64.*\[16, 32\]"):
        tiny_image_processor(level=64)


def test_paper_table_by_default():
    processor = NextFlowImageProcessor()
    assert (processor.downsample_factor, processor.level) == (16, 1024)
    assert processor.image_grid(512, 1024) == (44, 88)  # Table 14, 1:2 at 18 steps
    assert processor.image_grid(300, 300, level=256) == (16, 16)


def test_save_and_load_keep_the_settings_and_the_outputs(tmp_path):
    processor = tiny_image_processor(level=32)
    processor.save_pretrained(tmp_path)
    loaded = NextFlowImageProcessor.from_pretrained(tmp_path)
    assert loaded.to_dict() == processor.to_dict()
    images = [random_image(20, 20), random_image(30, 60)]
    for expected, actual in zip(processor(images)["pixel_values"], loaded(images)["pixel_values"]):
        assert torch.equal(expected, actual)
