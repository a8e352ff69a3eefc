"""GenEval-style captions over ShapesWorld, each with a ground-truth scene that satisfies it.

A caption is a frame around a core phrase: "a photo of" + "a red circle and a blue star". Cores vary the wording within
each category and occur in both splits; frames are split (see `splits`), so test captions never occur in training.
Ground-truth scenes hold exactly the objects a caption asks for, in the order of its requirements:
- single object: one object of the shape; two objects: one of each of two different shapes;
- counting: exactly `count` (2 to 4) objects of the shape; colours: one object of the shape and colour;
- position: subject then anchor, of different shapes, whose centres stand in the relation;
- colour attribution: two objects of different shapes and different colours, each with its colour.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from .prompts import GENEVAL_CATEGORIES, DrawingPrompt, ObjectRequirement, RelationRequirement
from .sampling import ObjectSpec, check_aspect_ratio, place_objects, random_spec, retry
from .scene import RELATIONS, SHAPES, Scene, relation
from .splits import HELD_OUT_PAIRS, Templates, allowed_colors, check_split
from .words import RELATION_PHRASES, number_word, plural, with_article

CAPTION_FRAMES = Templates(
    train=("{core}", "a photo of {core}", "a picture of {core}"),
    test=("an image showing {core}", "a drawing that contains {core}"),
)
CAPTION_CORES: dict[str, tuple[str, ...]] = {
    "single_object": ("{a}", "one {shape}", "a single {shape}"),
    "two_objects": ("{a} and {b}", "{a} together with {b}"),
    "counting": ("{n} {shapes}", "exactly {n} {shapes}"),
    "colors": ("{a}", "a {shape} that is {color}", "a {shape} coloured {color}"),
    "position": ("{a} {rel} {b}",),
    "color_attr": ("{a} and {b}", "{a} together with {b}"),
}
# Counting prompts ask for two to four objects, as GenEval's do (a scene holds at most four).
COUNTS = (2, 3, 4)


@dataclass(frozen=True)
class CaptionSample:
    """A caption with what it requires, and a scene that satisfies it."""

    prompt: DrawingPrompt
    scene: Scene


@dataclass(frozen=True)
class Content:
    """What one caption asks for: fields of its text, its requirements and the objects of its scene, in order."""

    fields: dict[str, str]
    requirements: tuple[ObjectRequirement, ...]
    specs: tuple[ObjectSpec, ...]
    relation: RelationRequirement | None = None
    exact_count: bool = False


def check_category(category: str) -> None:
    """Raises a ValueError naming `category` unless it is one of GenEval's six."""
    if category not in GENEVAL_CATEGORIES:
        raise ValueError(f"Unknown category {category!r}; GenEval's are {GENEVAL_CATEGORIES}.")


def single_object(rng: random.Random, split: str) -> Content:
    spec = random_spec(rng, split)
    return Content({"a": with_article(spec.shape), "shape": spec.shape}, (ObjectRequirement(spec.shape),), (spec,))


def two_objects(rng: random.Random, split: str) -> Content:
    specs = tuple(random_spec(rng, split, shape=shape) for shape in rng.sample(SHAPES, 2))
    return Content(
        {"a": with_article(specs[0].shape), "b": with_article(specs[1].shape)},
        tuple(ObjectRequirement(spec.shape) for spec in specs),
        specs,
    )


def counting(rng: random.Random, split: str) -> Content:
    shape, count = rng.choice(SHAPES), rng.choice(COUNTS)
    return Content(
        {"n": number_word(count), "shapes": plural(shape)},
        (ObjectRequirement(shape, count),),
        tuple(random_spec(rng, split, shape=shape) for _ in range(count)),
        exact_count=True,
    )


def colored_pair(rng: random.Random, split: str) -> tuple[str, str]:
    """A (shape, colour) to name: any allowed in train, a held-out pair in test."""
    if split == "test":
        return rng.choice(HELD_OUT_PAIRS)
    spec = random_spec(rng, split)
    return spec.shape, spec.color


def colors(rng: random.Random, split: str) -> Content:
    shape, color = colored_pair(rng, split)
    return Content(
        {"a": with_article(f"{color} {shape}"), "shape": shape, "color": color},
        (ObjectRequirement(shape, 1, color),),
        (random_spec(rng, split, shape=shape, color=color),),
    )


def position(rng: random.Random, split: str) -> Content:
    specs = tuple(random_spec(rng, split, shape=shape) for shape in rng.sample(SHAPES, 2))
    rel = rng.choice(RELATIONS)
    return Content(
        {
            "a": with_article(specs[0].shape),
            "b": with_article(specs[1].shape),
            "rel": rng.choice(RELATION_PHRASES[rel]),
        },
        tuple(ObjectRequirement(spec.shape) for spec in specs),
        specs,
        relation=RelationRequirement(0, rel, 1),
    )


def color_attr(rng: random.Random, split: str) -> Content:
    shape, color = colored_pair(rng, split)
    other_shape = rng.choice([s for s in SHAPES if s != shape])
    other_colors = [c for c in allowed_colors(other_shape, split) if c != color]
    pairs = [(shape, color), (other_shape, rng.choice(other_colors))]
    rng.shuffle(pairs)
    specs = tuple(random_spec(rng, split, shape=s, color=c) for s, c in pairs)
    return Content(
        {
            "a": with_article(f"{specs[0].color} {specs[0].shape}"),
            "b": with_article(f"{specs[1].color} {specs[1].shape}"),
        },
        tuple(ObjectRequirement(spec.shape, 1, spec.color) for spec in specs),
        specs,
    )


CATEGORY_CONTENT: dict[str, Callable[[random.Random, str], Content]] = {
    "single_object": single_object,
    "two_objects": two_objects,
    "counting": counting,
    "colors": colors,
    "position": position,
    "color_attr": color_attr,
}


def ground_truth(rng: random.Random, content: Content, aspect_ratio: float) -> Scene | None:
    """A placement of `content.specs` that keeps the required relation, or `None` when this try failed."""
    scene = place_objects(rng, content.specs, aspect_ratio)
    if scene is None or content.relation is None:
        return scene
    subject, anchor = scene.objects[content.relation.subject], scene.objects[content.relation.anchor]
    return scene if relation(subject, anchor, aspect_ratio) == content.relation.relation else None


def sample_caption(rng: random.Random, category: str, split: str = "train", aspect_ratio: float = 1.0) -> CaptionSample:
    """A random caption of `category` in `split`, with its requirements and a ground-truth scene."""
    check_category(category)
    check_split(split)
    check_aspect_ratio(aspect_ratio)
    content = CATEGORY_CONTENT[category](rng, split)
    core = rng.choice(CAPTION_CORES[category]).format(**content.fields)
    text = CAPTION_FRAMES.pick(rng, split).format(core=core)
    prompt = DrawingPrompt(text, category, content.requirements, content.relation, content.exact_count)
    scene = retry(lambda: ground_truth(rng, content, aspect_ratio), f"a scene for {text!r}")
    return CaptionSample(prompt, scene)


def sample_captions(per_category: int, split: str = "test", seed: int = 0) -> list[CaptionSample]:
    """`per_category` captions of every GenEval category in turn, from one generator seeded with `seed`: the fixed
    prompt sets of the evaluations."""
    rng = random.Random(seed)
    return [sample_caption(rng, category, split) for category in GENEVAL_CATEGORIES for _ in range(per_category)]
