"""Training sequences of the language-model stages, built from pre-extracted codes (see `training.extraction`).

Every task is written the way inference reads it, so what the model learns is what the pipelines ask:

- `text_to_image`: `caption <boi> B_1 … B_{K-1} <eoi>` (`NextFlowPipeline`); the caption is dropped with probability
  `caption_dropout`, which trains the empty prompt that classifier-free guidance contrasts with.
- `captioning`: `<boi> image <eoi> caption <eos>`.
- `question_answering`: a chat turn, `user: image + question`, `assistant: answer <eos>` (the processor's template).
- `editing`: `<boi> source <eoi> instruction <boi> B_1 … <eoi>` (`NextFlowEditPipeline`).
- `story`: `sentence <boi> image <eoi> sentence <boi> image <eoi> … <eos>`, and `video`: `prompt <boi> frame <eoi> …
  <eos>` (`NextFlowInterleavedPipeline`); images drawn in a stream sit in context afterwards, so they are laid out as
  context images (with the finest block) and trained on their targets.
- `knowledge_reasoning`: a chat turn whose answer reasons first, then writes the resolved caption and draws it.

Labels train only what the model must produce: answers, later sentences, `<boi>`, every image's target codes and
the final `<eos>`. Generated images take the (self-corrected) input codes as inputs and the top-1 codes as targets;
images the model only reads take the top-1 codes.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from ..modeling.configuration_nextflow import NextFlowConfig
from ..modeling.processing_nextflow import DEFAULT_CHAT_TEMPLATE
from ..modeling.scales import Grid
from ..modeling.sequence_layout import IGNORE_INDEX, layout_for_schedule
from .extraction import split_codes

Example = dict[str, list]


@dataclass
class SequenceBuilder:
    """Writes one task's extracted row as `input_ids`, `labels` and the `image_grids` of its images.

    Args:
        config: the model's configuration (token ids of `<boi>`, `<eoi>`, the codes, and the scale table).
        tokenizer: the text tokenizer; its eos ends answers and streams.
        schedule: the scale schedule the codes were extracted with.
        caption_dropout: probability of dropping a text-to-image caption (the unconditional branch of CFG).
    """

    config: NextFlowConfig
    tokenizer: PreTrainedTokenizerBase
    schedule: Sequence[Grid]
    caption_dropout: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.caption_dropout <= 1.0:
            raise ValueError(f"caption_dropout must lie in [0, 1]; got {self.caption_dropout}.")
        if self.tokenizer.eos_token_id is None:
            raise ValueError("The tokenizer needs an eos token: it ends answers and interleaved streams.")
        table = self.config.vq_config.scale_table
        self.schedule = tuple(map(tuple, self.schedule))
        self.layouts = {context: layout_for_schedule(table, self.schedule, context) for context in (False, True)}
        self.tasks: dict[str, Callable[[dict[str, Any], random.Random], Example]] = {
            "text_to_image": self.text_to_image,
            "captioning": self.captioning,
            "question_answering": self.question_answering,
            "editing": self.editing,
            "story": self.story,
            "video": self.video,
            "knowledge_reasoning": self.knowledge_reasoning,
        }

    def build(self, task: str, row: dict[str, Any], rng: random.Random) -> Example:
        """The example of `task` for one extracted row; `rng` draws the caption dropout."""
        if task not in self.tasks:
            raise ValueError(f"Unknown sequence task {task!r}; expected one of {sorted(self.tasks)}.")
        return self.tasks[task](row, rng)

    # ----- pieces -----

    def text(self, text: str, trained: bool) -> Example:
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return {"input_ids": ids, "labels": ids if trained else [IGNORE_INDEX] * len(ids), "image_grids": []}

    def eos(self) -> Example:
        eos = self.tokenizer.eos_token_id
        return {"input_ids": [eos], "labels": [eos], "image_grids": []}

    def image(self, input_codes: Sequence[int], target_codes: Sequence[int], generated: bool, context: bool) -> Example:
        """An image span: generated ones are trained on their targets, read ones (`generated=False`) are not."""
        config, layout = self.config, self.layouts[context]
        codes = input_codes if generated else target_codes
        ids = layout.token_ids(
            split_codes(codes, self.schedule), config.vision_token_offset, config.boi_token_id, config.eoi_token_id
        )
        if generated:
            labels = layout.labels(
                split_codes(target_codes, self.schedule), config.vision_token_offset, config.boi_token_id
            )
        else:
            labels = torch.full_like(ids, IGNORE_INDEX)
        return {"input_ids": ids.tolist(), "labels": labels.tolist(), "image_grids": [list(self.schedule[-1])]}

    def chat_prompt(self, content: list[dict[str, str]]) -> str:
        """A user turn and the assistant's opening, exactly as `processor.apply_chat_template` writes them."""
        messages = [{"role": "user", "content": content}]
        return self.tokenizer.apply_chat_template(
            messages,
            chat_template=DEFAULT_CHAT_TEMPLATE,
            add_generation_prompt=True,
            tokenize=False,
            image_token=self.tokenizer.image_token,
        )

    def with_image_spans(self, prompt: Example, images: Sequence[Example]) -> Example:
        """`prompt` with each image placeholder token replaced by the next of `images`."""
        placeholder = self.tokenizer.convert_tokens_to_ids(self.tokenizer.image_token)
        pieces, images = [], iter(images)
        for token, label in zip(prompt["input_ids"], prompt["labels"]):
            pieces.append(next(images) if token == placeholder else {"input_ids": [token], "labels": [label]})
        return concatenate(pieces)

    # ----- tasks -----

    def text_to_image(self, row: dict[str, Any], rng: random.Random) -> Example:
        caption = "" if rng.random() < self.caption_dropout else row["prompt"]
        image = self.image(row["image_input_codes"], row["image_target_codes"], generated=True, context=False)
        return concatenate([self.text(caption, trained=False), image])

    def captioning(self, row: dict[str, Any], rng: random.Random) -> Example:
        image = self.image(row["image_input_codes"], row["image_target_codes"], generated=False, context=True)
        return concatenate([image, self.text(row["prompt"], trained=True), self.eos()])

    def question_answering(self, row: dict[str, Any], rng: random.Random) -> Example:
        prompt = self.chat_prompt([{"type": "image"}, {"type": "text", "text": row["question"]}])
        image = self.image(row["image_input_codes"], row["image_target_codes"], generated=False, context=True)
        turn = self.with_image_spans(self.text(prompt, trained=False), [image])
        return concatenate([turn, self.text(row["answer"], trained=True), self.eos()])

    def editing(self, row: dict[str, Any], rng: random.Random) -> Example:
        source = self.image(
            row["source_image_input_codes"], row["source_image_target_codes"], generated=False, context=True
        )
        target = self.image(
            row["target_image_input_codes"], row["target_image_target_codes"], generated=True, context=False
        )
        return concatenate([source, self.text(row["instruction"], trained=False), target])

    def story(self, row: dict[str, Any], rng: random.Random) -> Example:
        pieces = []
        for index, (sentence, inputs, targets) in enumerate(
            zip(row["texts"], row["images_input_codes"], row["images_target_codes"])
        ):
            pieces += [
                self.text(sentence, trained=index > 0),
                self.image(inputs, targets, generated=True, context=True),
            ]
        return concatenate([*pieces, self.eos()])

    def video(self, row: dict[str, Any], rng: random.Random) -> Example:
        frames = [
            self.image(inputs, targets, generated=True, context=True)
            for inputs, targets in zip(row["frames_input_codes"], row["frames_target_codes"])
        ]
        return concatenate([self.text(row["prompt"], trained=False), *frames, self.eos()])

    def knowledge_reasoning(self, row: dict[str, Any], rng: random.Random) -> Example:
        prompt = self.text(self.chat_prompt([{"type": "text", "text": row["prompt"]}]), trained=False)
        answer = self.text(f"{row['reasoning']} {row['resolved_prompt']}", trained=True)
        image = self.image(row["image_input_codes"], row["image_target_codes"], generated=True, context=True)
        return concatenate([prompt, answer, image, self.eos()])


def concatenate(pieces: Sequence[dict[str, list]]) -> Example:
    """One example from consecutive pieces."""
    return {
        "input_ids": [token for piece in pieces for token in piece["input_ids"]],
        "labels": [label for piece in pieces for label in piece["labels"]],
        "image_grids": [grid for piece in pieces for grid in piece.get("image_grids", [])],
    }
