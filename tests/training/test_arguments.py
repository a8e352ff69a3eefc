"""Stage configuration: a stage file gives the defaults, flags after it override them, mistakes are refused."""

import logging

import pytest
from transformers import TrainingArguments

from nextflow_hf.training import arguments
from nextflow_hf.training.arguments import parse_stage_arguments


@pytest.fixture
def stage_file(tmp_path):
    path = tmp_path / "stage.yaml"
    path.write_text("output_dir: out\nlearning_rate: 1.0e-3\nmax_steps: 5\n")
    return path


def test_the_stage_file_sets_the_defaults_and_later_flags_override_them(stage_file):
    (training_args,) = parse_stage_arguments([TrainingArguments], [str(stage_file), "--max_steps", "7"])
    assert (training_args.learning_rate, training_args.max_steps) == (1e-3, 7)


def test_an_unknown_setting_or_a_file_that_is_not_a_stage_file_is_refused(tmp_path):
    typo = tmp_path / "typo.yaml"
    typo.write_text("output_dir: out\nlearning_rte: 1.0e-3\n")
    with pytest.raises(ValueError, match=r"Unknown setting\(s\) \['learning_rte'\]"):
        parse_stage_arguments([TrainingArguments], [str(typo)])
    with pytest.raises(ValueError, match="are .yaml, .yml or .json files; got .*stage.txt"):
        parse_stage_arguments([TrainingArguments], [str(tmp_path / "stage.txt")])


@pytest.mark.parametrize(
    "native, bf16, warned", [(False, "true", True), (True, "true", False), (False, "false", False)]
)
def test_bf16_on_a_cpu_that_emulates_it_is_warned_about(stage_file, monkeypatch, caplog, native, bf16, warned):
    monkeypatch.setattr(arguments, "cpu_has_native_bf16", lambda: native)
    with caplog.at_level(logging.WARNING, logger=arguments.__name__):
        parse_stage_arguments([TrainingArguments], [str(stage_file), "--use_cpu", "true", "--bf16", bf16])
    assert ("pass `--bf16 false`" in caplog.text) == warned
