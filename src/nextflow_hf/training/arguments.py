"""Stage configuration: one YAML (or JSON) file per training stage, parsed into dataclasses with command-line
overrides, so `python examples/training/train_x.py configs/x.yaml --max_steps 10` works like any HF script."""

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import yaml
from transformers import HfArgumentParser, TrainingArguments
from transformers.utils import logging

logger = logging.get_logger(__name__)


def load_stage_file(path: str | Path) -> dict[str, Any]:
    """The settings of a `.yaml`, `.yml` or `.json` stage file as a dict; raises naming the file when it is not one."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml", ".json"):
        raise ValueError(f"Stage configs are .yaml, .yml or .json files; got {str(path)!r}.")
    if not path.is_file():
        raise FileNotFoundError(f"Stage config {str(path)!r} does not exist.")
    text = path.read_text()
    settings = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(settings, dict):
        raise ValueError(f"Stage config {str(path)!r} must hold a mapping of setting: value; got {type(settings)}.")
    return settings


def parse_stage_arguments(dataclass_types: Sequence[type], args: Sequence[str] | None = None) -> tuple:
    """Parses `[stage_file] [--name value ...]` into one instance per dataclass type.

    The stage file's settings are the defaults; flags given after it override them. A setting that no dataclass
    knows raises `ValueError` naming it, so a typo in a config never passes silently. `TrainingArguments` that ask
    for bf16 on a CPU without native bf16 matmuls log a warning (`warn_if_cpu_bf16_is_emulated`).
    """
    args = list(sys.argv[1:] if args is None else args)
    parser = HfArgumentParser(dataclass_types)
    if args and not args[0].startswith("-"):
        settings = load_stage_file(args.pop(0))
        known = {action.dest for action in parser._actions}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"Unknown setting(s) {unknown} in the stage config; see `--help` for the accepted ones.")
        parser.set_defaults(**settings)
        for action in parser._actions:
            if action.dest in settings:
                action.required = False
    parsed = parser.parse_args_into_dataclasses(args=args)
    for arguments in parsed:
        if isinstance(arguments, TrainingArguments):
            warn_if_cpu_bf16_is_emulated(arguments)
    return parsed


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bf16 matmuls natively on this CPU (AVX-512 and newer); without it they are emulated."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def warn_if_cpu_bf16_is_emulated(training_args: TrainingArguments) -> None:
    """Warns when a run autocasts to bf16 on a CPU that emulates bf16 matmuls: the CPU stage files ask for bf16,
    which is fastest on CPUs with AVX-512 or AMX, and many times slower than fp32 on the others."""
    on_cpu = training_args.use_cpu or not torch.cuda.is_available()
    if training_args.bf16 and on_cpu and not cpu_has_native_bf16():
        logger.warning(
            f"bf16 autocast on a CPU without native bf16 matmuls ({torch.backends.cpu.get_cpu_capability()}) is "
            "emulated and many times slower than fp32 (the 128-level decoder: 40 s a step against 3.3 s on 2 AMD "
            "EPYC cores); pass `--bf16 false` to train in fp32."
        )
