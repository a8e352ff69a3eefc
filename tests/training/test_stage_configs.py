"""The stage files of the ShapesWorld recipes (`configs/shapesworld-128`, the CPU one with the tokenizer stages in
`tokenizer.sh`, the ablations, the vision-input comparison and the longer 128-level decoder run;
`configs/shapesworld-gpu`, the decoder on one GPU): every one parses with its script's arguments, and every file the
recipe, tokenizer, ablation and comparison scripts name exists; so do the scripts' export and evaluation command
lines."""

import re
import shlex
from pathlib import Path

import pytest
from transformers import TrainingArguments

from nextflow_hf.training.arguments import parse_stage_arguments

from ..scripts import load_example

CONFIGS = Path(__file__).parents[2] / "examples" / "training" / "configs"
RECIPES = [CONFIGS / "shapesworld-128", CONFIGS / "shapesworld-gpu"]
SINGLE_RUN_SCRIPTS = ["vision_input.sh", "decoder_128.sh", "decoder_128_scratch.sh", "decoder_128_snapshot.sh"]
SCRIPTS = {
    "train_teacher.py": ("TeacherArguments", True),
    "train_tokenizer.py": ("TokenizerArguments", True),
    "extract_codes.py": ("ExtractionArguments", False),
    "train_lm.py": ("LanguageModelArguments", True),
}
COMMAND = re.compile(r"examples/training/(\w+\.py) \$CONFIGS/([\w$]+\.yaml)")
VARIABLE = re.compile(r"\$(\w+)")
LOOP = re.compile(r"^for (\w+) in (.+); do$", flags=re.MULTILINE)
CHOICES = re.compile(r"^(\w+)_CHOICES=\((.+)\)$", flags=re.MULTILINE)
SCRIPT_LINE = re.compile(
    r"^\s*\$PYTHON (examples/(?:training/export_checkpoint|training/export_tokenizer|evaluate_\w+)\.py) (.*)$",
    re.MULTILINE,
)


def recipe_text(folder: Path) -> str:
    """The folder's recipe.sh, after its tokenizer.sh where it has one (the stages that train the shipped tokenizer)."""
    scripts = [folder / "tokenizer.sh", folder / "recipe.sh"]
    return "\n".join(script.read_text() for script in scripts if script.exists())


def script_stages(text: str) -> list[tuple[str, str]]:
    """(script, stage file) of every training command in a script's text; a stage file named through a variable
    (`ablation_$run.yaml`, `extract_captions_128_$CAPTIONS.yaml`) is unrolled over the values the script gives it
    (`for run in ...; do`, `CAPTIONS_CHOICES=(...)`)."""
    values = {name: words.split() for name, words in LOOP.findall(text) + CHOICES.findall(text)}
    commands = []
    for script, stage in COMMAND.findall(text):
        variable = VARIABLE.search(stage)
        stages = [stage.replace(variable[0], value) for value in values[variable[1]]] if variable else [stage]
        commands += [(script, name) for name in stages]
    return commands


def stage_commands(folder: Path) -> list[tuple[str, str]]:
    """(script, stage file) of every training command in the folder's recipe (`recipe_text`), its ablation.sh and
    the `SINGLE_RUN_SCRIPTS` it has."""
    scripts = [folder / script for script in [*SINGLE_RUN_SCRIPTS, "ablation.sh"]]
    texts = [recipe_text(folder), *(script.read_text() for script in scripts if script.exists())]
    return [command for text in texts for command in script_stages(text)]


@pytest.mark.parametrize("folder", RECIPES, ids=lambda folder: folder.name)
def test_the_recipe_runs_every_stage_file_and_names_no_missing_one(folder):
    named = {stage for _, stage in stage_commands(folder)}
    assert named == {path.name for path in folder.glob("*.yaml")}


@pytest.mark.parametrize(
    "folder, script, stage", [(folder, *command) for folder in RECIPES for command in stage_commands(folder)]
)
def test_every_stage_file_parses_with_its_script_arguments(folder, script, stage):
    class_name, trains = SCRIPTS[script]
    dataclass_types = [getattr(load_example(f"training/{script}"), class_name)]
    flags = []
    if trains:
        dataclass_types.append(TrainingArguments)
        flags = ["--use_cpu", "true"]  # as recipe.sh passes on a machine without a GPU, for bf16 autocast
    parsed = parse_stage_arguments(dataclass_types, [str(folder / stage), *flags])
    assert len(parsed) == len(dataclass_types)


def script_command_lines(folder: Path) -> list[tuple[str, list[str]]]:
    """(script, arguments) of every export and evaluation command in the folder's recipe (`recipe_text`),
    continuation lines joined and shell variables left as words (a path-valued flag accepts any word)."""
    text = recipe_text(folder).replace("\\\n", " ")
    return [(script, shlex.split(arguments.replace('"$@"', ""))) for script, arguments in SCRIPT_LINE.findall(text)]


@pytest.mark.parametrize("folder", RECIPES, ids=lambda folder: folder.name)
def test_the_recipe_exports_and_runs_every_evaluation(folder):
    scripts = {script for script, _ in script_command_lines(folder)}
    evaluations = {f"examples/{path.name}" for path in CONFIGS.parents[1].glob("evaluate_*.py")}
    exports = {"examples/training/export_checkpoint.py"}
    if (folder / "tokenizer.sh").exists():
        exports.add("examples/training/export_tokenizer.py")
    assert scripts == evaluations | exports


@pytest.mark.parametrize(
    "script, arguments", [command for folder in RECIPES for command in script_command_lines(folder)]
)
def test_every_export_and_evaluation_command_parses(script, arguments):
    parse_args = load_example(script.removeprefix("examples/")).parse_args
    parse_args(arguments)  # argparse exits on an unknown flag or a bad value
