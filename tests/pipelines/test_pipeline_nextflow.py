"""NextFlow pipelines in diffusers' test style: dummy tiny components, fixed seeds, shapes, a value slice, save and
load (also as remote code in a fresh process), per-scale callbacks, batching, and clear errors."""

import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
import torch

from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor
from nextflow_hf.pipelines import (
    NextFlowEditPipeline,
    NextFlowInterleavedPipeline,
    NextFlowPipeline,
    NextFlowPipelineOutput,
)

from ..sequences import tiny_nextflow
from ..tokenization import tiny_tokenizer


def get_dummy_components() -> dict:
    model = tiny_nextflow(seed=0)
    image_processor = NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16)
    return {"model": model, "processor": NextFlowProcessor(image_processor, tiny_tokenizer())}


def get_dummy_inputs(seed: int = 0) -> dict:
    return {
        "prompt": "a red circle above a blue square",
        "guidance_scale": 3.0,
        "generator": torch.Generator().manual_seed(seed),
        "output_type": "np",
    }


def make(pipeline_class=NextFlowPipeline, components: dict | None = None):
    pipe = pipeline_class(**(components or get_dummy_components()))
    pipe.set_progress_bar_config(disable=True)
    return pipe


# Bottom-right 4×4 of the red channel for the dummy components and seed 0 (torch 2.13 CPU): a regression guard.
EXPECTED_SLICE = [
    0.6852958,
    1.0,
    0.81468475,
    0.48126966,
    0.6289354,
    0.6540964,
    0.4265045,
    0.18739429,
    0.70474017,
    1.0,
    0.09337634,
    0.00459006,
    0.43665943,
    0.83297324,
    0.49836084,
    0.7859539,
]


def test_inference_gives_images_of_the_level_size_and_a_stable_slice():
    output = make()(**get_dummy_inputs())
    assert isinstance(output, NextFlowPipelineOutput)
    assert output.images.shape == (1, 16, 16, 3) and output.images.dtype == np.float32
    assert 0 <= output.images.min() and output.images.max() <= 1
    assert [tuple(tokens.shape) for tokens in output.image_tokens] == [(1, 1, 1), (1, 2, 2), (1, 3, 3), (1, 4, 4)]
    expected_slice = np.array(EXPECTED_SLICE)
    assert np.abs(output.images[0, -4:, -4:, 0].flatten() - expected_slice).max() < 1e-4


def test_output_types_and_the_tuple_form():
    pipe = make()
    pil = pipe(**{**get_dummy_inputs(), "output_type": "pil"}).images
    tensor = pipe(**{**get_dummy_inputs(), "output_type": "pt"}).images
    array = pipe(**get_dummy_inputs()).images
    assert isinstance(pil[0], PIL.Image.Image) and pil[0].size == (16, 16)
    assert tensor.shape == (1, 3, 16, 16)
    np.testing.assert_allclose(tensor.permute(0, 2, 3, 1).numpy(), array, atol=1e-6)
    np.testing.assert_allclose(np.asarray(pil[0]) / 255.0, array[0], atol=1 / 255 + 1e-6)
    images, token_maps = pipe(**get_dummy_inputs(), return_dict=False)
    np.testing.assert_array_equal(images, array)
    assert len(token_maps) == 4


def test_level_aspect_ratio_and_pixel_size_choose_the_bucket():
    pipe = make()
    wide = pipe(**get_dummy_inputs(), level=32, aspect_ratio=0.5).images
    by_size = pipe(**get_dummy_inputs(), height=16, width=32).images
    assert wide.shape == by_size.shape == (1, 16, 32, 3)
    np.testing.assert_array_equal(wide, by_size)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(height=20, width=20), "Unsupported image size 20×20.*supported: 8×16, 16×16, 16×32, 32×32"),
        (dict(height=16), "Give both height and width"),
        (dict(level=64), "Unknown level 64"),
        (dict(aspect_ratio=3.0), "Aspect ratio 3 "),
        (dict(output_type="latent"), "output_type must be one of"),
        (dict(callback_on_step_end_tensor_inputs=["latents"]), r"\['latents'\] are not available"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make()(**{**get_dummy_inputs(), **kwargs})


def test_batches_and_images_per_prompt_equal_single_calls_with_the_same_seeds():
    pipe = make()
    prompts = ["a red circle", "two green stars to the left of a black triangle"]
    batched = pipe(
        prompt=prompts,
        num_images_per_prompt=2,
        guidance_scale=50.0,
        generator=[torch.Generator().manual_seed(seed) for seed in range(4)],
        output_type="np",
    ).images
    for index, prompt in enumerate(prompts):
        single = pipe(
            prompt=prompt,
            num_images_per_prompt=2,
            guidance_scale=50.0,
            generator=[torch.Generator().manual_seed(seed) for seed in (2 * index, 2 * index + 1)],
            output_type="np",
        ).images
        np.testing.assert_allclose(batched[2 * index : 2 * index + 2], single, atol=1e-5)


def test_callbacks_see_every_scale_and_can_stop_early():
    pipe = make()
    seen = []

    def stop_after_two_scales(pipeline, scale, grid, callback_kwargs):
        seen.append((scale, grid, [tuple(t.shape) for t in callback_kwargs["token_maps"]]))
        pipeline._interrupt = scale == 1
        return callback_kwargs

    output = pipe(**get_dummy_inputs(), callback_on_step_end=stop_after_two_scales)
    assert seen == [(0, (1, 1), [(1, 1, 1)]), (1, (2, 2), [(1, 1, 1), (1, 2, 2)])]
    assert len(output.image_tokens) == 2
    assert output.images.shape == (1, 16, 16, 3)  # a full-size preview of the coarse scales


def test_callbacks_can_replace_the_token_maps_the_next_scale_builds_on():
    pipe = make()

    def force_code_seven(pipeline, scale, grid, callback_kwargs):
        maps = callback_kwargs["token_maps"]
        return {"token_maps": maps[:-1] + [torch.full_like(maps[-1], 7)]}

    forced = pipe(**get_dummy_inputs(), callback_on_step_end=force_code_seven)
    assert all((tokens == 7).all() for tokens in forced.image_tokens)


def test_guidance_may_be_given_per_scale():
    pipe = make()
    num_scales = len(pipe.scale_table.get_schedule(16, 1.0))
    guided_scales = []

    def record_guidance(pipeline, scale, grid, callback_kwargs):
        guided_scales.append(pipeline.do_classifier_free_guidance)
        return callback_kwargs

    unguided = pipe(**{**get_dummy_inputs(), "guidance_scale": 1.0}).images
    ones = [1.0] * num_scales
    all_ones = pipe(**{**get_dummy_inputs(), "guidance_scale": ones}, callback_on_step_end=record_guidance).images
    np.testing.assert_array_equal(all_ones, unguided)
    finest_only = [1.0] * (num_scales - 1) + [50.0]
    pipe(**{**get_dummy_inputs(), "guidance_scale": finest_only}, callback_on_step_end=record_guidance)
    assert guided_scales == [False] * num_scales + [True] * num_scales
    assert pipe.guidance_scale == finest_only


def test_save_and_load_round_trip(tmp_path):
    pipe = make()
    pipe.save_pretrained(tmp_path)
    loaded = NextFlowPipeline.from_pretrained(tmp_path)
    loaded.set_progress_bar_config(disable=True)
    np.testing.assert_array_equal(loaded(**get_dummy_inputs()).images, pipe(**get_dummy_inputs()).images)
    edit = NextFlowEditPipeline.from_pretrained(tmp_path)  # any NextFlow pipeline opens any NextFlow folder
    assert isinstance(edit, NextFlowEditPipeline)


LOAD_IN_FRESH_PROCESS = """
import sys, numpy, torch
from diffusers import DiffusionPipeline
pipe = DiffusionPipeline.from_pretrained(sys.argv[1], trust_remote_code=True)
assert "nextflow_hf" not in sys.modules, "the saved folder must not need the installed package"
pipe.set_progress_bar_config(disable=True)
images = pipe("a red circle above a blue square", guidance_scale=3.0, generator=torch.Generator().manual_seed(0),
              output_type="np").images
numpy.save(sys.argv[2], images)
print(type(pipe).__module__)
"""


def test_a_saved_pipeline_loads_as_remote_code_in_a_fresh_process(tmp_path):
    pipe = make()
    pipe.save_pretrained(tmp_path / "pipeline")
    result = subprocess.run(
        [sys.executable, "-c", LOAD_IN_FRESH_PROCESS, str(tmp_path / "pipeline"), str(tmp_path / "images.npy")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "diffusers_modules.local.pipeline_nextflow"
    np.testing.assert_allclose(np.load(tmp_path / "images.npy"), pipe(**get_dummy_inputs()).images, atol=1e-6)


def test_a_half_precision_pipeline_loads_in_float32_unless_a_dtype_is_asked_for(tmp_path):
    make().to(torch.float16).save_pretrained(tmp_path)
    assert NextFlowPipeline.from_pretrained(tmp_path).model.dtype == torch.float32
    assert NextFlowPipeline.from_pretrained(tmp_path, dtype=torch.bfloat16).model.dtype == torch.bfloat16


def test_pipeline_runs_in_bfloat16():
    pipe = make().to(torch.bfloat16)
    assert pipe.model.dtype == torch.bfloat16
    assert pipe(**get_dummy_inputs()).images.shape == (1, 16, 16, 3)


def test_edit_keeps_the_source_bucket_and_checks_its_inputs():
    pipe = make(NextFlowEditPipeline)
    source = PIL.Image.new("RGB", (40, 20), (45, 85, 215))  # wide: height / width = 0.5
    edited = pipe(image=source, prompt="make it red", level=32, generator=torch.Generator().manual_seed(0))
    assert edited.images[0].size == (32, 16)
    assert len(edited.image_tokens) == 6
    with pytest.raises(ValueError, match="one source image per instruction; got 1 images, 2 prompts"):
        pipe(image=source, prompt=["make it red", "add a star"])


def test_interleaved_story_returns_text_and_images_in_order_and_video_frames():
    pipe = make(NextFlowInterleavedPipeline)
    boi = pipe.processor.boi_token_id
    output = pipe(
        "a story",
        max_new_tokens=4,
        max_images=2,
        video=True,
        generator=torch.Generator().manual_seed(0),
        text_generation_kwargs={"sequence_bias": {(boi,): 100.0}},  # an untrained model must be told to draw
    )
    assert len(output.images) == 2 and output.frames == output.images
    assert all(image.size == (16, 16) for image in output.images)
    kinds = ["image" if isinstance(segment, PIL.Image.Image) else "text" for segment in output.segments]
    assert kinds[:2] == ["image", "image"] and kinds[2:] == ["text"]
    assert output.text == output.segments[-1]
    with pytest.raises(ValueError, match="one prompt"):
        pipe(["a", "b"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="enable_model_cpu_offload needs an accelerator")
def test_model_cpu_offload_gives_the_same_images():
    pipe = make()
    expected = pipe(**get_dummy_inputs()).images
    pipe.enable_model_cpu_offload()
    np.testing.assert_allclose(pipe(**get_dummy_inputs()).images, expected, atol=1e-4)
