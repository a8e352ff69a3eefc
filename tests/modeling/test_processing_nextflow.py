"""Processor: image spans in the prompt, left padding, image counts, special tokens, chat template, saving."""

import numpy as np
import pytest
import torch
from transformers import PreTrainedTokenizerFast

from nextflow_hf.modeling.configuration_nextflow import NextFlowConfig
from nextflow_hf.modeling.processing_nextflow import NextFlowProcessor
from nextflow_hf.modeling.sequence_layout import layout_for_grid

from ..tokenization import tiny_tokenizer
from .test_image_processing_nextflow import random_image, tiny_image_processor

IMAGE, BOI, EOI, PAD = 3, 96, 97, 2


def tiny_processor(**kwargs) -> NextFlowProcessor:
    return NextFlowProcessor(tiny_image_processor(**kwargs), tiny_tokenizer())


def image_span(num_placeholders: int) -> list[int]:
    return [BOI] + [IMAGE] * num_placeholders + [EOI]


def test_token_ids_match_the_tiny_model():
    processor, config = tiny_processor(), NextFlowConfig.tiny()
    assert (processor.image_token, processor.boi_token, processor.eoi_token) == ("<|image_pad|>", "<boi>", "<eoi>")
    assert (processor.image_token_id, processor.boi_token_id, processor.eoi_token_id) == (IMAGE, BOI, EOI)
    assert processor.boi_token_id == config.boi_token_id and processor.eoi_token_id == config.eoi_token_id
    assert processor.vision_token_offset == config.vision_token_offset == 98


def test_placeholder_becomes_boi_one_token_per_block_and_eoi():
    processor = tiny_processor()
    out = processor(images=[random_image(16, 16)], text="<|image_pad|>what colour is the circle?")
    layout = layout_for_grid(processor.image_processor.scale_table, (4, 4), context=True)
    assert layout.num_block_tokens == 45 == 2 * 2 + 3 * 3 + 4 * 4 + 4 * 4
    question = processor.tokenizer("what colour is the circle?")["input_ids"]
    assert out["input_ids"].tolist() == [image_span(45) + question]
    assert out["attention_mask"].eq(1).all()
    assert out["pixel_values"].shape == (1, 3, 16, 16)
    assert out["image_grids"].tolist() == [[4, 4]]


def test_every_image_gets_its_own_span_in_order():
    # Level 16: a 1:1 image has blocks 2×2+3×3+4×4+4×4 = 45, a 1:2 image 1×2+2×3+2×4+2×4 = 24.
    out = tiny_processor()(
        images=[random_image(30, 60), random_image(20, 20), random_image(30, 60)],
        text=["<|image_pad|>red<|image_pad|>", "blue<|image_pad|>"],
    )
    red, blue = 6, 10
    assert out["input_ids"][0].tolist() == image_span(24) + [red] + image_span(45)
    assert out["input_ids"][1, -27:].tolist() == [blue] + image_span(24)
    assert out["image_grids"].tolist() == [[2, 4], [4, 4], [2, 4]]
    assert [tuple(image.shape) for image in out["pixel_values"]] == [(3, 8, 16), (3, 16, 16), (3, 8, 16)]


def test_level_sets_image_size_and_span_length():
    out = tiny_processor()(images=[random_image(30, 60)], text="<|image_pad|>", level=32)
    # 1:2 at level 32: blocks 1×2+2×3+2×4+3×6+4×8+4×8 = 98.
    assert out["input_ids"].tolist() == [image_span(98)]
    assert out["pixel_values"].shape == (1, 3, 16, 32)


def test_prompts_of_different_length_are_left_padded():
    out = tiny_processor()(text=["red circle", "what colour is the large blue star?"])
    short = tiny_tokenizer()("red circle")["input_ids"]
    assert out["input_ids"].shape == (2, 8)
    assert out["input_ids"][0].tolist() == [PAD] * 6 + short
    assert out["attention_mask"].tolist() == [[0] * 6 + [1] * 2, [1] * 8]
    assert "pixel_values" not in out


@pytest.mark.parametrize(
    ("text", "num_images", "message"),
    [
        ("<|image_pad|>", 2, r"Found total 1 <\|image_pad\|> tokens and 2 images"),
        (["<|image_pad|>", "<|image_pad|><|image_pad|>"], 2, r"Found total 3 <\|image_pad\|> tokens and 2 images"),
        ("<|image_pad|>", 0, r"Found 1 <\|image_pad\|> tokens in the text but no images"),
    ],
)
def test_images_must_match_the_placeholders(text, num_images, message):
    images = [random_image(16, 16)] * num_images or None
    with pytest.raises(ValueError, match=message):
        tiny_processor()(images=images, text=text)


def test_image_generation_prompts_are_tokenized_alike():
    processor = tiny_processor()
    image, text = random_image(16, 16), "<|image_pad|>draw a red star"
    as_text = processor(images=[image], text=text)
    as_image = processor(images=[image], text=text, generation_mode="image")
    assert torch.equal(as_text["input_ids"], as_image["input_ids"])
    with pytest.raises(ValueError, match="Unknown generation_mode 'video'"):
        processor(text=text, generation_mode="video")


def tiny_tokenizer_naming(**tokens: str) -> PreTrainedTokenizerFast:
    """The tiny vocabulary with only the image tokens named in `tokens`."""
    return PreTrainedTokenizerFast(tokenizer_object=tiny_tokenizer().backend_tokenizer, extra_special_tokens=tokens)


@pytest.mark.parametrize("name", ["image_token", "boi_token", "eoi_token"])
def test_tokenizer_without_an_image_token_is_refused(name):
    tokens = {"image_token": "<|image_pad|>", "boi_token": "<boi>", "eoi_token": "<eoi>"}
    del tokens[name]
    with pytest.raises(ValueError, match=rf"`{name}`, but it is not set.*extra_special_tokens"):
        NextFlowProcessor(tiny_image_processor(), tiny_tokenizer_naming(**tokens))


def test_image_tokens_must_be_in_the_vocabulary():
    tokenizer = tiny_tokenizer()
    tokenizer.image_token = "<image>"  # named, but never added
    with pytest.raises(ValueError, match="`image_token`, but it is '<image>', which is not in its vocabulary"):
        NextFlowProcessor(tiny_image_processor(), tokenizer)


def test_eoi_must_follow_boi():
    tokenizer = tiny_tokenizer_naming(image_token="<|image_pad|>", boi_token="<eoi>", eoi_token="<boi>")
    with pytest.raises(ValueError, match="'<eoi>' at 97 and '<boi>' at 96"):
        NextFlowProcessor(tiny_image_processor(), tokenizer)


def test_chat_template_renders_images_as_placeholders():
    conversation = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "what colour is the circle?"}]},
        {"role": "assistant", "content": "red."},
        {"role": "user", "content": "and the square?"},
    ]
    prompt = tiny_processor().apply_chat_template(conversation, add_generation_prompt=True)
    assert prompt == (
        "<|im_start|>user\n<|image_pad|>what colour is the circle?<|im_end|>\n"
        "<|im_start|>assistant\nred.<|im_end|>\n"
        "<|im_start|>user\nand the square?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert "[UNK]" not in tiny_tokenizer().convert_ids_to_tokens(tiny_tokenizer()(prompt)["input_ids"])


def test_post_processing_decodes_text_and_images():
    processor = tiny_processor()
    ids = processor(text=["what colour?", "red circle"])["input_ids"]
    assert processor.post_process_image_text_to_text(ids) == ["what colour ?", "red circle"]
    assert processor.post_process_multimodal_output(ids, generation_mode="text") == ["what colour ?", "red circle"]
    pixels = torch.zeros(2, 3, 8, 16)
    images = processor.post_process_multimodal_output(pixels, generation_mode="image")
    assert [image.size for image in images] == [(16, 8), (16, 8)]
    assert np.asarray(images[0]).max() <= 128 and np.asarray(images[0]).min() >= 127


def test_save_and_load_give_identical_outputs(tmp_path):
    chat_template = "{% for message in messages %}{{ message['content'] }}{% endfor %}"
    processor = NextFlowProcessor(tiny_image_processor(level=32), tiny_tokenizer(), chat_template=chat_template)
    processor.save_pretrained(tmp_path)
    loaded = NextFlowProcessor.from_pretrained(tmp_path)
    assert loaded.chat_template == chat_template
    assert loaded.image_processor.to_dict() == processor.image_processor.to_dict()
    assert loaded.tokenizer.padding_side == "left"
    images, text = [random_image(20, 20), random_image(30, 60)], ["<|image_pad|>red", "a<|image_pad|>blue star"]
    expected, actual = processor(images=images, text=text), loaded(images=images, text=text)
    assert expected.keys() == actual.keys()
    for key in ("input_ids", "attention_mask", "image_grids"):
        assert torch.equal(expected[key], actual[key])
    assert all(torch.equal(a, b) for a, b in zip(expected["pixel_values"], actual["pixel_values"]))
