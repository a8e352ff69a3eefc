"""`datasets` builders for every ShapesWorld task, streaming or on disk, at any resolution and aspect ratio.

Each builder returns a `datasets.Dataset` (written as Arrow files under `cache_dir`; `save_to_disk` copies it
anywhere) or, with `streaming=True`, an `IterableDataset` (endless when `num_rows` is `None`). Row `i` is drawn from
its own `random.Random` seeded by (task, split, seed, i), so the same arguments give identical rows, images included,
in both forms. Scenes and prompts are stored as JSON strings (`serialization`); images are rendered at
`height` × `width`, whose ratio is the scenes' aspect ratio. Categories and kinds are cycled through row by row, so
every one of them is equally represented.
"""

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from datasets import Dataset, Features, Image, IterableDataset, List, Value

from .captions import check_category, sample_caption
from .edits import EDIT_KINDS, check_edit_kind, sample_edit
from .knowledge import sample_knowledge
from .prompts import GENEVAL_CATEGORIES
from .questions import QUESTION_KINDS, check_kind, sample_question
from .render import render
from .sampling import check_aspect_ratio
from .sequences import sample_story, sample_video
from .serialization import prompt_to_json, scene_to_json
from .splits import check_split

TEXT = Value("string")
CAPTION_FEATURES = Features({"prompt": TEXT, "category": TEXT, "drawing_prompt": TEXT, "scene": TEXT, "image": Image()})
KNOWLEDGE_FEATURES = Features(
    {
        "prompt": TEXT,
        "referent": TEXT,
        "reasoning": TEXT,
        "resolved_prompt": TEXT,
        "drawing_prompt": TEXT,
        "scene": TEXT,
        "image": Image(),
    }
)
QUESTION_FEATURES = Features({"question": TEXT, "answer": TEXT, "kind": TEXT, "scene": TEXT, "image": Image()})
EDIT_FEATURES = Features(
    {
        "instruction": TEXT,
        "kind": TEXT,
        "index": Value("int32"),
        "source_scene": TEXT,
        "target_scene": TEXT,
        "source_image": Image(),
        "target_image": Image(),
    }
)
STORY_FEATURES = Features({"texts": List(TEXT), "kinds": List(TEXT), "scenes": List(TEXT), "images": List(Image())})
VIDEO_FEATURES = Features(
    {"prompt": TEXT, "direction": TEXT, "index": Value("int32"), "scenes": List(TEXT), "frames": List(Image())}
)

Rows = Callable[..., Iterator[dict[str, Any]]]


def check_canvas(height: int, width: int) -> None:
    """Raises a ValueError naming the size unless both sides are positive and their ratio is supported."""
    if height < 1 or width < 1:
        raise ValueError(f"Unsupported image size {height}×{width} (height × width); both sides must be positive.")
    check_aspect_ratio(height / width)


def row_rngs(task: str, num_rows: int | None, split: str, seed: int) -> Iterator[tuple[int, random.Random]]:
    """(row, its own generator) for rows 0, 1, … (endless when `num_rows` is `None`)."""
    rows = itertools.count() if num_rows is None else range(num_rows)
    for row in rows:
        yield row, random.Random(f"shapesworld/{task}/{split}/{seed}/{row}")


def caption_rows(
    num_rows: int | None, split: str, seed: int, height: int, width: int, categories: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    for row, rng in row_rngs("captions", num_rows, split, seed):
        sample = sample_caption(rng, categories[row % len(categories)], split, height / width)
        yield {
            "prompt": sample.prompt.text,
            "category": sample.prompt.category,
            "drawing_prompt": prompt_to_json(sample.prompt),
            "scene": scene_to_json(sample.scene),
            "image": render(sample.scene, height, width),
        }


def knowledge_rows(num_rows: int | None, split: str, seed: int, height: int, width: int) -> Iterator[dict[str, Any]]:
    for _, rng in row_rngs("knowledge", num_rows, split, seed):
        sample = sample_knowledge(rng, split, height / width)
        yield {
            "prompt": sample.text,
            "referent": sample.referent,
            "reasoning": sample.reasoning,
            "resolved_prompt": sample.resolved.text,
            "drawing_prompt": prompt_to_json(sample.resolved),
            "scene": scene_to_json(sample.scene),
            "image": render(sample.scene, height, width),
        }


def question_rows(
    num_rows: int | None, split: str, seed: int, height: int, width: int, kinds: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    for row, rng in row_rngs("qa", num_rows, split, seed):
        sample = sample_question(rng, kinds[row % len(kinds)], split, height / width)
        yield {
            "question": sample.question,
            "answer": sample.answer,
            "kind": sample.kind,
            "scene": scene_to_json(sample.scene),
            "image": render(sample.scene, height, width),
        }


def edit_rows(
    num_rows: int | None, split: str, seed: int, height: int, width: int, kinds: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    for row, rng in row_rngs("edits", num_rows, split, seed):
        triple = sample_edit(rng, kinds[row % len(kinds)], split, height / width)
        yield {
            "instruction": triple.instruction,
            "kind": triple.kind,
            "index": triple.index,
            "source_scene": scene_to_json(triple.source),
            "target_scene": scene_to_json(triple.target),
            "source_image": render(triple.source, height, width),
            "target_image": render(triple.target, height, width),
        }


def story_rows(num_rows: int | None, split: str, seed: int, height: int, width: int) -> Iterator[dict[str, Any]]:
    for _, rng in row_rngs("stories", num_rows, split, seed):
        story = sample_story(rng, split=split, aspect_ratio=height / width)
        yield {
            "texts": list(story.texts),
            "kinds": list(story.kinds),
            "scenes": [scene_to_json(scene) for scene in story.scenes],
            "images": [render(scene, height, width) for scene in story.scenes],
        }


def video_rows(num_rows: int | None, split: str, seed: int, height: int, width: int) -> Iterator[dict[str, Any]]:
    for _, rng in row_rngs("videos", num_rows, split, seed):
        video = sample_video(rng, split=split, aspect_ratio=height / width)
        yield {
            "prompt": video.description,
            "direction": video.direction,
            "index": video.index,
            "scenes": [scene_to_json(frame) for frame in video.frames],
            "frames": [render(frame, height, width) for frame in video.frames],
        }


def build(
    rows: Rows,
    features: Features,
    num_rows: int | None,
    split: str,
    seed: int,
    height: int,
    width: int,
    streaming: bool,
    cache_dir: str | None,
    **options: tuple[str, ...],
) -> Dataset | IterableDataset:
    """The dataset of `rows(num_rows, split, seed, height, width, **options)`: streaming, or written to `cache_dir`."""
    check_split(split)
    check_canvas(height, width)
    if num_rows is not None and num_rows < 0:
        raise ValueError(f"Unsupported number of rows {num_rows!r}; it must be at least 0.")
    gen_kwargs = {"num_rows": num_rows, "split": split, "seed": seed, "height": height, "width": width, **options}
    if streaming:
        return IterableDataset.from_generator(rows, features=features, gen_kwargs=gen_kwargs, split=split)
    if num_rows is None:
        raise ValueError("An on-disk dataset needs num_rows; only a streaming one can be endless.")
    return Dataset.from_generator(rows, features=features, gen_kwargs=gen_kwargs, cache_dir=cache_dir, split=split)


def kinds_of(kinds: Sequence[str], check: Callable[[str], None]) -> tuple[str, ...]:
    """`kinds` as a tuple (a list in `gen_kwargs` would be split into shards), each checked, at least one."""
    if not kinds:
        raise ValueError("At least one category or kind is needed.")
    for kind in kinds:
        check(kind)
    return tuple(kinds)


def caption_dataset(
    num_rows: int | None = None,
    *,
    split: str = "train",
    seed: int = 0,
    height: int = 64,
    width: int = 64,
    categories: Sequence[str] = GENEVAL_CATEGORIES,
    streaming: bool = False,
    cache_dir: str | None = None,
) -> Dataset | IterableDataset:
    """GenEval-style captions with ground-truth images. Columns: prompt, category, drawing_prompt (JSON of the
    `DrawingPrompt`), scene (JSON), image."""
    categories = kinds_of(categories, check_category)
    return build(
        caption_rows,
        CAPTION_FEATURES,
        num_rows,
        split,
        seed,
        height,
        width,
        streaming,
        cache_dir,
        categories=categories,
    )


def knowledge_dataset(
    num_rows: int | None = None,
    *,
    split: str = "train",
    seed: int = 0,
    height: int = 64,
    width: int = 64,
    streaming: bool = False,
    cache_dir: str | None = None,
) -> Dataset | IterableDataset:
    """Prompts that name a colour indirectly. Columns: prompt, referent, reasoning, resolved_prompt (the plain
    caption), drawing_prompt (JSON of the resolved `DrawingPrompt`), scene (JSON), image."""
    return build(knowledge_rows, KNOWLEDGE_FEATURES, num_rows, split, seed, height, width, streaming, cache_dir)


def question_dataset(
    num_rows: int | None = None,
    *,
    split: str = "train",
    seed: int = 0,
    height: int = 64,
    width: int = 64,
    kinds: Sequence[str] = QUESTION_KINDS,
    streaming: bool = False,
    cache_dir: str | None = None,
) -> Dataset | IterableDataset:
    """Questions about images with canonical answers. Columns: question, answer, kind, scene (JSON), image."""
    kinds = kinds_of(kinds, check_kind)
    return build(
        question_rows, QUESTION_FEATURES, num_rows, split, seed, height, width, streaming, cache_dir, kinds=kinds
    )


def edit_dataset(
    num_rows: int | None = None,
    *,
    split: str = "train",
    seed: int = 0,
    height: int = 64,
    width: int = 64,
    kinds: Sequence[str] = EDIT_KINDS,
    streaming: bool = False,
    cache_dir: str | None = None,
) -> Dataset | IterableDataset:
    """Edit triples. Columns: instruction, kind, index (of the edited object; see `edits.Edit`), source_scene,
    target_scene (JSON), source_image, target_image."""
    kinds = kinds_of(kinds, check_edit_kind)
    return build(edit_rows, EDIT_FEATURES, num_rows, split, seed, height, width, streaming, cache_dir, kinds=kinds)


def story_dataset(
    num_rows: int | None = None,
    *,
    split: str = "train",
    seed: int = 0,
    height: int = 64,
    width: int = 64,
    streaming: bool = False,
    cache_dir: str | None = None,
) -> Dataset | IterableDataset:
    """Interleaved stories of 3 to 5 scenes. Columns: texts, kinds ("start", then the edit of each step), scenes
    (JSON each), images; text `i` goes with image `i`."""
    return build(story_rows, STORY_FEATURES, num_rows, split, seed, height, width, streaming, cache_dir)


def video_dataset(
    num_rows: int | None = None,
    *,
    split: str = "train",
    seed: int = 0,
    height: int = 64,
    width: int = 64,
    streaming: bool = False,
    cache_dir: str | None = None,
) -> Dataset | IterableDataset:
    """Short videos of one object moving. Columns: prompt, direction, index (of the moving object), scenes (JSON of
    each frame), frames."""
    return build(video_rows, VIDEO_FEATURES, num_rows, split, seed, height, width, streaming, cache_dir)


BUILDERS: dict[str, Callable[..., Dataset | IterableDataset]] = {
    "captions": caption_dataset,
    "knowledge": knowledge_dataset,
    "qa": question_dataset,
    "edits": edit_dataset,
    "stories": story_dataset,
    "videos": video_dataset,
}


def build_dataset(task: str, num_rows: int | None = None, **kwargs: Any) -> Dataset | IterableDataset:
    """The builder of `task` (a key of `BUILDERS`) called with `num_rows` and `kwargs`."""
    if task not in BUILDERS:
        raise ValueError(f"Unknown task {task!r}; ShapesWorld has {tuple(BUILDERS)}.")
    return BUILDERS[task](num_rows, **kwargs)
