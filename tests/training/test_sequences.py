"""Training sequences: each task is written exactly as inference reads it, and labels train only what the model
must produce."""

import random

import PIL.Image
import pytest
import torch

from nextflow_hf.modeling import NextFlowConfig, NextFlowImageProcessor, NextFlowProcessor
from nextflow_hf.modeling.sequence_layout import IGNORE_INDEX
from nextflow_hf.training.sequences import SequenceBuilder

from ..sequences import tiny_nextflow
from ..tokenization import tiny_tokenizer

CONFIG = NextFlowConfig.tiny()
SCHEDULE = CONFIG.vq_config.scale_table.get_schedule(16)
NUM_TARGETS = sum(h * w for h, w in SCHEDULE)


def flat_codes(seed: int) -> list[int]:
    return torch.randint(0, 64, (NUM_TARGETS,), generator=torch.Generator().manual_seed(seed)).tolist()


def image_columns(name: str, seed: int) -> dict[str, list[int]]:
    """An extracted image: input codes (self-corrected) that differ from the targets."""
    targets = flat_codes(seed)
    return {f"{name}_input_codes": [(code + 1) % 64 for code in targets], f"{name}_target_codes": targets}


def builder(caption_dropout: float = 0.0) -> SequenceBuilder:
    return SequenceBuilder(CONFIG, tiny_tokenizer(), SCHEDULE, caption_dropout=caption_dropout)


def words(text: str) -> list[int]:
    return tiny_tokenizer()(text, add_special_tokens=False)["input_ids"]


def test_text_to_image_is_the_caption_then_a_generated_image_trained_on_its_targets():
    row = {"prompt": "a red circle", **image_columns("image", 0)}
    example = builder().build("text_to_image", row, random.Random(0))
    caption = words("a red circle")
    ids, labels = example["input_ids"], example["labels"]
    assert ids[: len(caption)] == caption and labels[: len(caption)] == [IGNORE_INDEX] * len(caption)
    assert ids[len(caption)] == CONFIG.boi_token_id and ids[-1] == CONFIG.eoi_token_id
    offset = CONFIG.vision_token_offset
    assert labels[len(caption)] == CONFIG.boi_token_id
    assert labels[len(caption) + 1 : len(caption) + 1 + NUM_TARGETS] == [
        code + offset for code in row["image_target_codes"]
    ]
    assert ids[len(caption) + 1] == row["image_input_codes"][0] + offset  # B_1 shows scale 1 on scale 2's grid
    assert example["image_grids"] == [list(SCHEDULE[-1])]


def test_caption_dropout_leaves_the_empty_prompt_of_classifier_free_guidance():
    row = {"prompt": "a red circle", **image_columns("image", 0)}
    dropped = builder(caption_dropout=1.0).build("text_to_image", row, random.Random(0))
    assert dropped["input_ids"][0] == CONFIG.boi_token_id
    rates = [
        builder(caption_dropout=0.3).build("text_to_image", row, random.Random(seed))["input_ids"][0]
        == CONFIG.boi_token_id
        for seed in range(400)
    ]
    assert 0.22 < sum(rates) / len(rates) < 0.38


def test_question_answering_prompt_is_the_processors_chat_prompt_with_the_image_codes():
    row = {"question": "what color is the circle?", "answer": "red", **image_columns("image", 1)}
    example = builder().build("question_answering", row, random.Random(0))
    processor = NextFlowProcessor(NextFlowImageProcessor.from_vq_config(CONFIG.vq_config, level=16), tiny_tokenizer())
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": row["question"]}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    expected = processor(images=[PIL.Image.new("RGB", (16, 16))], text=prompt)["input_ids"][0].tolist()
    ids = torch.tensor(example["input_ids"][: len(expected)])
    is_code = ids >= CONFIG.vision_token_offset
    assert ids.masked_fill(is_code, CONFIG.image_token_id).tolist() == expected
    answer = example["input_ids"][len(expected) :]
    assert answer == [*words("red"), tiny_tokenizer().eos_token_id]
    assert example["labels"][len(expected) :] == answer
    assert set(example["labels"][: len(expected)]) == {IGNORE_INDEX}
    assert ids[is_code].tolist()[:1] == [row["image_target_codes"][0] + CONFIG.vision_token_offset]  # read: top-1


def test_an_edit_reads_the_source_untrained_and_draws_the_target():
    row = {
        "instruction": "paint the circle red",
        **image_columns("source_image", 2),
        **image_columns("target_image", 3),
    }
    example = builder().build("editing", row, random.Random(0))
    ids, labels = example["input_ids"], example["labels"]
    boi_positions = [p for p, token in enumerate(ids) if token == CONFIG.boi_token_id]
    assert boi_positions[0] == 0 and len(boi_positions) == 2
    assert set(labels[: boi_positions[1]]) == {IGNORE_INDEX}
    assert labels[boi_positions[1]] == CONFIG.boi_token_id
    assert example["image_grids"] == [list(SCHEDULE[-1])] * 2


def test_a_story_trains_every_sentence_but_the_first_every_image_and_the_end():
    texts = ["the picture shows a red circle.", "the circle turns blue."]
    row = {
        "texts": texts,
        "images_input_codes": [image_columns("x", 4)["x_input_codes"], image_columns("x", 5)["x_input_codes"]],
        "images_target_codes": [flat_codes(4), flat_codes(5)],
    }
    example = builder().build("story", row, random.Random(0))
    ids, labels = example["input_ids"], example["labels"]
    first = words(texts[0])
    assert ids[: len(first)] == first and set(labels[: len(first)]) == {IGNORE_INDEX}
    eoi = ids.index(CONFIG.eoi_token_id)
    second = words(texts[1])
    assert ids[eoi + 1 : eoi + 1 + len(second)] == second and labels[eoi + 1 : eoi + 1 + len(second)] == second
    assert ids[-1] == labels[-1] == tiny_tokenizer().eos_token_id
    context_length = 2 + sum(h * w for h, w in SCHEDULE[1:]) + SCHEDULE[-1][0] * SCHEDULE[-1][1]
    assert eoi - len(first) + 1 == context_length  # a drawn image stays in context with its finest block


@pytest.mark.parametrize(
    "task, row",
    [
        ("captioning", {"prompt": "a red circle", **image_columns("image", 6)}),
        (
            "video",
            {
                "prompt": "a red circle moves up.",
                "frames_input_codes": [flat_codes(7)] * 3,
                "frames_target_codes": [flat_codes(8)] * 3,
            },
        ),
        (
            "knowledge_reasoning",
            {
                "prompt": "a circle",
                "reasoning": "a circle is red.",
                "resolved_prompt": "a red circle",
                **image_columns("image", 9),
            },
        ),
        (
            "editing",
            {
                "instruction": "paint the circle red",
                **image_columns("source_image", 2),
                **image_columns("target_image", 3),
            },
        ),
    ],
)
def test_every_task_gives_a_sequence_the_model_trains_on(task, row):
    example = builder().build(task, row, random.Random(0))
    model = tiny_nextflow()
    output = model(
        torch.tensor([example["input_ids"]]),
        image_grids=torch.tensor(example["image_grids"]),
        labels=torch.tensor([example["labels"]]),
    )
    assert torch.isfinite(output.loss) and output.loss > 0


def test_unknown_tasks_and_bad_dropout_are_refused_with_the_accepted_values():
    with pytest.raises(ValueError, match="Unknown sequence task 'painting'.*text_to_image"):
        builder().build("painting", {}, random.Random(0))
    with pytest.raises(ValueError, match=r"caption_dropout must lie in \[0, 1\]; got 1.5"):
        builder(caption_dropout=1.5)
