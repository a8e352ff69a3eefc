"""The `nextflow-hf` command line, run in-process through `main([...])` on a tiny pipeline saved to a temp folder."""

import re
import subprocess
import sys
from pathlib import Path

import PIL.Image
import pytest

from nextflow_hf import cli
from nextflow_hf.cli import main
from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor
from nextflow_hf.pipelines import NextFlowPipeline

from .sequences import tiny_nextflow
from .tokenization import tiny_tokenizer

ERROR_LINE = re.compile(r"^nextflow-hf: error: .+$", re.MULTILINE)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained pipeline (16×16 images at level 16, 32×32 at level 32; aspect ratios 1 and 0.5) on disk."""
    model = tiny_nextflow()
    image_processor = NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16)
    folder = tmp_path_factory.mktemp("cli") / "pipeline"
    NextFlowPipeline(model=model, processor=NextFlowProcessor(image_processor, tiny_tokenizer())).save_pretrained(
        folder
    )
    return folder


@pytest.fixture
def source_image(tmp_path: Path) -> Path:
    path = tmp_path / "source.png"
    PIL.Image.new("RGB", (16, 16), (220, 40, 40)).save(path)
    return path


def run(capsys: pytest.CaptureFixture, *argv: str | Path) -> tuple[int, str, str]:
    """`main(argv)`'s exit status, stdout and stderr."""
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_usage_error(status: int, err: str, *expected: str) -> None:
    """Exit status 2 and exactly one `nextflow-hf: error:` line on stderr, naming `expected`, without a traceback."""
    assert status == 2
    assert "Traceback" not in err
    lines = ERROR_LINE.findall(err)
    assert len(lines) == 1, err
    for text in expected:
        assert text in lines[0]


# ----- commands -----


def test_generate_writes_a_png_of_the_level_size(capsys, model_folder, tmp_path):
    out = tmp_path / "images" / "circle.png"
    status, stdout, err = run(capsys, "generate", "a red circle", "--model", model_folder, "--seed", "0", "--out", out)
    assert status == 0, err
    assert stdout == f"{out}\n"  # progress bars stay on stderr
    with PIL.Image.open(out) as image:
        assert (image.format, image.size) == ("PNG", (16, 16))
    assert sorted(path.name for path in out.parent.iterdir()) == ["circle.png"]  # no temporary file left behind


def test_generate_level_and_aspect_ratio_set_the_size(capsys, model_folder, tmp_path):
    out = tmp_path / "wide.png"
    argv = ["generate", "a blue square", "--model", model_folder, "--level", "32", "--aspect-ratio", "0.5"]
    status, _, err = run(capsys, *argv, "--seed", "0", "--out", out)
    assert status == 0, err
    with PIL.Image.open(out) as image:
        assert image.size == (32, 16)  # aspect ratio is height / width


def test_the_same_seed_gives_the_same_file(capsys, model_folder, tmp_path):
    paths = {name: tmp_path / f"{name}.png" for name in ("first", "again", "other")}
    for name, seed in (("first", "7"), ("again", "7"), ("other", "8")):
        status, _, err = run(
            capsys, "generate", "a star", "--model", model_folder, "--seed", seed, "--out", paths[name]
        )
        assert status == 0, err
    assert paths["first"].read_bytes() == paths["again"].read_bytes()
    assert paths["first"].read_bytes() != paths["other"].read_bytes()


def test_edit_writes_an_image(capsys, model_folder, source_image, tmp_path):
    out = tmp_path / "edited.png"
    argv = ["edit", "make it blue", "--image", source_image, "--model", model_folder, "--seed", "0", "--out", out]
    status, stdout, err = run(capsys, *argv)
    assert status == 0, err
    assert stdout == f"{out}\n"
    with PIL.Image.open(out) as image:
        assert image.size == (16, 16)  # the source's bucket at the processor's level


def test_ask_prints_the_answer(capsys, model_folder, source_image, tmp_path):
    out = tmp_path / "answer.txt"
    argv = ["ask", "what colour is the shape ?", "--image", source_image, "--model", model_folder]
    status, stdout, err = run(capsys, *argv, "--max-new-tokens", "8", "--out", out)
    assert status == 0, err
    answer = stdout.removesuffix("\n")
    assert answer and "\n" not in answer
    assert out.read_text() == stdout


@pytest.mark.parametrize("video", [False, True])
def test_story_writes_its_folder(capsys, model_folder, tmp_path, video):
    out = tmp_path / "story"
    # With this seed the untrained model writes a little and draws one image; the checks hold for any seed.
    argv = ["story", "draw two squares", "--model", model_folder, "--seed", "4", "--out", out, "--sample"]
    status, stdout, err = run(capsys, *argv, "--max-new-tokens", "32", *(["--video"] if video else []))
    assert status == 0, err
    assert stdout == f"{out}\n"
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (out / "story.md").read_text())
    images = sorted(path.name for path in out.iterdir() if path.suffix == ".png")
    assert links == images  # every image is linked once, in order
    pattern = "frame_{:03d}.png" if video else "image_{:03d}.png"
    assert images == [pattern.format(index if video else index + 1) for index in range(len(images))]


def test_write_story_interleaves_text_and_numbered_images(tmp_path):
    red, blue = (PIL.Image.new("RGB", (16, 16), color) for color in ("red", "blue"))
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "story.md").write_text("an earlier story")
    (folder / "frame_009.png").write_bytes(b"left by an earlier run")
    (folder / "notes.txt").write_text("not ours")
    cli.write_story(["Once there was a red square.", red, " Then a blue one. ", blue, "The end."], folder, video=True)
    assert (folder / "story.md").read_text() == (
        "Once there was a red square.\n\n![frame 0](frame_000.png)\n\nThen a blue one.\n\n"
        "![frame 1](frame_001.png)\n\nThe end.\n"
    )
    assert sorted(path.name for path in folder.iterdir()) == ["frame_000.png", "frame_001.png", "notes.txt", "story.md"]
    with PIL.Image.open(folder / "frame_001.png") as image:
        assert image.getpixel((0, 0)) == (0, 0, 255)


def test_write_story_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "image_001.png").write_bytes(b"a user's own picture")
    with pytest.raises(cli.UsageError, match="holds other files"):
        cli.write_story(["text"], tmp_path)
    assert (tmp_path / "image_001.png").read_bytes() == b"a user's own picture"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.png"
    path.write_bytes(b"old")

    def fail(handle):
        handle.write(b"partial")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cli.write_atomically(path, fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


# ----- errors a user can cause -----


def test_missing_model_folder(capsys, tmp_path):
    missing = tmp_path / "no-such-model"
    status, _, err = run(capsys, "generate", "a star", "--model", missing, "--out", tmp_path / "x.png")
    assert_usage_error(status, err, str(missing), "--model FOLDER")


def test_missing_default_checkpoint(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "DEFAULT_MODEL", tmp_path / "checkpoints" / "nextflow-shapesworld")
    status, _, err = run(capsys, "generate", "a star", "--out", tmp_path / "x.png")
    assert_usage_error(status, err, "no trained checkpoint ships yet", "--model FOLDER")


def test_folder_without_a_pipeline(capsys, tmp_path):
    status, _, err = run(capsys, "generate", "a star", "--model", tmp_path, "--out", tmp_path / "x.png")
    assert_usage_error(status, err, "model_index.json")


@pytest.mark.parametrize("command", ["edit", "ask"])
def test_missing_image_file(capsys, model_folder, tmp_path, command):
    missing = tmp_path / "missing.png"
    status, _, err = run(capsys, command, "make it blue", "--image", missing, "--model", model_folder)
    assert_usage_error(status, err, "not found", str(missing))


def test_unreadable_image(capsys, model_folder, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    status, _, err = run(capsys, "edit", "make it blue", "--image", broken, "--model", model_folder)
    assert_usage_error(status, err, "cannot read image", str(broken))


@pytest.mark.parametrize(
    "options, named",
    [
        (["--aspect-ratio", "3"], "Aspect ratio 3"),
        (["--level", "48"], "level 48"),
        (["--height", "20", "--width", "20"], "20×20"),
    ],
)
def test_unsupported_image_options_name_the_value(capsys, model_folder, tmp_path, options, named):
    out = tmp_path / "x.png"
    status, _, err = run(capsys, "generate", "a star", "--model", model_folder, *options, "--out", out)
    assert_usage_error(status, err, named)
    assert not out.exists()


@pytest.mark.parametrize(
    "option, name, value, not_numbers, form",
    [
        ("--top-k", "top_k", "1", "1,x", "integers separated by commas"),
        ("--guidance-scale", "guidance_scale", "2.5", "3,high", "numbers separated by commas"),
    ],
)
def test_sampling_options_take_one_value_or_one_per_scale(
    capsys, model_folder, tmp_path, option, name, value, not_numbers, form
):
    num_scales = len(tiny_nextflow().config.vq_config.scale_table.get_schedule(16, 1.0))
    argv = ["generate", "a star", "--model", model_folder, "--seed", "0"]
    status, _, err = run(capsys, *argv, option, ",".join([value] * num_scales), "--out", tmp_path / "ok.png")
    assert status == 0, err
    status, _, err = run(capsys, *argv, option, f"{value},{value}", "--out", tmp_path / "x.png")
    assert_usage_error(status, err, f"{name} has 2 values", f"one per scale ({num_scales}")
    status, _, err = run(capsys, *argv, option, not_numbers, "--out", tmp_path / "x.png")
    assert status == 2
    assert form in err and repr(not_numbers) in err
    assert not (tmp_path / "x.png").exists()


def test_unknown_level_for_a_story_and_a_question(capsys, model_folder, source_image, tmp_path):
    status, _, err = run(capsys, "story", "draw", "--model", model_folder, "--level", "48", "--out", tmp_path / "s")
    assert_usage_error(status, err, "level 48")
    status, _, err = run(capsys, "ask", "what ?", "--image", source_image, "--model", model_folder, "--level", "48")
    assert_usage_error(status, err, "level 48")


def test_unknown_output_extension_fails_before_loading(capsys, tmp_path):
    status, _, err = run(capsys, "generate", "a star", "--model", tmp_path / "unused", "--out", tmp_path / "x.xyz")
    assert_usage_error(status, err, "x.xyz")


def test_argparse_errors_return_2(capsys):
    status, _, err = run(capsys, "generate")
    assert status == 2
    assert "the following arguments are required: prompt" in err


def test_help_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "nextflow_hf.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for command in ("generate", "edit", "ask", "story"):
        assert command in result.stdout
