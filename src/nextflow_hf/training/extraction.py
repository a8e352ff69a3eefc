"""Stage c of the training recipe: offline extraction of the tokenizer's code indices for language-model training.

Every image of a task's rows is encoded once, ahead of training, and each image column `X` becomes two columns:
`X_input_codes` (what the language model reads; with self-correction, near misses replace a share of every scale's
tokens) and `X_target_codes` (what it learns to predict). An image's codes are its per-scale `(h, w)` index grids
flattened scale by scale, row-major, into one list of ints; `split_codes` turns them back into grids. The tokenizer
thus stays off the accelerator while the language model trains, and every epoch reads the same perturbed inputs.
"""

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np
import PIL.Image
import torch
from datasets import Dataset, Features, Image, List, Value
from datasets.fingerprint import Hasher

from ..modeling import NextFlowVQConfig, NextFlowVQModel
from ..modeling.scales import Grid, Schedule, num_image_tokens, validate_schedule
from ..shapesworld.data import BUILDERS, build_dataset
from ..shapesworld.splits import check_split
from .checkpoints import staged_folder
from .images import to_pixel_values

INFO_FILE = "extraction.json"
INPUT_SUFFIX = "_input_codes"
TARGET_SUFFIX = "_target_codes"
CODES = List(Value("int32"))


def level_geometry(config: NextFlowVQConfig, level: int) -> tuple[Schedule, tuple[int, int]]:
    """The 1:1 schedule of `level` and the `(height, width)` in pixels of the images it encodes: the final grid
    times the tokenizer's downsample factor."""
    schedule = config.scale_table.get_schedule(level, 1.0)
    height, width = schedule[-1]
    return schedule, (height * config.downsample_factor, width * config.downsample_factor)


def stable_seed(*parts: int | str) -> int:
    """A 63-bit seed derived from `parts`, the same on every machine and Python run (unlike `hash`)."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def image_generator(
    seed: int, row: int, column: str, position: int = 0, device: torch.device | str = "cpu"
) -> torch.Generator:
    """The self-correction random source of one image: image `position` of `column` in row `row`. Seeding per image
    makes the codes independent of the batch size and of the other rows."""
    return torch.Generator(device=device).manual_seed(stable_seed(seed, row, column, position))


def flatten_codes(image_tokens: Sequence[torch.Tensor]) -> list[int]:
    """One image's per-scale `(h, w)` index grids as one list of ints, scale by scale, row-major."""
    return torch.cat([grid.reshape(-1) for grid in image_tokens]).tolist()


def split_codes(flat: Sequence[int] | torch.Tensor, schedule: Sequence[Grid]) -> list[torch.LongTensor]:
    """The inverse of `flatten_codes`: flat codes back to one `(h, w)` index grid per scale of `schedule`."""
    schedule = validate_schedule(schedule)
    flat = torch.as_tensor(flat, dtype=torch.long)
    expected = num_image_tokens(schedule)
    if flat.ndim != 1 or flat.numel() != expected:
        raise ValueError(
            f"Got {flat.numel()} codes of shape {tuple(flat.shape)}; the schedule {schedule} holds "
            f"sum(h*w) = {expected} as one flat list."
        )
    grids = flat.split([h * w for h, w in schedule])
    return [grid.view(h, w) for grid, (h, w) in zip(grids, schedule)]


def image_columns(features: Features) -> dict[str, bool]:
    """Name → whether it holds a list of images, for every image column of `features`."""
    columns = {}
    for name, feature in features.items():
        if isinstance(feature, Image):
            columns[name] = False
        elif isinstance(feature, List) and isinstance(feature.feature, Image):
            columns[name] = True
    return columns


@torch.no_grad()
def encode_images(
    vq_model: NextFlowVQModel,
    pixel_values: torch.Tensor,
    schedule: Schedule,
    generators: Sequence[torch.Generator] | None,
) -> tuple[list[list[int]], list[list[int]]]:
    """Flat input and target codes of each image of a batch, as `NextFlowVQModel.encode` gives them one by one.

    One batched pass; the self-correction draws of each image come from its own generator (`generators=None`: no
    self-correction, inputs are the targets), so no random draw depends on the batch.
    """
    features = vq_model.extract_features(pixel_values.to(vq_model.device, vq_model.dtype), schedule[-1])
    correction = None
    if generators is not None:
        correction = (vq_model.config.self_correction_fraction, vq_model.config.self_correction_top_k)
    encoded = vq_model.quantizer(features, schedule, correction, generators)
    inputs = torch.cat([grid.flatten(1) for grid in encoded.input_image_tokens], dim=1).tolist()
    targets = torch.cat([grid.flatten(1) for grid in encoded.image_tokens], dim=1).tolist()
    return inputs, targets


def check_image_size(image: PIL.Image.Image, size: tuple[int, int], level: int, column: str, row: int) -> None:
    """Raises a ValueError naming the image's size and the level's unless `image` is `size` = (height, width)."""
    if (image.height, image.width) != size:
        raise ValueError(
            f"Image of size {image.height}×{image.width} (height × width) in column {column!r}, row {row}, does not "
            f"fit level {level}: this tokenizer encodes it at {size[0]}×{size[1]}; render or resize the images to "
            "that size first."
        )


def encode_rows(
    batch: dict[str, list],
    indices: list[int],
    *,
    vq_model: NextFlowVQModel,
    columns: Mapping[str, bool],
    level: int,
    self_correction: bool,
    seed: int,
) -> dict[str, list]:
    """`Dataset.map` function: the input and target codes of every image column of a batch of rows."""
    schedule, size = level_geometry(vq_model.config, level)
    output = {}
    for column, is_list in columns.items():
        images, owners = [], []
        for row, value in zip(indices, batch[column]):
            for position, image in enumerate(value if is_list else [value]):
                check_image_size(image, size, level, column, row)
                images.append(image)
                owners.append((row, position))
        inputs, targets = [], []
        if images:
            generators = None
            if self_correction:
                generators = [image_generator(seed, row, column, position, vq_model.device) for row, position in owners]
            inputs, targets = encode_images(vq_model, to_pixel_values(images), schedule, generators)
        if is_list:
            starts = np.cumsum([0] + [len(value) for value in batch[column]])
            inputs = [inputs[start:end] for start, end in zip(starts, starts[1:])]
            targets = [targets[start:end] for start, end in zip(starts, starts[1:])]
        output[column + INPUT_SUFFIX], output[column + TARGET_SUFFIX] = inputs, targets
    return output


def extract_codes(
    vq_model: NextFlowVQModel,
    dataset: Dataset,
    level: int,
    batch_size: int = 32,
    self_correction: bool = True,
    seed: int = 0,
) -> Dataset:
    """`dataset` with every image column `X` replaced by `X_input_codes` and `X_target_codes` (flat codes; a list of
    them for a list of images); other columns are kept unchanged.

    Args:
        vq_model: the tokenizer; it is put in eval mode.
        dataset: rows whose images are the level's 1:1 size (see `level_geometry`).
        level: a level of the tokenizer's scale table.
        batch_size: rows encoded together.
        self_correction: perturb the inputs as `NextFlowVQModel.encode(..., self_correction=True)` does; the draws
            of each image come from `image_generator(seed, row, column, position)`.
        seed: seed of those draws.
    """
    columns = image_columns(dataset.features)
    if not columns:
        raise ValueError(f"The dataset has no image column to encode; its columns are {list(dataset.features)}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}.")
    level_geometry(vq_model.config, level)  # raises on an unknown level before any work
    features = Features({name: feature for name, feature in dataset.features.items() if name not in columns})
    for column, is_list in columns.items():
        codes = List(CODES) if is_list else CODES
        features[column + INPUT_SUFFIX], features[column + TARGET_SUFFIX] = codes, codes
    vq_model.eval()
    config = vq_model.config
    # Named from what determines the codes, so that hashing the model (slow, and not always possible) is skipped.
    fingerprint = Hasher.hash(
        [dataset._fingerprint, tokenizer_fingerprint(vq_model), level, self_correction, seed]
        + [config.self_correction_fraction, config.self_correction_top_k, str(vq_model.dtype)]
    )
    return dataset.map(
        encode_rows,
        batched=True,
        batch_size=batch_size,
        with_indices=True,
        remove_columns=list(columns),
        features=features,
        fn_kwargs=dict(vq_model=vq_model, columns=columns, level=level, self_correction=self_correction, seed=seed),
        new_fingerprint=fingerprint,
        desc=f"Encoding {', '.join(columns)} at level {level}",
    )


def tokenizer_fingerprint(vq_model: NextFlowVQModel) -> str:
    """SHA-256 of the tokenizer's weights (names, dtypes, shapes and values): which tokenizer made a set of codes."""
    digest = hashlib.sha256()
    for name, tensor in sorted(vq_model.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class ExtractionInfo(TypedDict):
    """What `extraction.json` records about a folder of extracted codes, so the language-model stage can check it
    reads codes of the right tokenizer and level.

    Keys:
        tokenizer_path: folder of the trained tokenizer, or `None` for an untrained preset.
        vq_preset: name of the untrained preset (tests only), or `None` for a trained tokenizer.
        tokenizer_fingerprint: `tokenizer_fingerprint` of the tokenizer's weights.
        codebook_size: number of codes; every code lies in [0, codebook_size).
        level: the level of the scale table the images were encoded at.
        image_size: (height, width) in pixels of the encoded images.
        schedule: the (h, w) grid of every scale, coarse to fine; an image's flat codes hold sum(h*w) ints.
        self_correction: whether the input codes carry self-correction's near misses.
        self_correction_fraction: share of every scale's input tokens replaced, when `self_correction`.
        self_correction_top_k: replacements come from the 2nd..k-th nearest codes.
        seed: seed of the ShapesWorld rows and of the self-correction draws.
        num_rows: split → task → number of rows saved under `{split}/{task}`.
    """

    tokenizer_path: str | None
    vq_preset: str | None
    tokenizer_fingerprint: str
    codebook_size: int
    level: int
    image_size: tuple[int, int]
    schedule: Schedule
    self_correction: bool
    self_correction_fraction: float
    self_correction_top_k: int
    seed: int
    num_rows: dict[str, dict[str, int]]


# The JSON type of every key of `extraction.json`.
INFO_TYPES: dict[str, type | tuple[type, ...]] = {
    "tokenizer_path": (str, type(None)),
    "vq_preset": (str, type(None)),
    "tokenizer_fingerprint": str,
    "codebook_size": int,
    "level": int,
    "image_size": list,
    "schedule": list,
    "self_correction": bool,
    "self_correction_fraction": (int, float),
    "self_correction_top_k": int,
    "seed": int,
    "num_rows": dict,
}


def load_extraction_info(path: str | Path) -> ExtractionInfo:
    """Reads and validates the `extraction.json` of an extraction folder (or the file itself)."""
    path = Path(path)
    path = path / INFO_FILE if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(f"No extraction info at {str(path)!r}; run examples/training/extract_codes.py first.")
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or set(data) != set(INFO_TYPES):
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{str(path)!r} must hold exactly the keys {sorted(INFO_TYPES)}; found {found}.")
    wrong = {name: type(data[name]).__name__ for name, kind in INFO_TYPES.items() if not isinstance(data[name], kind)}
    if wrong:
        raise ValueError(f"{str(path)!r} holds values of the wrong type: {wrong} (key: type found).")
    schedule = validate_schedule(data["schedule"])
    image_size = tuple(data["image_size"])
    if len(image_size) != 2 or any(side % grid for side, grid in zip(image_size, schedule[-1])):
        raise ValueError(f"{str(path)!r}: image_size {image_size} is no multiple of the final grid {schedule[-1]}.")
    fraction = data["self_correction_fraction"]
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"{str(path)!r}: self_correction_fraction {fraction} is not in [0, 1].")
    for split, tasks in data["num_rows"].items():
        check_split(split)
        for task, rows in tasks.items():
            if task not in BUILDERS or not isinstance(rows, int) or rows < 0:
                raise ValueError(
                    f"{str(path)!r}: num_rows[{split!r}][{task!r}] = {rows!r}; tasks are {tuple(BUILDERS)} and row "
                    "counts are non-negative ints."
                )
    return ExtractionInfo(**{**data, "schedule": schedule, "image_size": image_size})


def check_tokenizer(info: ExtractionInfo, vq_model: NextFlowVQModel) -> None:
    """Raises a ValueError unless `vq_model` has the weights the codes of `info` were extracted with."""
    fingerprint = tokenizer_fingerprint(vq_model)
    if fingerprint != info["tokenizer_fingerprint"]:
        source = info["tokenizer_path"] or f"preset {info['vq_preset']!r}"
        raise ValueError(
            f"These codes were extracted with the tokenizer of {source} (fingerprint "
            f"{info['tokenizer_fingerprint'][:12]}…), but the given tokenizer's fingerprint is {fingerprint[:12]}…; "
            "extract the codes again with it."
        )


def extract_task(
    vq_model: NextFlowVQModel,
    task: str,
    num_rows: int,
    level: int,
    *,
    split: str = "train",
    seed: int = 0,
    batch_size: int = 32,
    self_correction: bool = True,
    cache_dir: str | None = None,
) -> Dataset:
    """The codes of `num_rows` ShapesWorld rows of `task`, rendered 1:1 at the level's size. The self-correction
    draws are seeded by (seed, task, split), so no two datasets share their perturbation pattern."""
    _, (height, width) = level_geometry(vq_model.config, level)
    rows = build_dataset(task, num_rows, split=split, seed=seed, height=height, width=width, cache_dir=cache_dir)
    code_seed = stable_seed(seed, task, split)
    return extract_codes(vq_model, rows, level, batch_size=batch_size, self_correction=self_correction, seed=code_seed)


def write_extraction(
    vq_model: NextFlowVQModel,
    output_dir: str | Path,
    level: int,
    rows_per_task: Mapping[str, int],
    *,
    tokenizer_path: str | None = None,
    vq_preset: str | None = None,
    splits: Sequence[str] = ("train",),
    seed: int = 0,
    batch_size: int = 32,
    self_correction: bool = True,
    overwrite: bool = False,
) -> ExtractionInfo:
    """Extracts the codes of every task of `rows_per_task` (task → rows) for every split into
    `{output_dir}/{split}/{task}` (`Dataset.save_to_disk`) and writes `{output_dir}/extraction.json`.

    Everything is written to a temporary folder first and renamed to `output_dir` at the end, so a failed run leaves
    nothing behind. `tokenizer_path` or `vq_preset` names where `vq_model` came from, for the record.
    """
    for task, rows in rows_per_task.items():
        if task not in BUILDERS:
            raise ValueError(f"Unknown task {task!r}; ShapesWorld has {tuple(BUILDERS)}.")
        if not isinstance(rows, int) or rows < 1:
            raise ValueError(f"Task {task!r} needs a positive number of rows; got {rows!r}.")
    for split in splits:
        check_split(split)
    schedule, image_size = level_geometry(vq_model.config, level)
    config = vq_model.config
    info = ExtractionInfo(
        tokenizer_path=tokenizer_path,
        vq_preset=vq_preset,
        tokenizer_fingerprint=tokenizer_fingerprint(vq_model),
        codebook_size=config.codebook_size,
        level=level,
        image_size=image_size,
        schedule=schedule,
        self_correction=self_correction,
        self_correction_fraction=config.self_correction_fraction,
        self_correction_top_k=config.self_correction_top_k,
        seed=seed,
        num_rows={split: dict(rows_per_task) for split in splits},
    )
    with staged_folder(Path(output_dir), overwrite) as staging:
        cache_dir = staging / ".cache"
        for split in splits:
            for task, rows in rows_per_task.items():
                codes = extract_task(
                    vq_model,
                    task,
                    rows,
                    level,
                    split=split,
                    seed=seed,
                    batch_size=batch_size,
                    self_correction=self_correction,
                    cache_dir=str(cache_dir),
                )
                codes.save_to_disk(str(staging / split / task))
        shutil.rmtree(cache_dir, ignore_errors=True)
        (staging / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n")
    return info
