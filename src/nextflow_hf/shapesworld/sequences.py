"""Interleaved stories and short videos: text with several scenes that change one step at a time.

A story opens on a scene of one or two objects and goes on with edits (see `edits`): each later scene is the one before
with one object added, removed, moved, recoloured or resized, and each scene comes with the sentence that says what
happened. A video moves one object in a straight line, evenly, across 3 to 5 frames while the other objects stay
still; its path is clear of them, and its description says which object moves and where.
"""

import random
from dataclasses import dataclass

from .edits import EDIT_KINDS, Edit, apply_edit, replaced, shifted, without
from .sampling import check_aspect_ratio, retry, sample_scene
from .scene import Scene, ShapeObject
from .splits import Templates, check_split
from .words import DIRECTION_PHRASES, DIRECTIONS, capitalized, describe, list_objects, with_article

MIN_SCENES, MAX_SCENES = 3, 5
MIN_FRAMES, MAX_FRAMES = 3, 5
# The shortest path of a video's object, as a fraction of the canvas along its direction; the path is checked for
# room at this many evenly spaced points.
MIN_TRAVEL = 0.3
PATH_POINTS = 16
STORY_OPENINGS = Templates(
    train=("the picture shows {objects}.", "the story begins with {objects}."),
    test=("in the beginning we see {objects}.",),
)
NARRATION_TEMPLATES: dict[str, Templates] = {
    "recolour": Templates(
        train=("the {ref} turns {color}.", "the {ref} changes colour to {color}."),
        test=("the {ref} is repainted {color}.",),
    ),
    "add": Templates(train=("{a} appears.", "then {a} shows up."), test=("out of nowhere, {a} pops up.",)),
    "remove": Templates(
        train=("the {ref} disappears.", "the {ref} vanishes."), test=("the {ref} is no longer there.",)
    ),
    "move": Templates(
        train=("the {ref} moves {dir}.", "the {ref} travels {dir}."), test=("next, the {ref} drifts {dir}.",)
    ),
    "resize": Templates(
        train=("the {ref} becomes {size}.", "the {ref} turns {size}."), test=("the {ref} is now {size}.",)
    ),
}
VIDEO_TEMPLATES = Templates(
    train=("{a} moves {dir}.", "{a} travels {dir} across the picture."),
    test=("a short clip of {a} gliding {dir}.",),
)


@dataclass(frozen=True)
class Story:
    """Scenes with one sentence each; `kinds[i]` says how scene `i` came from scene `i - 1` ("start" for the first)."""

    texts: tuple[str, ...]
    scenes: tuple[Scene, ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Video:
    """Frames in which object `index` moves evenly in `direction` (a key of `words.DIRECTIONS`), and a description."""

    description: str
    frames: tuple[Scene, ...]
    index: int
    direction: str


def check_length(length: int, low: int, high: int, what: str) -> None:
    """Raises a ValueError naming `length` unless it is between `low` and `high`."""
    if not low <= length <= high:
        raise ValueError(f"Unsupported number of {what} {length!r}; ShapesWorld uses {low} to {high}.")


def next_edit(rng: random.Random, scene: Scene, split: str) -> Edit | None:
    """An edit of a random kind that `scene` allows (kinds tried in random order), or `None` when none does."""
    for kind in rng.sample(EDIT_KINDS, len(EDIT_KINDS)):
        edit = apply_edit(rng, scene, kind, split)
        if edit is not None:
            return edit
    return None


def sample_story(
    rng: random.Random, num_scenes: int | None = None, split: str = "train", aspect_ratio: float = 1.0
) -> Story:
    """A random story of `num_scenes` scenes (3 to 5, random when `None`) in `split`."""
    if num_scenes is None:
        num_scenes = rng.randint(MIN_SCENES, MAX_SCENES)
    check_length(num_scenes, MIN_SCENES, MAX_SCENES, "story scenes")
    check_split(split)
    check_aspect_ratio(aspect_ratio)

    def attempt() -> Story | None:
        scene = sample_scene(rng, aspect_ratio, split, num_objects=rng.randint(1, 2))
        opening = STORY_OPENINGS.pick(rng, split).format(objects=list_objects(scene.objects))
        texts, scenes, kinds = [opening], [scene], ["start"]
        while len(scenes) < num_scenes:
            edit = next_edit(rng, scenes[-1], split)
            if edit is None:
                return None
            texts.append(NARRATION_TEMPLATES[edit.kind].pick(rng, split).format(**edit.fields))
            scenes.append(edit.target)
            kinds.append(edit.kind)
        return Story(tuple(capitalized(text) for text in texts), tuple(scenes), tuple(kinds))

    return retry(attempt, "a story")


def lerp(start: float, end: float, t: float) -> float:
    """The point a fraction `t` of the way from `start` to `end`: exactly `start` at 0, `end` at 1 and all along when
    they are equal (so a coordinate that does not move stays bit for bit the same)."""
    return start if start == end else start * (1 - t) + end * t


def along(start: ShapeObject, end: ShapeObject, t: float) -> ShapeObject:
    """`start` moved a fraction `t` of the way to where `end` is."""
    return start.moved(lerp(start.x, end.x, t), lerp(start.y, end.y, t))


def path_is_clear(scene: Scene, index: int, end: ShapeObject) -> bool:
    """Whether object `index` can slide straight to where `end` is without meeting another object."""
    start, others = scene.objects[index], without(scene, index)
    return not any(others.overlaps(along(start, end, step / PATH_POINTS)) for step in range(PATH_POINTS + 1))


def sample_video(
    rng: random.Random, num_frames: int | None = None, split: str = "train", aspect_ratio: float = 1.0
) -> Video:
    """A random video of `num_frames` frames (3 to 5, random when `None`) in `split`."""
    if num_frames is None:
        num_frames = rng.randint(MIN_FRAMES, MAX_FRAMES)
    check_length(num_frames, MIN_FRAMES, MAX_FRAMES, "video frames")
    check_split(split)
    check_aspect_ratio(aspect_ratio)

    def attempt() -> Video | None:
        scene = sample_scene(rng, aspect_ratio, split)
        index, direction = rng.randrange(len(scene.objects)), rng.choice(tuple(DIRECTIONS))
        end = shifted(rng, scene, index, direction, MIN_TRAVEL)
        if end is None or not path_is_clear(scene, index, end):
            return None
        start = scene.objects[index]
        frames = tuple(replaced(scene, index, along(start, end, k / (num_frames - 1))) for k in range(num_frames))
        fields = {"a": with_article(describe(start)), "dir": DIRECTION_PHRASES[direction]}
        return Video(capitalized(VIDEO_TEMPLATES.pick(rng, split).format(**fields)), frames, index, direction)

    return retry(attempt, "a video")
