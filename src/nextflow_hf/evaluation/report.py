"""Evaluation reports: the scores as JSON (for machines) and as a markdown table (for people), written atomically.

A report has a title, optional settings (what was evaluated and how: model, mode, image size, seed…) and results in
sections, each a mapping from score name to value. Non-finite scores (the PSNR of identical images) are written to
JSON as the strings "inf", "-inf" or "nan", since JSON has no such numbers.
"""

import json
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Results = Mapping[str, Mapping[str, float | int]]


def write_report(
    path: str | os.PathLike, title: str, results: Results, settings: Mapping[str, Any] | None = None
) -> tuple[Path, Path]:
    """Writes `<path>.json` and `<path>.md` (any suffix of `path` is replaced), each through a temporary file in the
    same folder renamed into place, so neither is ever seen half-written. Returns both paths."""
    if not results:
        raise ValueError("A report needs at least one section of results.")
    base = Path(path)
    json_path, markdown_path = base.with_suffix(".json"), base.with_suffix(".md")
    document = {
        "title": title,
        "settings": dict(settings or {}),
        "results": {
            section: {name: json_value(value) for name, value in scores.items()} for section, scores in results.items()
        },
    }
    write_atomically(json_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    write_atomically(markdown_path, markdown(title, results, settings or {}))
    return json_path, markdown_path


def json_value(value: float | int) -> float | int | str:
    """`value`, or its name when JSON cannot hold it (infinities, NaN)."""
    return value if isinstance(value, int) or math.isfinite(value) else str(value)


def format_value(value: float | int) -> str:
    """Counts as integers, scores to three decimals."""
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def markdown(title: str, results: Results, settings: Mapping[str, Any]) -> str:
    """The report as markdown: the title, the settings as a list, then one table per section."""
    lines = [f"# {title}", ""]
    if settings:
        lines += [f"- {name}: {value}" for name, value in settings.items()] + [""]
    for section, scores in results.items():
        lines += [f"## {section}", "", "| score | value |", "| --- | ---: |"]
        lines += [f"| {name} | {format_value(value)} |" for name, value in scores.items()]
        lines.append("")
    return "\n".join(lines)


def write_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` through a temporary file in the same folder, then renames it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # os.open with 0o666 honours the umask, as a plain open() would (tempfile.mkstemp would give 0o600).
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
