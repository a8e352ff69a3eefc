"""NextFlow pipelines: text → image, image + instruction → image, and prompt → interleaved text and images.

Each is a diffusers `DiffusionPipeline` over two components, the NextFlow `model` and its `processor`. This file
imports nothing from `nextflow_hf`, so a saved pipeline folder carries it and loads in a process without the package:
`DiffusionPipeline.from_pretrained(folder, trust_remote_code=True)`.
"""

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL.Image
import torch
from diffusers import DiffusionPipeline
from diffusers.utils import BaseOutput
from huggingface_hub import snapshot_download
from transformers import AutoModelForCausalLM, AutoProcessor

OUTPUT_TYPES = ("pil", "np", "pt")
PIPELINE_MODULE = "pipeline_nextflow"
COMPONENT_MODULES = {"model": "modeling_nextflow", "processor": "processing_nextflow"}


@dataclass
class NextFlowPipelineOutput(BaseOutput):
    r"""
    images (`list[PIL.Image.Image]`, `np.ndarray` or `torch.Tensor`): the images; arrays are `(N, H, W, 3)` and
        tensors `(N, 3, H, W)`, both in [0, 1].
    image_tokens (`list[torch.LongTensor]`): per scale, the `(N, h, w)` code grids the images were decoded from.
    """

    images: list[PIL.Image.Image] | np.ndarray | torch.Tensor
    image_tokens: list[torch.LongTensor]


@dataclass
class NextFlowInterleavedPipelineOutput(BaseOutput):
    r"""
    text (`str`): the generated text, with the images left out.
    images (`list`): the generated images in order, as `output_type` says.
    segments (`list`): text pieces and images in the order the model wrote them.
    frames (`list`, *optional*): for a video request, the images as ordered frames.
    """

    text: str
    images: list
    segments: list
    frames: list | None = None


def to_device(value: torch.Tensor | list[torch.Tensor], device: torch.device) -> torch.Tensor | list[torch.Tensor]:
    return [item.to(device) for item in value] if isinstance(value, list) else value.to(device)


class NextFlowBasePipeline(DiffusionPipeline):
    """What the NextFlow pipelines share: components, sizes, the per-scale loop's progress and callbacks, output
    conversion, and saving as a custom pipeline."""

    model_cpu_offload_seq = "model"
    _callback_tensor_inputs = ["token_maps"]

    def __init__(self, model: Any, processor: Any):
        super().__init__()
        self.register_modules(model=model, processor=processor)

    @property
    def guidance_scale(self) -> float | list[float]:
        return self._guidance_scale

    @property
    def do_classifier_free_guidance(self) -> bool:
        scales = self._guidance_scale
        return max(scales) > 1 if isinstance(scales, Sequence) else scales > 1

    @property
    def interrupt(self) -> bool:
        return self._interrupt

    @property
    def scale_table(self):
        return self.model.config.vq_config.scale_table

    def resolve_size(
        self, level: int | None, aspect_ratio: float | None, height: int | None, width: int | None
    ) -> tuple[int, float]:
        """The (level, aspect ratio) to draw: from `height` × `width` pixels, which must be a bucket size, or from
        `level` (default: the processor's) and `aspect_ratio` (height / width, default 1)."""
        factor = self.model.config.vq_config.downsample_factor
        table = self.scale_table
        if (height is None) != (width is None):
            raise ValueError(f"Give both height and width, or neither; got height={height}, width={width}.")
        if height is not None:
            sizes = {}
            for candidate_level, steps in table.levels.items():
                for ratio in table.aspect_ratios:
                    h, w = table.schedules[ratio][steps - 1]
                    sizes.setdefault((h * factor, w * factor), (candidate_level, ratio))
            if (height, width) not in sizes:
                accepted = ", ".join(f"{h}×{w}" for h, w in sorted(sizes))
                raise ValueError(f"Unsupported image size {height}×{width} (height × width); supported: {accepted}.")
            return sizes[(height, width)]
        level = self.processor.image_processor.level if level is None else level
        aspect_ratio = 1.0 if aspect_ratio is None else aspect_ratio
        table.get_schedule(level, aspect_ratio)  # raises on an unknown level or an unsupported ratio
        return level, aspect_ratio

    def check_common_inputs(self, output_type: str, callback_on_step_end_tensor_inputs: list[str] | None) -> None:
        if output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type must be one of {OUTPUT_TYPES}; got {output_type!r}.")
        unknown = set(callback_on_step_end_tensor_inputs or []) - set(self._callback_tensor_inputs)
        if unknown:
            raise ValueError(
                f"callback_on_step_end_tensor_inputs {sorted(unknown)} are not available; "
                f"choose from {self._callback_tensor_inputs}."
            )

    def scale_callback(self, progress_bar, callback_on_step_end: Callable | None) -> Callable:
        """The model's per-scale hook: advances the progress bar, calls `callback_on_step_end(pipe, scale, grid,
        {"token_maps": [...]})` (which may replace `token_maps`) and stops when the pipeline is interrupted."""

        def on_scale_end(scale: int, token_maps: list[torch.LongTensor]) -> bool:
            progress_bar.update()
            if callback_on_step_end is not None:
                grid = tuple(token_maps[-1].shape[-2:])
                outputs = callback_on_step_end(self, scale, grid, {"token_maps": token_maps})
                token_maps[:] = outputs.pop("token_maps", token_maps)
            return self.interrupt

        return on_scale_end

    def decode(self, token_maps: list[torch.LongTensor], schedule: list, output_type: str):
        """Pixels of the drawn scales (previewed at full size when generation stopped early), as `output_type`."""
        pixels = self.model.decode_image_tokens(token_maps, final_grid=schedule[-1]).float()
        if output_type == "pil":
            return self.processor.postprocess(pixels, return_tensors="PIL.Image.Image")["pixel_values"]
        images = ((pixels + 1) / 2).clamp(0, 1)
        return images.permute(0, 2, 3, 1).cpu().numpy() if output_type == "np" else images

    @classmethod
    def from_pretrained(
        cls, pretrained_model_name_or_path: str | os.PathLike, dtype: torch.dtype | None = None, **kwargs: Any
    ) -> "NextFlowBasePipeline":
        """Loads the `model` and `processor` of a saved pipeline folder (or Hub repo) with transformers' Auto
        classes, so any NextFlow pipeline opens any NextFlow folder. Components passed as keyword arguments are
        used as given; other keyword arguments (e.g. `trust_remote_code`, `revision`) go to both loaders.

        As in diffusers, the model loads in float32 unless `dtype` says otherwise, whatever dtype it was saved in:
        CPUs run the shipped checkpoint's fp16 weights far slower than float32 ones (on a GPU pass
        `dtype=torch.bfloat16`)."""
        folder = str(pretrained_model_name_or_path)
        if not os.path.isdir(folder):
            folder = snapshot_download(folder, revision=kwargs.get("revision"))
        model = kwargs.pop("model", None)
        processor = kwargs.pop("processor", None)
        if model is None:
            model = AutoModelForCausalLM.from_pretrained(
                os.path.join(folder, "model"), dtype=dtype or torch.float32, **kwargs
            )
        if processor is None:
            processor = AutoProcessor.from_pretrained(os.path.join(folder, "processor"), **kwargs)
        return cls(model=model.eval(), processor=processor)

    def save_pretrained(self, save_directory: str | os.PathLike, **kwargs: Any) -> None:
        """Saves the components and `model_index.json` as a custom pipeline: this file and the components' code
        go into the folder, so `DiffusionPipeline.from_pretrained(folder, trust_remote_code=True)` needs no install."""
        super().save_pretrained(save_directory, **kwargs)
        index_path = os.path.join(save_directory, "model_index.json")
        with open(index_path) as handle:
            index = json.load(handle)
        index["_class_name"] = [PIPELINE_MODULE, type(self).__name__]
        for name, module in COMPONENT_MODULES.items():
            index[name] = [module, index[name][1]]
        temporary = index_path + ".tmp"
        with open(temporary, "w") as handle:
            json.dump(index, handle, indent=2, sort_keys=True)
        os.replace(temporary, index_path)
        shutil.copyfile(__file__, os.path.join(save_directory, f"{PIPELINE_MODULE}.py"))

    def draw(
        self,
        inputs: dict,
        level: int,
        aspect_ratio: float,
        negative_prompt: str | list[str] | None,
        guidance_scale: float | Sequence[float] | None,
        sampling: dict,
        num_images_per_prompt: int,
        output_type: str,
        return_dict: bool,
        callback_on_step_end: Callable | None,
    ) -> "NextFlowPipelineOutput | tuple":
        """The shared body of the image pipelines: guidance, the per-scale loop under a progress bar, decoding.
        `inputs` are the processor's (prompts, and context images for editing)."""
        schedule = self.scale_table.get_schedule(level, aspect_ratio)
        gen_config = self.model.generation_config
        self._guidance_scale = guidance_scale if guidance_scale is not None else (gen_config.guidance_scale or 1.0)
        self._interrupt = False
        device = self._execution_device
        inputs = {key: to_device(value, device) for key, value in inputs.items()}
        if negative_prompt is not None:
            negatives = [negative_prompt] if isinstance(negative_prompt, str) else list(negative_prompt)
            encoded = self.processor(text=negatives).to(device)
            inputs.update(negative_input_ids=encoded["input_ids"], negative_attention_mask=encoded["attention_mask"])
        with self.progress_bar(total=len(schedule)) as progress_bar:
            output = self.model.generate_image(
                **inputs,
                level=level,
                aspect_ratio=aspect_ratio,
                guidance_scale=self._guidance_scale,
                num_images_per_prompt=num_images_per_prompt,
                callback_on_scale_end=self.scale_callback(progress_bar, callback_on_step_end),
                **sampling,
            )
        images = self.decode(output.image_tokens, schedule, output_type)
        self.maybe_free_model_hooks()
        if not return_dict:
            return (images, output.image_tokens)
        return NextFlowPipelineOutput(images=images, image_tokens=output.image_tokens)


class NextFlowPipeline(NextFlowBasePipeline):
    r"""
    Text → image with NextFlow: next-scale prediction, one decoder forward per scale on a KV cache, with
    classifier-free guidance ramped over the scales.

    Examples:
        ```py
        >>> pipe = NextFlowPipeline.from_pretrained("path/to/nextflow-pipeline")
        >>> image = pipe("two red circles above a blue square", generator=torch.Generator().manual_seed(0)).images[0]
        ```
    """

    @torch.no_grad()
    def __call__(
        self,
        prompt: str | list[str],
        negative_prompt: str | list[str] | None = None,
        level: int | None = None,
        aspect_ratio: float | None = None,
        height: int | None = None,
        width: int | None = None,
        guidance_scale: float | Sequence[float] | None = None,
        top_k: int | Sequence[int] | None = None,
        top_p: float | Sequence[float] | None = None,
        temperature: float | Sequence[float] | None = None,
        num_images_per_prompt: int = 1,
        generator: torch.Generator | list[torch.Generator] | None = None,
        output_type: str = "pil",
        return_dict: bool = True,
        callback_on_step_end: Callable | None = None,
        callback_on_step_end_tensor_inputs: list[str] | None = None,
    ) -> NextFlowPipelineOutput | tuple:
        r"""
        Args:
            prompt: the caption(s) to draw.
            negative_prompt: the unconditional branch of guidance (default: the empty prompt, as in training).
            level, aspect_ratio: the image size as a level of the scale table and height / width (the nearest
                bucket); or give `height` and `width` in pixels, which must be a bucket size.
            guidance_scale: CFG scale (1 = off), ramped linearly from 1 at the first scale, or one per scale;
                defaults to the model's generation config.
            top_k, top_p, temperature: per-token sampling over the codes; one value, or one per scale.
            num_images_per_prompt: images per prompt.
            generator: one `torch.Generator`, or one per image (then each image is reproducible on its own).
            output_type: `"pil"`, `"np"` or `"pt"`.
            callback_on_step_end: `fn(pipe, scale_index, (h, w), {"token_maps": [...]}) -> dict`, called once per
                scale; it may return replaced `token_maps`; set `pipe._interrupt = True` to stop early (the image
                is then previewed from the scales drawn so far).
        """
        self.check_common_inputs(output_type, callback_on_step_end_tensor_inputs)
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        level, aspect_ratio = self.resolve_size(level, aspect_ratio, height, width)
        inputs = self.processor(text=prompts)
        return self.draw(
            {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]},
            level,
            aspect_ratio,
            negative_prompt,
            guidance_scale,
            dict(top_k=top_k, top_p=top_p, temperature=temperature, generator=generator),
            num_images_per_prompt,
            output_type,
            return_dict,
            callback_on_step_end,
        )


class NextFlowEditPipeline(NextFlowBasePipeline):
    r"""
    Image + instruction → image: the source image goes into the sequence as a context image, then the instruction,
    then the edited image is drawn scale by scale. The output keeps the source's aspect-ratio bucket by default.
    """

    @torch.no_grad()
    def __call__(
        self,
        image: PIL.Image.Image | list[PIL.Image.Image],
        prompt: str | list[str],
        negative_prompt: str | list[str] | None = None,
        level: int | None = None,
        aspect_ratio: float | None = None,
        height: int | None = None,
        width: int | None = None,
        guidance_scale: float | Sequence[float] | None = None,
        top_k: int | Sequence[int] | None = None,
        top_p: float | Sequence[float] | None = None,
        temperature: float | Sequence[float] | None = None,
        num_images_per_prompt: int = 1,
        generator: torch.Generator | list[torch.Generator] | None = None,
        output_type: str = "pil",
        return_dict: bool = True,
        callback_on_step_end: Callable | None = None,
        callback_on_step_end_tensor_inputs: list[str] | None = None,
    ) -> NextFlowPipelineOutput | tuple:
        r"""
        Args:
            image: the source image(s), one per prompt.
            prompt: the edit instruction(s).
            Other arguments as in [`NextFlowPipeline.__call__`]; `aspect_ratio` defaults to the source's.
        """
        self.check_common_inputs(output_type, callback_on_step_end_tensor_inputs)
        images = [image] if isinstance(image, PIL.Image.Image) else list(image)
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        if len(images) != len(prompts):
            raise ValueError(
                f"Give one source image per instruction; got {len(images)} images, {len(prompts)} prompts."
            )
        if aspect_ratio is None and height is None:
            ratios = {image.height / image.width for image in images}
            if len(ratios) > 1:
                raise ValueError("Source images of different aspect ratios need an explicit aspect_ratio.")
            aspect_ratio = ratios.pop()
        level, aspect_ratio = self.resolve_size(level, aspect_ratio, height, width)
        texts = [self.processor.image_token + instruction for instruction in prompts]
        inputs = self.processor(images=images, text=texts, level=level)
        return self.draw(
            {key: inputs[key] for key in ("input_ids", "attention_mask", "pixel_values", "image_grids")},
            level,
            aspect_ratio,
            negative_prompt,
            guidance_scale,
            dict(top_k=top_k, top_p=top_p, temperature=temperature, generator=generator),
            num_images_per_prompt,
            output_type,
            return_dict,
            callback_on_step_end,
        )


class NextFlowInterleavedPipeline(NextFlowBasePipeline):
    r"""
    Prompt → interleaved text and images: the model writes, draws whenever it emits `<boi>`, and writes on. With
    `video=True` the images are returned as ordered `frames` too (the paper trains at most 5 frames at 512 px).
    """

    @torch.no_grad()
    def __call__(
        self,
        prompt: str,
        max_new_tokens: int = 256,
        max_images: int | None = None,
        video: bool = False,
        level: int | None = None,
        aspect_ratio: float | None = None,
        guidance_scale: float | Sequence[float] | None = None,
        top_k: int | Sequence[int] | None = None,
        top_p: float | Sequence[float] | None = None,
        temperature: float | Sequence[float] | None = None,
        do_sample: bool = False,
        generator: torch.Generator | None = None,
        output_type: str = "pil",
        return_dict: bool = True,
        callback_on_step_end: Callable | None = None,
        callback_on_step_end_tensor_inputs: list[str] | None = None,
        text_generation_kwargs: dict | None = None,
    ) -> NextFlowInterleavedPipelineOutput | tuple:
        r"""
        Args:
            prompt: one prompt.
            max_new_tokens: text tokens to write at most (images do not count).
            max_images: images to draw at most (default 4, or 5 frames for a video).
            video: return the images as ordered frames as well.
            do_sample: sample the text (default: greedy); images are always sampled.
            text_generation_kwargs: further arguments of the text `generate` (e.g. `repetition_penalty`).
            Other arguments as in [`NextFlowPipeline.__call__`]; callbacks run once per scale of every image.
        """
        self.check_common_inputs(output_type, callback_on_step_end_tensor_inputs)
        if not isinstance(prompt, str):
            raise ValueError(f"The interleaved pipeline takes one prompt (a string); got {type(prompt).__name__}.")
        max_images = (5 if video else 4) if max_images is None else max_images
        level, aspect_ratio = self.resolve_size(level, aspect_ratio, None, None)
        schedule = self.scale_table.get_schedule(level, aspect_ratio)
        gen_config = self.model.generation_config
        self._guidance_scale = guidance_scale if guidance_scale is not None else (gen_config.guidance_scale or 1.0)
        self._interrupt = False
        inputs = self.processor(text=prompt).to(self._execution_device)
        with self.progress_bar(total=len(schedule) * max_images) as progress_bar:
            image_kwargs = dict(
                level=level,
                aspect_ratio=aspect_ratio,
                callback_on_scale_end=self.scale_callback(progress_bar, callback_on_step_end),
                guidance_scale=self._guidance_scale,
                top_k=top_k,
                top_p=top_p,
                temperature=temperature,
                generator=generator,
            )
            output = self.model.generate_interleaved(
                inputs["input_ids"],
                attention_mask=inputs["attention_mask"],
                max_new_tokens=max_new_tokens,
                max_images=max_images,
                image_kwargs=image_kwargs,
                do_sample=do_sample,
                **(text_generation_kwargs or {}),
            )
        images = [self.decode(tokens, schedule, output_type)[0] for tokens in output.images]
        segments = self.split_segments(output.sequences[0, inputs["input_ids"].shape[1] :], images)
        text = "".join(segment for segment in segments if isinstance(segment, str))
        self.maybe_free_model_hooks()
        frames = images if video else None
        if not return_dict:
            return (text, images, segments, frames)
        return NextFlowInterleavedPipelineOutput(text=text, images=images, segments=segments, frames=frames)

    def split_segments(self, new_tokens: torch.LongTensor, images: list) -> list:
        """Decoded text pieces and the images, in the order of the generated tokens."""
        boi, eoi = self.processor.boi_token_id, self.processor.eoi_token_id
        segments, text, inside, drawn = [], [], False, iter(images)
        for token in new_tokens.tolist():
            if token == boi:
                if text:
                    segments.append(self.processor.tokenizer.decode(text, skip_special_tokens=True))
                segments.append(next(drawn))
                text, inside = [], True
            elif token == eoi:
                inside = False
            elif not inside:
                text.append(token)
        if text:
            segments.append(self.processor.tokenizer.decode(text, skip_special_tokens=True))
        return [segment for segment in segments if not isinstance(segment, str) or segment]


__all__ = [
    "NextFlowEditPipeline",
    "NextFlowInterleavedPipeline",
    "NextFlowInterleavedPipelineOutput",
    "NextFlowPipeline",
    "NextFlowPipelineOutput",
]
