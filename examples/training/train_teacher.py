"""Stage a of the NextFlow recipe: the semantic teacher whose patch features the tokenizer's semantic branch distils.

Trains a small SigLIP (`teacher_preset`: "shapesworld" or "tiny") from scratch with the sigmoid contrastive loss on
endless ShapesWorld image-caption pairs, then reports caption-retrieval accuracy on held-out test pairs. With
`teacher_name_or_path` set, a pretrained fixed-resolution SigLIP (2) checkpoint, as in the 7B recipe, is loaded
and saved instead, and nothing is trained.

The output folder loads with `SiglipModel.from_pretrained(output_dir)` (and, for a trained teacher,
`AutoTokenizer.from_pretrained(output_dir)`), which is what the tokenizer's joint stage reads as `teacher_path`.

    python examples/training/train_teacher.py examples/training/configs/shapesworld-128/teacher.yaml
    python examples/training/train_teacher.py examples/training/configs/tiny/teacher.yaml --max_steps 5
"""

from dataclasses import dataclass, field
from pathlib import Path

from transformers import SiglipModel, Trainer, TrainingArguments, set_seed

from nextflow_hf.shapesworld.data import build_dataset
from nextflow_hf.shapesworld.vocabulary import shapesworld_tokenizer
from nextflow_hf.training.arguments import parse_stage_arguments
from nextflow_hf.training.checkpoints import save_atomically
from nextflow_hf.training.teacher import (
    TEACHER_PRESETS,
    TeacherCollator,
    build_teacher,
    caption_retrieval_accuracy,
    teacher_config,
)


@dataclass
class TeacherArguments:
    """What teacher to train, and on which ShapesWorld data."""

    teacher_preset: str = field(
        default="shapesworld", metadata={"help": f"Architecture to train, one of {sorted(TEACHER_PRESETS)}."}
    )
    teacher_name_or_path: str | None = field(
        default=None, metadata={"help": "A pretrained SiglipModel to save as the teacher instead of training one."}
    )
    image_size: int = field(default=128, metadata={"help": "Side of the square training images, in pixels."})
    caption_max_length: int = field(default=24, metadata={"help": "Caption length in tokens, eos included."})
    scene_seed: int = field(default=0, metadata={"help": "Seed of the ShapesWorld rows (train and test)."})
    eval_pairs: int = field(default=256, metadata={"help": "Held-out image-caption pairs for retrieval accuracy."})

    def __post_init__(self) -> None:
        if self.teacher_name_or_path is None and self.teacher_preset not in TEACHER_PRESETS:
            raise ValueError(
                f"Unknown teacher_preset {self.teacher_preset!r}; choose one of {sorted(TEACHER_PRESETS)}."
            )
        if self.eval_pairs < 1:
            raise ValueError(f"eval_pairs must be at least 1; got {self.eval_pairs}.")


def evaluate(model: SiglipModel, collator: TeacherCollator, arguments: TeacherArguments) -> dict[str, float]:
    """Caption-retrieval accuracy on `eval_pairs` fixed pairs of the test split."""
    rows = list(
        build_dataset(
            "captions",
            arguments.eval_pairs,
            split="test",
            seed=arguments.scene_seed,
            height=arguments.image_size,
            width=arguments.image_size,
            streaming=True,
        )
    )
    accuracy = caption_retrieval_accuracy(model, collator(rows), [row["prompt"] for row in rows])
    return {"eval_caption_retrieval_accuracy": accuracy, "eval_pairs": len(rows)}


def main(args: list[str] | None = None) -> Path:
    """Runs the stage from `[config_file] [--name value ...]` and returns the folder the teacher was saved to."""
    arguments, training_args = parse_stage_arguments([TeacherArguments, TrainingArguments], args)
    output_dir = Path(training_args.output_dir)
    if arguments.teacher_name_or_path is not None:
        save_atomically(output_dir, SiglipModel.from_pretrained(arguments.teacher_name_or_path))
        return output_dir

    set_seed(training_args.seed)
    model = build_teacher(teacher_config(arguments.teacher_preset, arguments.image_size, arguments.caption_max_length))
    tokenizer = shapesworld_tokenizer()
    collator = TeacherCollator(tokenizer, arguments.caption_max_length)
    train_dataset = build_dataset(
        "captions",
        None,
        split="train",
        seed=arguments.scene_seed,
        height=arguments.image_size,
        width=arguments.image_size,
        streaming=True,
    )
    training_args.remove_unused_columns = False  # the collator reads the raw `image` and `prompt` columns
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        data_collator=collator,
        processing_class=tokenizer,
    )
    result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    save_atomically(output_dir, model, tokenizer)
    trainer.log_metrics("train", result.metrics)
    trainer.save_metrics("train", result.metrics)
    metrics = evaluate(model, collator, arguments)
    trainer.log_metrics("eval", metrics)
    trainer.save_metrics("eval", metrics)
    trainer.save_state()
    return output_dir


if __name__ == "__main__":
    main()
