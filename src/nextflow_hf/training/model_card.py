"""The model card of a shipped checkpoint: what it is, the command lines that trained it, and its measured scores."""

from collections.abc import Sequence
from pathlib import Path

FRONT_MATTER = """---
license: apache-2.0
library_name: transformers
pipeline_tag: {pipeline_tag}
tags:
- nextflow
- next-scale-prediction
- shapesworld
- custom_code
---
"""


def demote_headings(markdown: str, levels: int = 2) -> str:
    """`markdown` with every heading `levels` deeper, so a report nests under the card's own headings."""
    return "\n".join(("#" * levels + line) if line.startswith("#") else line for line in markdown.splitlines())


def model_card(
    title: str,
    summary: str,
    recipes: Sequence[str],
    reports: Sequence[str | Path],
    pipeline_tag: str = "text-to-image",
) -> str:
    """The card: front matter (with the Hub's `pipeline_tag`), `summary`, the training command lines (`recipes`,
    shell scripts in the order they ran) and each evaluation report (its markdown twin, `report.md` beside
    `report.json`)."""
    sections = [FRONT_MATTER.format(pipeline_tag=pipeline_tag), f"# {title}", "", summary.strip(), ""]
    sections += ["## Training", ""]
    scripts = "this script" if len(recipes) == 1 else "these scripts, in this order"
    sections += [f"Every stage ran with {scripts}, from a clean clone of nextflow-hf:", ""]
    for recipe in recipes:
        sections += ["```bash", recipe.strip(), "```", ""]
    sections += ["## Scores", ""]
    if not reports:
        sections.append("Not evaluated yet.")
    for report in reports:
        markdown = Path(report).with_suffix(".md")
        if not markdown.is_file():
            raise FileNotFoundError(f"No markdown report at {str(markdown)!r}; the evaluation scripts write one.")
        sections += [demote_headings(markdown.read_text()), ""]
    return "\n".join(sections).rstrip() + "\n"
