"""Reports: JSON and markdown written atomically, non-finite scores kept readable."""

import json

import pytest

from nextflow_hf.evaluation import write_report


def test_a_report_is_written_as_json_and_markdown(tmp_path):
    results = {"text to image": {"colors": 0.5, "overall": 0.75, "num_prompts": 8}, "tokenizer": {"psnr": float("inf")}}
    json_path, markdown_path = write_report(tmp_path / "sub" / "report.txt", "Scores", results, {"seed": 0})
    assert (json_path.name, markdown_path.name) == ("report.json", "report.md")
    document = json.loads(json_path.read_text())
    assert document == {
        "title": "Scores",
        "settings": {"seed": 0},
        "results": {"text to image": {"colors": 0.5, "overall": 0.75, "num_prompts": 8}, "tokenizer": {"psnr": "inf"}},
    }
    markdown = markdown_path.read_text()
    assert markdown.startswith("# Scores\n\n- seed: 0\n")
    assert "| colors | 0.500 |" in markdown and "| num_prompts | 8 |" in markdown and "| psnr | inf |" in markdown
    assert sorted(path.name for path in json_path.parent.iterdir()) == ["report.json", "report.md"]  # no leftovers


def test_a_rewrite_replaces_the_old_report(tmp_path):
    write_report(tmp_path / "r", "Old", {"a": {"x": 0.0}})
    write_report(tmp_path / "r", "New", {"a": {"x": 1.0}})
    assert json.loads((tmp_path / "r.json").read_text())["title"] == "New"


def test_an_empty_report_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one section"):
        write_report(tmp_path / "r", "Empty", {})
