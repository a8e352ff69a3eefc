"""The stage files of the shipped checkpoint's recipe (`configs/shapesworld-128`): every one parses with its script's
arguments, and every file the recipe and ablation scripts name exists."""

import re
from pathlib import Path

import pytest
from transformers import TrainingArguments

from nextflow_hf.training.arguments import parse_stage_arguments

from ..scripts import load_example

CONFIGS = Path(__file__).parents[2] / "examples" / "training" / "configs" / "shapesworld-128"
SCRIPTS = {
    "train_teacher.py": ("TeacherArguments", True),
    "train_tokenizer.py": ("TokenizerArguments", True),
    "extract_codes.py": ("ExtractionArguments", False),
    "train_lm.py": ("LanguageModelArguments", True),
}
COMMAND = re.compile(r"examples/training/(\w+\.py) \$CONFIGS/([\w$]+\.yaml)")
LOOP = re.compile(r"^for run in (.+); do$", flags=re.MULTILINE)


def stage_commands() -> list[tuple[str, str]]:
    """(script, stage file) of every training command in recipe.sh and ablation.sh, with ablation.sh's loop over
    `$run` unrolled."""
    commands = COMMAND.findall((CONFIGS / "recipe.sh").read_text())
    ablation = (CONFIGS / "ablation.sh").read_text()
    runs = LOOP.search(ablation).group(1).split()
    for script, stage in COMMAND.findall(ablation):
        commands += [(script, stage.replace("$run", run)) for run in runs] if "$run" in stage else [(script, stage)]
    return commands


def test_the_recipe_runs_every_stage_file_and_names_no_missing_one():
    named = {stage for _, stage in stage_commands()}
    assert named == {path.name for path in CONFIGS.glob("*.yaml")}


@pytest.mark.parametrize("script, stage", stage_commands())
def test_every_stage_file_parses_with_its_script_arguments(script, stage):
    class_name, trains = SCRIPTS[script]
    dataclass_types = [getattr(load_example(f"training/{script}"), class_name)]
    flags = []
    if trains:
        dataclass_types.append(TrainingArguments)
        flags = ["--use_cpu", "true"]  # as recipe.sh passes on a machine without a GPU, for bf16 autocast
    parsed = parse_stage_arguments(dataclass_types, [str(CONFIGS / stage), *flags])
    assert len(parsed) == len(dataclass_types)
