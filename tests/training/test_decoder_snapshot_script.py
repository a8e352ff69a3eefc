"""`decoder_128_snapshot.sh` picks its captions from `CAPTIONS`: a named set extracts with its own stage file,
`seed<N>` (N >= 10) extracts 80,000 scenes of seed N with `extract_captions_128_80k.yaml` into its own folder, an
extracted set is not extracted again, and any other name stops the script before it runs anything. `PEAK_LR` replaces
the stage file's learning rate for a continuing session, and a continuing session draws fresh prompts with both its run
and the committed snapshot. The script runs with `PYTHON=echo`, so every command it would run is printed instead."""

import os
import shlex
import subprocess
from pathlib import Path

from transformers import TrainingArguments

from nextflow_hf.training.arguments import parse_stage_arguments

from ..scripts import load_example

REPOSITORY = Path(__file__).parents[2]
SCRIPT = REPOSITORY / "examples" / "training" / "configs" / "shapesworld-128" / "decoder_128_snapshot.sh"


def dry_run(captions: str, folder: Path, **variables: str) -> subprocess.CompletedProcess:
    """The script's printed commands for session 12 with `CAPTIONS=captions` and any other `variables`, run in
    `folder`."""
    environment = {**os.environ, "PYTHON": "echo", "SESSION": "12", "STEPS": "1", "CAPTIONS": captions, **variables}
    return subprocess.run(["bash", str(SCRIPT)], cwd=folder, env=environment, capture_output=True, text=True)


def extraction_commands(run: subprocess.CompletedProcess) -> list[list[str]]:
    return [shlex.split(line) for line in run.stdout.splitlines() if line.startswith("examples/training/extract_")]


def test_a_seed_set_extracts_80000_scenes_of_its_seed_into_its_own_folder(tmp_path):
    run = dry_run("seed13", tmp_path)
    assert run.returncode == 0, run.stderr
    captions, held_out = extraction_commands(run)
    assert captions[1].endswith("extract_captions_128_80k.yaml")
    (arguments,) = parse_stage_arguments([load_example("training/extract_codes.py").ExtractionArguments], captions[1:])
    assert (arguments.seed, arguments.num_rows) == (13, 80000)
    assert arguments.output_dir == "outputs/shapesworld-128/codes-captions-128-seed13"
    assert held_out[1].endswith("extract_captions_128_heldout.yaml")
    assert "outputs/shapesworld-128/codes-captions-128-seed13" in run.stdout.split("train_lm.py", 1)[1]


def test_a_named_set_extracts_with_its_own_stage_file(tmp_path):
    run = dry_run("seed9", tmp_path)
    assert run.returncode == 0, run.stderr
    assert extraction_commands(run)[0][1].endswith("extract_captions_128_seed9.yaml")


def test_an_extracted_set_is_not_extracted_again(tmp_path):
    codes = tmp_path / "outputs" / "shapesworld-128" / "codes-captions-128-seed13"
    codes.mkdir(parents=True)
    (codes / "extraction.json").write_text("{}")
    run = dry_run("seed13", tmp_path)
    assert run.returncode == 0, run.stderr
    assert [command[1].rsplit("/", 1)[1] for command in extraction_commands(run)] == [
        "extract_captions_128_heldout.yaml"
    ]


def test_an_unknown_set_stops_before_running_anything(tmp_path):
    for captions in ["seed5", "seed013", "eleven"]:
        run = dry_run(captions, tmp_path)
        assert run.returncode == 2
        assert f"CAPTIONS={captions}" in run.stderr and "seed<N> with N >= 10" in run.stderr
        assert run.stdout == ""


def training_command(run: subprocess.CompletedProcess) -> list[str]:
    """The words of the one `train_lm.py` command of a dry run."""
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("examples/training/train_lm.py")]
    return shlex.split(line)


def test_a_continuing_session_keeps_the_stage_files_peak_unless_peak_lr_is_set(tmp_path):
    run = dry_run("seed13", tmp_path)
    assert run.returncode == 0, run.stderr
    assert "--learning_rate" not in training_command(run)
    run = dry_run("seed13", tmp_path, PEAK_LR="2e-4")
    assert run.returncode == 0, run.stderr
    command = training_command(run)
    assert command[command.index("--learning_rate") + 1] == "2e-4"
    (_, training) = parse_stage_arguments(
        [load_example("training/train_lm.py").LanguageModelArguments, TrainingArguments], command[1:]
    )
    assert training.learning_rate == 2e-4
    assert "peak learning rate 2e-4" in run.stdout


def test_a_fresh_decoder_takes_peak_lr_too(tmp_path):
    run = dry_run("seed13", tmp_path, SESSION="1", PEAK_LR="2e-4")
    assert run.returncode == 0, run.stderr
    command = training_command(run)
    assert command[1].endswith("decoder_128_scratch.yaml")
    assert command[command.index("--learning_rate") + 1] == "2e-4"


def test_a_continuing_session_draws_fresh_prompts_with_both_the_run_and_the_committed_snapshot(tmp_path):
    run = dry_run("seed13", tmp_path)
    assert run.returncode == 0, run.stderr
    parse_args = load_example("evaluate_text_to_image.py").parse_args
    lines = [line.split(" ", 1)[1] for line in run.stdout.splitlines() if line.startswith("examples/evaluate_text_")]
    evaluations = [parse_args(shlex.split(arguments)) for arguments in lines]
    fresh = [evaluation for evaluation in evaluations if evaluation.seed == 1012]
    pipelines = [str(evaluation.pipeline) for evaluation in fresh]
    assert pipelines == ["outputs/shapesworld-128/decoder-snapshot-pipeline", "checkpoints/shapesworld-decoder-128"]
    assert all(evaluation.per_category == 60 for evaluation in fresh)
