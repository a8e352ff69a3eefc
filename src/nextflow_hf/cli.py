"""Command line of nextflow-hf: `generate`, `edit`, `ask` and `story` over a saved NextFlow pipeline.

    nextflow-hf generate "a red circle" --out circle.png --seed 0
    nextflow-hf edit --image circle.png "make it blue" --out blue.png
    nextflow-hf ask --image circle.png "what colour is the shape?"
    nextflow-hf story "two squares" --out story/ --video

Every command loads the pipeline saved in `--model` (default: the shipped checkpoint, `checkpoints/nextflow-shapesworld`
at the repository root). Results go to stdout (the written path, or the answer); progress bars, warnings and errors go
to stderr. Mistakes a user can make (a missing model folder or image, an unreadable image, an unsupported level,
aspect ratio or size) print one line `nextflow-hf: error: ...` and exit with status 2. Files are written atomically: a
temporary file in the same folder, then a rename.
"""

import argparse
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import PIL.Image
import torch

from . import __version__
from .pipelines import NextFlowEditPipeline, NextFlowInterleavedPipeline, NextFlowPipeline

PROG = "nextflow-hf"
CHECKPOINT_NAME = "nextflow-shapesworld"
# src/nextflow_hf/cli.py → the repository root (for a source checkout or an editable install).
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPOSITORY_ROOT / "checkpoints" / CHECKPOINT_NAME
STORY_FILE = "story.md"
# Images of a story folder: `image_001.png`, … or, with `--video`, frames `frame_000.png`, ….
STORY_IMAGE = re.compile(r"^(image|frame)_\d{3}\.png$")


class UsageError(Exception):
    """A mistake the user can fix (a missing file, a bad option value): one line on stderr, exit status 2."""


# ----- the parser -----


def values_per_scale(text: str, option: str, number: type[int] | type[float]) -> list:
    """The values of a per-scale option, comma-separated; the error names the option, the text and the form."""
    noun = "integer" if number is int else "number"
    try:
        values = [number(value) for value in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{option} must be one {noun} or {noun}s separated by commas, one per scale (e.g. 0,0,1); got {text!r}"
        ) from None
    if any(value < 0 for value in values):
        raise argparse.ArgumentTypeError(f"{option} values must be 0 or more; got {text!r}")
    return values


def top_k_option(text: str) -> int | list[int]:
    """`--top-k` of the command lines: one k for every scale (`8`), or one per scale (`0,0,0,0,0,0,1,1`: sample the
    layout, take the most likely codes at the two finest scales of the 128 level); 0 is off."""
    values = values_per_scale(text, "top-k", int)
    return values[0] if len(values) == 1 else values


def guidance_option(text: str) -> float | list[float]:
    """`--guidance-scale` of the command lines: one g, ramped from 1 at the first scale to g at the last (`3`), or
    one per scale (`3,3,3,3,3,3,3,3`: the same guidance at every scale of the 128 level)."""
    values = values_per_scale(text, "guidance scale", float)
    return values[0] if len(values) == 1 else values


def build_parser() -> argparse.ArgumentParser:
    """The `nextflow-hf` parser: one subparser per command, each with `run` set to its function."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--model",
        type=Path,
        default=None,
        metavar="FOLDER",
        help=f"a folder written by NextFlowPipeline.save_pretrained (default: {DEFAULT_MODEL})",
    )
    common.add_argument(
        "--seed", type=int, default=None, help="random seed: the same seed on the same device gives the same output"
    )
    common.add_argument(
        "--level",
        type=int,
        default=None,
        help="image level of the model's scale table (e.g. 256, 512 or 1024 in the paper's)",
    )
    common.add_argument(
        "--device", default=None, help="torch device, e.g. cpu or cuda:0 (default: cuda when available, else cpu)"
    )
    drawing = argparse.ArgumentParser(add_help=False)
    drawing.add_argument(
        "--aspect-ratio", type=float, default=None, help="height / width of the image (nearest bucket of the table)"
    )
    drawing.add_argument(
        "--guidance-scale",
        type=guidance_option,
        default=None,
        help="classifier-free guidance: one scale, ramped from 1 over the scales, or one per scale separated by commas",
    )
    image_options = argparse.ArgumentParser(add_help=False)
    image_options.add_argument("--negative-prompt", default=None, help="what the image should not show")
    image_options.add_argument("--height", type=int, default=None, help="image height in pixels (a size of the table)")
    image_options.add_argument("--width", type=int, default=None, help="image width in pixels (a size of the table)")
    image_options.add_argument("--temperature", type=float, default=None, help="sampling temperature of image tokens")
    image_options.add_argument(
        "--top-k",
        type=top_k_option,
        default=None,
        help="sample image tokens among the k most likely: one k, or one per scale separated by commas (0: off)",
    )
    image_options.add_argument("--top-p", type=float, default=None, help="nucleus sampling of image tokens")

    parser = argparse.ArgumentParser(prog=PROG, description="NextFlow: one decoder for text and images.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate",
        parents=[common, drawing, image_options],
        help="draw an image from a prompt",
        description=run_generate.__doc__,
    )
    generate.add_argument("prompt", help="what to draw")
    generate.add_argument("--out", type=Path, default=Path("generated.png"), help="image file (default: %(default)s)")
    generate.set_defaults(run=run_generate)

    edit = commands.add_parser(
        "edit",
        parents=[common, drawing, image_options],
        help="edit an image by an instruction",
        description=run_edit.__doc__,
    )
    edit.add_argument("prompt", metavar="instruction", help="what to change")
    edit.add_argument("--image", type=Path, required=True, help="the image to edit")
    edit.add_argument("--out", type=Path, default=Path("edited.png"), help="image file (default: %(default)s)")
    edit.set_defaults(run=run_edit)

    ask = commands.add_parser(
        "ask", parents=[common], help="answer a question about an image", description=run_ask.__doc__
    )
    ask.add_argument("question", help="the question")
    ask.add_argument("--image", type=Path, required=True, help="the image the question is about")
    ask.add_argument("--max-new-tokens", type=int, default=64, help="length limit of the answer (default: %(default)s)")
    ask.add_argument("--out", type=Path, default=None, help="also write the answer to this text file")
    ask.set_defaults(run=run_ask)

    story = commands.add_parser(
        "story", parents=[common, drawing], help="write text and images in one stream", description=run_story.__doc__
    )
    story.add_argument("prompt", help="what the story is about")
    story.add_argument("--out", type=Path, default=Path("story"), help="output folder (default: %(default)s)")
    story.add_argument("--video", action="store_true", help="name the images as ordered frames frame_000.png, …")
    story.add_argument("--max-new-tokens", type=int, default=256, help="text tokens at most (default: %(default)s)")
    story.add_argument("--max-images", type=int, default=None, help="images at most (default: 4, or 5 frames)")
    story.add_argument("--sample", action="store_true", help="sample the text (default: greedy); see --seed")
    story.set_defaults(run=run_story)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `nextflow-hf` with `argv` (default: `sys.argv[1:]`) and returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error argparse has already reported
        if exit_.code is None:
            return 0
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        return args.run(args)
    except UsageError as error:
        print(f"{PROG}: error: {one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


# ----- the commands -----


def run_generate(args: argparse.Namespace) -> int:
    """Draws an image from a prompt and writes it to `--out` (its format from the file extension)."""
    image_format = output_image_format(args.out)
    pipe = load_pipeline(args.model, args.device)
    with user_errors():
        images = pipe(
            args.prompt,
            negative_prompt=args.negative_prompt,
            generator=seeded_generator(args.seed, pipe.device),
            **drawing_options(args),
        ).images
    write_image(images[0], args.out, image_format)
    print(args.out)
    return 0


def run_edit(args: argparse.Namespace) -> int:
    """Edits `--image` by an instruction and writes the result to `--out` (its format from the file extension)."""
    image_format = output_image_format(args.out)
    source = load_image(args.image)
    pipe = load_pipeline(args.model, args.device)
    editor = NextFlowEditPipeline(**pipe.components)
    with user_errors():
        images = editor(
            source,
            args.prompt,
            negative_prompt=args.negative_prompt,
            generator=seeded_generator(args.seed, pipe.device),
            **drawing_options(args),
        ).images
    write_image(images[0], args.out, image_format)
    print(args.out)
    return 0


def run_ask(args: argparse.Namespace) -> int:
    """Answers a question about `--image` (greedy decoding) and prints the answer."""
    image = load_image(args.image)
    pipe = load_pipeline(args.model, args.device)
    model, processor = pipe.model, pipe.processor
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": args.question}]}]
    with user_errors(f"cannot use image {args.image}"):
        prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
        level = {} if args.level is None else {"level": args.level}
        inputs = processor(images=[image], text=prompt, **level)
    inputs = {name: to_device(value, pipe.device) for name, value in inputs.items()}
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=args.max_new_tokens, do_sample=False)
    answer = processor.post_process_image_text_to_text(output[:, inputs["input_ids"].shape[1] :])[0].strip()
    if args.out is not None:
        write_atomically(args.out, lambda handle: handle.write(f"{answer}\n".encode()))
    print(answer)
    return 0


def run_story(args: argparse.Namespace) -> int:
    """Writes text and images in one stream into the folder `--out`: numbered images and `story.md`, which
    interleaves the text with links to the images. An earlier story in that folder is replaced."""
    pipe = load_pipeline(args.model, args.device)
    storyteller = NextFlowInterleavedPipeline(**pipe.components)
    with user_errors():
        output = storyteller(
            args.prompt,
            max_new_tokens=args.max_new_tokens,
            max_images=args.max_images,
            video=args.video,
            do_sample=args.sample,
            level=args.level,
            aspect_ratio=args.aspect_ratio,
            guidance_scale=args.guidance_scale,
            generator=seeded_generator(args.seed, pipe.device),
        )
    write_story(output.segments, args.out, video=args.video)
    print(args.out)
    return 0


# ----- helpers -----


def one_line(message: str) -> str:
    """`message` with every run of whitespace (line breaks included) collapsed to one space."""
    return " ".join(message.split())


@contextmanager
def user_errors(what: str | None = None) -> Iterator[None]:
    """Turns a `ValueError` raised in the block (the pipelines' and the processor's checks of their inputs: level,
    aspect ratio, size) into a `UsageError`, its message after `what: ` when given."""
    try:
        yield
    except ValueError as error:
        raise UsageError(str(error) if what is None else f"{what}: {error}") from error


def default_model_folder() -> Path:
    """The shipped checkpoint, or a `UsageError` saying that none ships yet."""
    if DEFAULT_MODEL.is_dir():
        return DEFAULT_MODEL
    raise UsageError(
        f"no trained checkpoint ships yet (looked for {DEFAULT_MODEL}); pass --model FOLDER with a saved pipeline"
    )


def resolve_device(name: str | None) -> torch.device:
    """`name` as a torch device (default: cuda when available, else cpu); a `UsageError` when it cannot be used."""
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise UsageError(f"unknown device {name!r}: {error}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {name!r} is not available: torch sees no CUDA GPU here; use --device cpu")
    return device


def load_pipeline(model: Path | None, device: str | None) -> NextFlowPipeline:
    """The pipeline saved in `model` (default: the shipped checkpoint), on `device`."""
    folder = default_model_folder() if model is None else model
    if not folder.is_dir():
        raise UsageError(f"model folder not found: {folder} (pass --model FOLDER with a saved pipeline)")
    if not (folder / "model_index.json").is_file():
        raise UsageError(f"{folder} is not a saved pipeline: it has no model_index.json")
    torch_device = resolve_device(device)
    try:
        pipe = NextFlowPipeline.from_pretrained(folder)
    except (OSError, ValueError) as error:  # FileNotFoundError is an OSError
        raise UsageError(f"cannot load the pipeline in {folder}: {error}") from error
    return pipe.to(torch_device)


def drawing_options(args: argparse.Namespace) -> dict[str, Any]:
    """The image options of `generate` and `edit`, as pipeline keyword arguments."""
    return {
        "level": args.level,
        "aspect_ratio": args.aspect_ratio,
        "height": args.height,
        "width": args.width,
        "guidance_scale": args.guidance_scale,
        "temperature": args.temperature,
        "top_k": args.top_k,
        "top_p": args.top_p,
    }


def seeded_generator(seed: int | None, device: torch.device) -> torch.Generator | None:
    """With a seed: seeds torch's global generator (text sampling) and returns a generator on `device` (images)."""
    if seed is None:
        return None
    torch.manual_seed(seed)
    return torch.Generator(device=device).manual_seed(seed)


def to_device(value: Any, device: torch.device) -> Any:
    """A tensor, or a list of tensors (images of different sizes), moved to `device`; anything else as it is."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, list):
        return [to_device(item, device) for item in value]
    return value


def load_image(path: Path) -> PIL.Image.Image:
    """The image file at `path`, fully read and converted to RGB."""
    try:
        with PIL.Image.open(path) as image:
            return image.convert("RGB")
    except FileNotFoundError as error:
        raise UsageError(f"image file not found: {path}") from error
    except (PIL.UnidentifiedImageError, OSError) as error:  # UnidentifiedImageError is an OSError too
        raise UsageError(f"cannot read image {path}: {error}") from error


def output_image_format(path: Path) -> str:
    """The PIL format of an output file, from its extension (checked before any generation)."""
    image_format = PIL.Image.registered_extensions().get(path.suffix.lower())
    if image_format is None:
        raise UsageError(f"cannot tell the image format of {path} from its extension; use e.g. .png or .jpg")
    return image_format


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Creates `path`'s folder and writes `path` through a temporary file beside it, renamed into place when done,
    so that `path` is never seen half-written."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # os.open with 0o666 honours the umask, as a plain open() would (tempfile would give 0o600).
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as handle:
            write(handle)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {error}") from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_image(image: PIL.Image.Image, path: Path, image_format: str = "PNG") -> None:
    """Writes `image` to `path` atomically, in `image_format`."""
    write_atomically(path, lambda handle: image.save(handle, format=image_format))


def write_story(segments: Sequence[str | PIL.Image.Image], folder: Path, video: bool = False) -> list[Path]:
    """Writes a story's images into `folder` (`image_001.png`, … or, for `video`, `frame_000.png`, …), then
    `story.md` with the text and a link to every image in order. A folder may be new, empty or an earlier story, whose
    numbered images this run does not replace are removed; any other non-empty folder is refused. Returns the image
    paths."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"cannot write the story to {folder}: it is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / STORY_FILE).exists():
        raise UsageError(f"cannot write the story to {folder}: the folder holds other files; choose a new folder")
    lines: list[str] = []
    written: list[Path] = []
    for segment in segments:
        if isinstance(segment, str):
            if segment.strip():
                lines.append(segment.strip())
            continue
        number = len(written) if video else len(written) + 1
        kind = "frame" if video else "image"
        name = f"{kind}_{number:03d}.png"
        write_image(segment, folder / name)
        written.append(folder / name)
        lines.append(f"![{kind} {number}]({name})")
    if not written and not lines:
        lines.append("(the model wrote nothing)")
    write_atomically(folder / STORY_FILE, lambda handle: handle.write(("\n\n".join(lines) + "\n").encode()))
    for stale in folder.iterdir():
        if STORY_IMAGE.match(stale.name) and stale not in written:
            stale.unlink()
    return written


if __name__ == "__main__":
    sys.exit(main())
