"""Stage b of the NextFlow recipe: the dual-codebook multi-scale VQ tokenizer, in two runs of this script.

`stage: pixel` trains a fresh tokenizer (`vq_preset`: "shapesworld" or "tiny") without a teacher: the semantic
encoder and decoder stay frozen, so the CNN pixel branch and the codebooks learn to reconstruct. `stage: joint`
continues from that checkpoint (`init_from`) with everything trainable, adding the distillation of the frozen
teacher's patch features (`teacher_path`, the output of `train_teacher.py`) to the loss. Both train on endless
ShapesWorld scenes at `image_size`, then report the round-trip PSNR and codebook usage on fixed test-split scenes,
and the GenEval score of round-tripped test-split captions (the ceiling of a decoder drawing with these codes), in
`eval_results.json`, and save the tokenizer with `save_pretrained` (loads with `NextFlowVQModel.from_pretrained`).

    python examples/training/train_tokenizer.py examples/training/configs/shapesworld-128/tokenizer_pixel.yaml
    python examples/training/train_tokenizer.py examples/training/configs/shapesworld-128/tokenizer_joint.yaml
"""

from dataclasses import dataclass, field
from pathlib import Path

from datasets import IterableDataset
from transformers import SiglipModel, SiglipVisionModel, TrainingArguments, set_seed

from nextflow_hf.modeling import NextFlowVQModel
from nextflow_hf.shapesworld.data import build_dataset
from nextflow_hf.training.arguments import parse_stage_arguments
from nextflow_hf.training.checkpoints import save_atomically
from nextflow_hf.training.tokenizer_training import (
    VQ_PRESETS,
    ImageCollator,
    TokenizerTrainer,
    freeze_semantic_branch,
    round_trip_report,
)

STAGES = ("pixel", "joint")


@dataclass
class TokenizerArguments:
    """Which stage to run, from which tokenizer and teacher, on which ShapesWorld data."""

    stage: str = field(default="pixel", metadata={"help": f"Training stage, one of {list(STAGES)}."})
    vq_preset: str | None = field(
        default=None, metadata={"help": f"Train a fresh tokenizer of this shape, one of {sorted(VQ_PRESETS)}."}
    )
    init_from: str | None = field(
        default=None, metadata={"help": "Or continue from this saved NextFlowVQModel folder (the pixel stage's)."}
    )
    teacher_path: str | None = field(
        default=None, metadata={"help": "Joint stage: a saved SiglipModel folder whose vision tower is distilled."}
    )
    teacher_feature_layer: int = field(
        default=-1, metadata={"help": "Hidden state of the teacher's vision tower to distil (-1: the last layer)."}
    )
    image_size: int = field(default=128, metadata={"help": "Side of the square training images, in pixels."})
    scene_seed: int = field(default=0, metadata={"help": "Seed of the ShapesWorld scenes (train and test)."})
    eval_images: int = field(default=64, metadata={"help": "Held-out test scenes for the reconstruction PSNR."})
    eval_prompts_per_category: int = field(
        default=20, metadata={"help": "Test-split captions per GenEval category whose round trip is judged (0: none)."}
    )

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"Unknown stage {self.stage!r}; choose one of {list(STAGES)}.")
        if (self.vq_preset is None) == (self.init_from is None):
            raise ValueError(
                "Give exactly one of vq_preset (a fresh tokenizer) and init_from (a saved one); "
                f"got vq_preset={self.vq_preset!r}, init_from={self.init_from!r}."
            )
        if self.vq_preset is not None and self.vq_preset not in VQ_PRESETS:
            raise ValueError(f"Unknown vq_preset {self.vq_preset!r}; choose one of {sorted(VQ_PRESETS)}.")
        if self.stage == "joint" and self.teacher_path is None:
            raise ValueError("The joint stage distils a teacher: set teacher_path to a saved SiglipModel folder.")
        if self.stage == "pixel" and self.teacher_path is not None:
            raise ValueError(f"The pixel stage trains without a teacher; drop teacher_path={self.teacher_path!r}.")
        if self.eval_images < 1:
            raise ValueError(f"eval_images must be at least 1; got {self.eval_images}.")
        if self.eval_prompts_per_category < 0:
            raise ValueError(f"eval_prompts_per_category must be 0 or more; got {self.eval_prompts_per_category}.")


def load_tokenizer(arguments: TokenizerArguments) -> NextFlowVQModel:
    """A fresh tokenizer of `vq_preset` or the saved one at `init_from`, checked to take `image_size` images."""
    if arguments.init_from is not None:
        model = NextFlowVQModel.from_pretrained(arguments.init_from)
    else:
        model = NextFlowVQModel(VQ_PRESETS[arguments.vq_preset]())
    factor = model.config.downsample_factor
    if arguments.image_size % factor:
        raise ValueError(f"image_size {arguments.image_size} is not a multiple of the downsample factor {factor}.")
    grid = (arguments.image_size // factor,) * 2
    try:
        model.config.scale_table.schedule_for_grid(grid)
    except ValueError as error:
        raise ValueError(f"image_size {arguments.image_size} gives no schedule of this tokenizer: {error}") from error
    return model


def load_teacher(teacher_path: str, model: NextFlowVQModel) -> SiglipVisionModel:
    """The vision tower of the saved SiglipModel at `teacher_path`, checked to be as wide as the distillation target."""
    teacher = SiglipModel.from_pretrained(teacher_path).vision_model
    if teacher.config.hidden_size != model.config.semantic_teacher_dim:
        raise ValueError(
            f"The teacher at {teacher_path!r} is {teacher.config.hidden_size} wide, but the tokenizer distils "
            f"{model.config.semantic_teacher_dim}-wide features (semantic_teacher_dim)."
        )
    return teacher


def training_scenes(arguments: TokenizerArguments) -> IterableDataset:
    """Endless train-split ShapesWorld caption scenes at the training size."""
    size = arguments.image_size
    return build_dataset(
        "captions", None, split="train", seed=arguments.scene_seed, height=size, width=size, streaming=True
    )


def main(args: list[str] | None = None) -> Path:
    """Runs the stage from `[config_file] [--name value ...]` and returns the folder the tokenizer was saved to."""
    arguments, training_args = parse_stage_arguments([TokenizerArguments, TrainingArguments], args)
    set_seed(training_args.seed)
    model = load_tokenizer(arguments)
    teacher = None
    if arguments.stage == "pixel":
        freeze_semantic_branch(model)
    else:
        teacher = load_teacher(arguments.teacher_path, model)
    training_args.remove_unused_columns = False  # the collator reads the raw `image` column
    trainer = TokenizerTrainer(
        model=model,
        args=training_args,
        train_dataset=training_scenes(arguments),
        data_collator=ImageCollator(),
        teacher=teacher,
        teacher_feature_layer=arguments.teacher_feature_layer,
    )
    result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    save_atomically(training_args.output_dir, model)
    trainer.log_metrics("train", result.metrics)
    trainer.save_metrics("train", result.metrics)
    report = round_trip_report(
        model, arguments.image_size, arguments.eval_images, arguments.eval_prompts_per_category, arguments.scene_seed
    )
    metrics = {f"eval_{name}": value for name, value in report["reconstruction"].items()}
    metrics |= {f"eval_round_trip_geneval_{name}": value for name, value in report.get("geneval", {}).items()}
    trainer.log_metrics("eval", metrics)
    trainer.save_metrics("eval", metrics)
    trainer.save_state()
    return Path(training_args.output_dir)


if __name__ == "__main__":
    main()
