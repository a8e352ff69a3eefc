"""Writing stage outputs so that a crash never leaves a half-written checkpoint or dataset behind."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol


class Savable(Protocol):
    def save_pretrained(self, save_directory: str | os.PathLike, **kwargs) -> None: ...


def model_and_processor_folders(folder: str | os.PathLike) -> tuple[Path, Path]:
    """Where the model and the processor of `folder` are: the folder itself for a training stage's output, its
    `model/` and `processor/` for an exported pipeline (which has a `model_index.json`)."""
    folder = Path(folder)
    if (folder / "model_index.json").is_file():
        return folder / "model", folder / "processor"
    return folder, folder


def save_atomically(output_dir: str | os.PathLike, *parts: Savable) -> Path:
    """Saves every part (model, processor, tokenizer, …) into a temporary folder beside `output_dir`, then moves each
    file in with an atomic rename; until the last rename the previous files (e.g. Trainer checkpoints) stay intact."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        for part in parts:
            part.save_pretrained(staging)
        for path in staging.iterdir():
            os.replace(path, output_dir / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return output_dir


@contextmanager
def staged_folder(output_dir: str | os.PathLike, overwrite: bool) -> Iterator[Path]:
    """A fresh folder beside `output_dir` that becomes `output_dir` when the block succeeds and is deleted when it
    fails, so no half-written output ever sits under the final name."""
    output_dir = Path(output_dir)
    if output_dir.exists() and not overwrite:
        raise FileExistsError(f"{str(output_dir)!r} already exists; pass overwrite=True to replace it.")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".partial", dir=output_dir.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if output_dir.exists():
        shutil.rmtree(output_dir)
    staging.rename(output_dir)


def save_with_card(output_dir: str | os.PathLike, part: Savable, card: str) -> int:
    """Replaces `output_dir` with `part` saved beside its model card (`README.md`), atomically (`staged_folder`);
    returns the folder's size in bytes."""
    output_dir = Path(output_dir)
    with staged_folder(output_dir, overwrite=True) as staging:
        part.save_pretrained(staging)
        (staging / "README.md").write_text(card)
    return sum(path.stat().st_size for path in output_dir.rglob("*") if path.is_file())
