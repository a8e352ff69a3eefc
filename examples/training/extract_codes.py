"""Stage c of the NextFlow recipe: pre-extract the input and target code indices of every ShapesWorld task.

The trained tokenizer (`tokenizer_path`, the output of the tokenizer stage) encodes the images of each task once,
at `level`, with self-correction applied to the inputs (every image; `self_correction_fraction` of every scale's
tokens), so the language-model stages read codes from disk and never run the tokenizer. The output folder holds
`{split}/{task}` datasets (`datasets.load_from_disk`) with every image column `X` replaced by `X_input_codes` and
`X_target_codes`, and `extraction.json`, which `train_lm.py` reads (`load_extraction_info`).

    python examples/training/extract_codes.py examples/training/configs/shapesworld-128/extract.yaml
    python examples/training/extract_codes.py examples/training/configs/tiny/extract.yaml --output_dir /tmp/codes
"""

import json
from dataclasses import dataclass, field

import torch

from nextflow_hf.modeling import NextFlowVQModel
from nextflow_hf.shapesworld.data import BUILDERS
from nextflow_hf.training.arguments import parse_stage_arguments
from nextflow_hf.training.extraction import ExtractionInfo, write_extraction
from nextflow_hf.training.tokenizer_training import VQ_PRESETS


@dataclass
class ExtractionArguments:
    """Which tokenizer encodes which ShapesWorld rows, at which level, into which folder."""

    output_dir: str = field(metadata={"help": "Folder of the extracted datasets and extraction.json."})
    tokenizer_path: str | None = field(default=None, metadata={"help": "Folder of the trained NextFlowVQModel."})
    vq_preset: str | None = field(
        default=None,
        metadata={"help": f"An untrained, seeded tokenizer instead (tests): one of {sorted(VQ_PRESETS)}."},
    )
    level: int = field(default=128, metadata={"help": "Level of the tokenizer's scale table; images are its 1:1 size."})
    tasks: list[str] = field(default_factory=lambda: list(BUILDERS), metadata={"help": "ShapesWorld tasks to encode."})
    num_rows: int = field(default=1000, metadata={"help": "Rows per task and split, unless rows_per_task says else."})
    rows_per_task: dict | str | None = field(
        default=None, metadata={"help": "Task → rows, overriding num_rows (JSON on the command line: '{\"qa\": 10}')."}
    )
    splits: list[str] = field(default_factory=lambda: ["train"], metadata={"help": "ShapesWorld splits to encode."})
    seed: int = field(default=0, metadata={"help": "Seed of the ShapesWorld rows and of the self-correction draws."})
    batch_size: int = field(default=32, metadata={"help": "Rows encoded together."})
    device: str | None = field(
        default=None, metadata={"help": "Device the tokenizer encodes on; default cuda when available, else cpu."}
    )
    self_correction: bool = field(default=True, metadata={"help": "Perturb the input codes (self-correction)."})
    overwrite_output_dir: bool = field(default=False, metadata={"help": "Replace an existing output_dir."})

    def __post_init__(self) -> None:
        if (self.tokenizer_path is None) == (self.vq_preset is None):
            raise ValueError(
                f"Give exactly one of tokenizer_path and vq_preset; got tokenizer_path={self.tokenizer_path!r}, "
                f"vq_preset={self.vq_preset!r}."
            )
        if self.vq_preset is not None and self.vq_preset not in VQ_PRESETS:
            raise ValueError(f"Unknown vq_preset {self.vq_preset!r}; choose one of {sorted(VQ_PRESETS)}.")
        if isinstance(self.rows_per_task, str):
            self.rows_per_task = json.loads(self.rows_per_task)
        extra = sorted(set(self.rows_per_task or {}) - set(self.tasks))
        if extra:
            raise ValueError(f"rows_per_task names {extra}, which are not among the tasks {self.tasks}.")

    def task_rows(self) -> dict[str, int]:
        """Task → number of rows to encode."""
        return {task: (self.rows_per_task or {}).get(task, self.num_rows) for task in self.tasks}


def load_tokenizer(arguments: ExtractionArguments) -> NextFlowVQModel:
    """The trained tokenizer, or a freshly initialised preset (seeded, so every run builds the same weights), on
    `arguments.device`."""
    device = arguments.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if arguments.tokenizer_path is not None:
        return NextFlowVQModel.from_pretrained(arguments.tokenizer_path).to(device)
    torch.manual_seed(arguments.seed)
    return NextFlowVQModel(VQ_PRESETS[arguments.vq_preset]()).to(device)


def main(args: list[str] | None = None) -> ExtractionInfo:
    """Runs the stage from `[config_file] [--name value ...]` and returns what it wrote to `extraction.json`."""
    (arguments,) = parse_stage_arguments([ExtractionArguments], args)
    info = write_extraction(
        load_tokenizer(arguments),
        arguments.output_dir,
        arguments.level,
        arguments.task_rows(),
        tokenizer_path=arguments.tokenizer_path,
        vq_preset=arguments.vq_preset,
        splits=arguments.splits,
        seed=arguments.seed,
        batch_size=arguments.batch_size,
        self_correction=arguments.self_correction,
        overwrite=arguments.overwrite_output_dir,
    )
    print(f"Wrote the codes of {info['num_rows']} (split: task: rows) to {arguments.output_dir}.")
    return info


if __name__ == "__main__":
    main()
