"""Processor of NextFlow: the tokenizer and the image processor together, with each image's span in the prompt.

Every image placeholder of a prompt stands for one image, given in order. It becomes the span of a complete image in
context: `<boi>`, then one placeholder per block token of the image's layout (`layout_for_grid(..., context=True)`),
then `<eoi>`. The model fills the placeholders with the image's vision tokens.
"""

import os
from typing import Any

from transformers import AutoTokenizer
from transformers.feature_extraction_utils import BatchFeature
from transformers.image_utils import ImageInput
from transformers.processing_utils import ProcessingKwargs, ProcessorMixin, Unpack
from transformers.tokenization_utils_base import PreTrainedTokenizerBase, TextInput

from .image_processing_nextflow import NextFlowImageProcessor, NextFlowImageProcessorKwargs
from .scales import ScaleScheduleTable
from .sequence_layout import layout_for_grid

# Qwen-style turns; an `{"type": "image"}` content item becomes the tokenizer's image token.
DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{{ image_token }}{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

GENERATION_MODES = ("text", "image")


class NextFlowProcessorKwargs(ProcessingKwargs, total=False):
    images_kwargs: NextFlowImageProcessorKwargs


def special_token(tokenizer: PreTrainedTokenizerBase, name: str) -> tuple[str, int]:
    """The tokenizer's `name` token (`image_token`, `boi_token`, `eoi_token`) and its id; raises when it lacks it."""
    token = getattr(tokenizer, name, None)
    if token is None or token not in tokenizer.get_vocab():
        found = "is not set" if token is None else f"is {token!r}, which is not in its vocabulary"
        raise ValueError(
            f"NextFlowProcessor needs the tokenizer's `{name}`, but it {found}. Name the image placeholder and the "
            "image delimiters when loading or building the tokenizer, e.g. `AutoTokenizer.from_pretrained(path, "
            'extra_special_tokens={"image_token": "<|image_pad|>", "boi_token": "<boi>", "eoi_token": "<eoi>"})`; '
            "tokens not yet in the vocabulary are added as special tokens, in that order. For a tokenizer in hand, "
            'add the tokens with `tokenizer.add_special_tokens({"extra_special_tokens": [...]}, '
            "replace_extra_special_tokens=False)`, save it and reload it naming them as above."
        )
    return token, tokenizer.convert_tokens_to_ids(token)


class NextFlowProcessor(ProcessorMixin):
    r"""
    Turns prompts and images into NextFlow's inputs: `input_ids` and `attention_mask` (left-padded), and, when
    images are given, `pixel_values` and `image_grids` from [`NextFlowImageProcessor`].

    The tokenizer must name an image placeholder (`tokenizer.image_token`) and the image delimiters
    (`tokenizer.boi_token`, `tokenizer.eoi_token`), with `<eoi>` right after `<boi>` in the vocabulary; vision code 0
    is the token after `<eoi>`.

    Args:
        image_processor ([`NextFlowImageProcessor`]): sizes images to their buckets and holds the scale table.
        tokenizer ([`PreTrainedTokenizerFast`]): the text tokenizer.
        chat_template (`str`, *optional*): Jinja chat template; defaults to Qwen-style turns.
    """

    valid_processor_kwargs = NextFlowProcessorKwargs
    text_kwargs = {"padding": True, "padding_side": "left", "return_tensors": "pt"}
    images_kwargs = {"return_tensors": "pt"}
    # Images of different sizes stay a list of tensors.
    skip_tensor_conversion = [*ProcessorMixin.skip_tensor_conversion, "pixel_values"]

    def __init__(
        self,
        image_processor: NextFlowImageProcessor,
        tokenizer: PreTrainedTokenizerBase,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.image_token, self.image_token_id = special_token(tokenizer, "image_token")
        self.boi_token, self.boi_token_id = special_token(tokenizer, "boi_token")
        self.eoi_token, self.eoi_token_id = special_token(tokenizer, "eoi_token")
        if self.eoi_token_id != self.boi_token_id + 1:
            raise ValueError(
                f"NextFlow's vocabulary is [text][<boi>][<eoi>][vision codes], so `eoi_token` must directly follow "
                f"`boi_token`; the tokenizer has {self.boi_token!r} at {self.boi_token_id} and {self.eoi_token!r} at "
                f"{self.eoi_token_id}."
            )
        self.vision_token_offset = self.eoi_token_id + 1
        chat_template = DEFAULT_CHAT_TEMPLATE if chat_template is None else chat_template
        super().__init__(image_processor, tokenizer, chat_template=chat_template, **kwargs)

    def __call__(
        self,
        images: ImageInput | None = None,
        text: TextInput | list[TextInput] | None = None,
        generation_mode: str = "text",
        level: int | None = None,
        **kwargs: Unpack[NextFlowProcessorKwargs],
    ) -> BatchFeature:
        """Tokenizes `text` with every image placeholder expanded to its image's span, and processes `images`.

        Args:
            images: one image per placeholder in `text`, in order (all prompts together).
            text: a prompt or a batch of prompts.
            generation_mode: `"text"` or `"image"`. The inputs are the same for both: for image generation the model
                appends `<boi>` itself, and images given here are context images (e.g. the source of an edit).
            level: level of the scale table the images are sized for; defaults to the image processor's.
        """
        if generation_mode not in GENERATION_MODES:
            raise ValueError(f"Unknown generation_mode {generation_mode!r}; expected one of {GENERATION_MODES}.")
        if level is not None:
            kwargs["level"] = level
        return super().__call__(images=images, text=text, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any) -> "NextFlowProcessor":
        """Loads the tokenizer with `AutoTokenizer` and the image processor by its own class: its code ships
        beside this file, so a processor loaded as remote code (e.g. inside a Hub pipeline) needs no second consent."""
        image_processor = NextFlowImageProcessor.from_pretrained(pretrained_model_name_or_path, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(pretrained_model_name_or_path, **kwargs)
        processor_dict, _ = cls.get_processor_dict(pretrained_model_name_or_path, **kwargs)
        return cls(image_processor, tokenizer, chat_template=processor_dict.get("chat_template"))

    @property
    def scale_table(self) -> ScaleScheduleTable:
        """The image processor's table: the sizes and schedules images get."""
        return self.image_processor.scale_table

    def replace_image_token(self, image_inputs: dict, image_idx: int, **kwargs: Any) -> str:
        """`<boi>`, one placeholder per block token of the image as a context image, `<eoi>`."""
        grid = tuple(int(side) for side in image_inputs["image_grids"][image_idx])
        layout = layout_for_grid(self.scale_table, grid, context=True)
        return self.boi_token + self.image_token * layout.num_block_tokens + self.eoi_token

    def postprocess(self, images: ImageInput, **kwargs: Any) -> BatchFeature:
        """Decoded pixels back to images; see [`NextFlowImageProcessor.postprocess`]."""
        return self.image_processor.postprocess(images, **kwargs)

    def post_process_image_text_to_text(
        self, generated_outputs: Any, skip_special_tokens: bool = True, **kwargs: Any
    ) -> list[str]:
        """Decodes a `(batch, length)` batch of generated ids to one string per row."""
        return self.tokenizer.batch_decode(generated_outputs, skip_special_tokens=skip_special_tokens, **kwargs)

    def post_process_multimodal_output(
        self,
        generated_outputs: Any,
        skip_special_tokens: bool = True,
        generation_mode: str | None = None,
        **kwargs: Any,
    ) -> list:
        """Generated text ids to strings (`generation_mode` `"text"` or `None`), or generated `(N, 3, H, W)` pixels
        in [-1, 1] to PIL images (`"image"`)."""
        if generation_mode is None or generation_mode == "text":
            return self.post_process_image_text_to_text(generated_outputs, skip_special_tokens, **kwargs)
        if generation_mode == "image":
            return self.postprocess(generated_outputs, return_tensors="PIL.Image.Image")["pixel_values"]
        raise ValueError(f"Unknown generation_mode {generation_mode!r}; expected one of {GENERATION_MODES}.")


__all__ = ["DEFAULT_CHAT_TEMPLATE", "NextFlowProcessor", "NextFlowProcessorKwargs"]
