"""The language-model stages (alignment, pretraining, SFT): the model each starts from, what it trains, and the
packed mixture of task sequences it reads."""

import random
from collections.abc import Mapping
from pathlib import Path

from datasets import Dataset, interleave_datasets, load_from_disk
from transformers import PreTrainedTokenizerBase

from ..modeling import (
    NextFlowConfig,
    NextFlowForConditionalGeneration,
    NextFlowImageProcessor,
    NextFlowProcessor,
    NextFlowVQModel,
)
from .packing import pack_examples
from .sequences import SequenceBuilder

# Which extracted task each sequence task reads.
SOURCES = {
    "text_to_image": "captions",
    "captioning": "captions",
    "question_answering": "qa",
    "editing": "edits",
    "story": "stories",
    "video": "videos",
    "knowledge_reasoning": "knowledge",
}
MODEL_PRESETS = {
    "shapesworld": NextFlowConfig.shapesworld,
    "shapesworld-large": NextFlowConfig.shapesworld_large,
    "tiny": NextFlowConfig.tiny,
}
# Alignment trains the new vision path and the vocabulary rows (connector and output projection jointly, as the
# paper chose); the other stages train everything but the tokenizer.
ALIGNMENT_PARAMETERS = (
    "model.vision_adapter.",
    "model.scale_embedding.",
    "model.language_model.embed_tokens.",
    "lm_head.",
)
STAGES = ("alignment", "pretraining", "sft")


def fresh_model(
    preset: str,
    vq_model: NextFlowVQModel,
    text_vocab_size: int,
    scale_loss_alpha: float,
    vision_input: str = "residual",
) -> NextFlowForConditionalGeneration:
    """A new decoder of `preset`'s shape around a trained tokenizer, for a text vocabulary of `text_vocab_size`;
    `vision_input` is what its image blocks read (`NextFlowConfig.vision_input`)."""
    if preset not in MODEL_PRESETS:
        raise ValueError(f"Unknown model preset {preset!r}; expected one of {sorted(MODEL_PRESETS)}.")
    shape = MODEL_PRESETS[preset]()
    text_config = shape.text_config.to_dict()
    text_config["vocab_size"] = text_vocab_size
    config = NextFlowConfig(
        text_config=text_config,
        vq_config=vq_model.config,
        text_vocab_size=text_vocab_size,
        image_token_id=shape.image_token_id,
        scale_loss_alpha=scale_loss_alpha,
        vision_input=vision_input,
    )
    model = NextFlowForConditionalGeneration(config)
    model.model.vqmodel.load_state_dict(vq_model.state_dict())
    return model


def set_trainable(model: NextFlowForConditionalGeneration, stage: str) -> None:
    """Freezes the tokenizer always, and everything but the vision path and vocabulary rows for `alignment`."""
    if stage not in STAGES:
        raise ValueError(f"Unknown language-model stage {stage!r}; expected one of {STAGES}.")
    for name, parameter in model.named_parameters():
        trainable = not name.startswith("model.vqmodel.")
        if stage == "alignment":
            trainable = name.startswith(ALIGNMENT_PARAMETERS)
        parameter.requires_grad_(trainable)


def check_vocabulary(model: NextFlowForConditionalGeneration, tokenizer: PreTrainedTokenizerBase) -> None:
    """Raises when the tokenizer's `<boi>` / `<eoi>` / image placeholder are not where the model expects them."""
    config = model.config
    expected = {
        "boi_token": config.boi_token_id,
        "eoi_token": config.eoi_token_id,
        "image_token": config.image_token_id,
    }
    found = {name: tokenizer.convert_tokens_to_ids(getattr(tokenizer, name, None) or "") for name in expected}
    if found != expected:
        raise ValueError(f"The tokenizer's special token ids {found} do not match the model's {expected}.")


def build_processor(model: NextFlowForConditionalGeneration, tokenizer, level: int) -> NextFlowProcessor:
    """The processor that goes with a checkpoint: the tokenizer and an image processor for `level`."""
    image_processor = NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=level)
    return NextFlowProcessor(image_processor, tokenizer)


def task_sequences(
    builder: SequenceBuilder, extracted: Dataset, task: str, seed: int, num_proc: int | None = None
) -> Dataset:
    """The sequences of one task from its extracted rows; row `i` draws its caption dropout from its own seed."""

    def build(row: dict, index: int) -> dict:
        return builder.build(task, row, random.Random(f"{seed}/{task}/{index}"))

    return extracted.map(
        build, with_indices=True, remove_columns=extracted.column_names, num_proc=num_proc, desc=f"writing {task}"
    )


def mixture_folders(codes_dir: str | Path, split: str, mixture: Mapping[str, float]) -> dict[str, Path]:
    """The extracted folder each task of `mixture` reads; raises naming unknown tasks and missing extractions."""
    unknown = sorted(set(mixture) - set(SOURCES))
    if unknown or not mixture:
        raise ValueError(f"Unknown or no mixture tasks {unknown}; expected some of {sorted(SOURCES)}.")
    folders = {task: Path(codes_dir) / split / SOURCES[task] for task in mixture}
    for task, folder in folders.items():
        if not folder.exists():
            raise FileNotFoundError(f"Task {task!r} reads {folder}, which does not exist; extract {SOURCES[task]!r}.")
    return folders


def packed_mixture(
    builder: SequenceBuilder,
    folders: Mapping[str, Path],
    mixture: Mapping[str, float],
    max_tokens_per_row: int,
    seed: int,
    num_proc: int | None = None,
) -> Dataset:
    """The tasks of `mixture` (sequence task → sampling weight), read from their extracted `folders`
    (`mixture_folders`), interleaved by weight until every task has been seen in full, and packed into rows of at
    most `max_tokens_per_row` tokens. `num_proc` processes write the sequences (the same ones as one process);
    packing stays in one, since its batches of 256 would start elsewhere in each process's shard."""
    sequences = [
        task_sequences(builder, load_from_disk(str(folders[task])), task, seed, num_proc=num_proc) for task in mixture
    ]
    total = sum(mixture.values())
    mixed = interleave_datasets(
        sequences,
        probabilities=[weight / total for weight in mixture.values()],
        seed=seed,
        stopping_strategy="all_exhausted",
    )
    return mixed.map(
        pack_examples,
        batched=True,
        batch_size=256,
        fn_kwargs={"budget": max_tokens_per_row},
        remove_columns=mixed.column_names,
        desc="packing",
    )
