"""Questions about a scene with their canonical answers, for image → answer training and scoring.

Canonical answers are lower-case words, one form per kind:
- colour: a palette colour name ("red"); shape: a shape name ("circle");
- count: a number word, "zero" to "four" (never a digit);
- existence: "yes" or "no";
- relation: one of `scene.RELATIONS` ("left of", "right of", "above", "below"), of the first object to the second.
`normalize_answer` maps a free-form reply ("3", "To the left of.", "The circle") onto these forms for comparison.
Questions only name objects that are unambiguous in the scene (see `words.reference`).
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from .sampling import check_aspect_ratio, retry, sample_scene
from .scene import PALETTE, SHAPES, Scene, relation
from .splits import HELD_OUT_PAIRS, Templates, check_split
from .words import NUMBER_WORDS, RELATION_PHRASES, plural, reference, with_article

QUESTION_KINDS = ("color", "count", "shape", "exists", "relation")
QUESTION_TEMPLATES: dict[str, Templates] = {
    "color": Templates(
        train=("what colour is the {ref}?", "what color is the {ref}?", "which colour does the {ref} have?"),
        test=("tell me the colour of the {ref}.",),
    ),
    "count": Templates(
        train=("how many {shapes} are there?", "how many {shapes} can you see?"),
        test=("count the {shapes} in the picture.",),
    ),
    "shape": Templates(
        train=("what shape is the {color} object?", "which shape is {color}?"),
        test=("name the shape of the {color} object.",),
    ),
    "exists": Templates(
        train=("is there {a}?", "does the picture contain {a}?"),
        test=("can you find {a} in the image?",),
    ),
    "relation": Templates(
        train=("where is the {a} relative to the {b}?", "where is the {a} compared with the {b}?"),
        test=("describe the position of the {a} relative to the {b}.",),
    ),
}
# Every caption phrasing of a relation ("to the left of", "beneath", …) read as the canonical relation.
RELATION_ALIASES = {phrase: rel for rel, phrases in RELATION_PHRASES.items() for phrase in phrases}


@dataclass(frozen=True)
class QuestionAnswer:
    """A question about `scene`, its kind and its canonical answer."""

    question: str
    answer: str
    kind: str
    scene: Scene


def check_kind(kind: str) -> None:
    """Raises a ValueError naming `kind` unless it is one of `QUESTION_KINDS`."""
    if kind not in QUESTION_KINDS:
        raise ValueError(f"Unknown question kind {kind!r}; ShapesWorld asks {QUESTION_KINDS}.")


def ask_color(rng: random.Random, scene: Scene, split: str) -> tuple[dict[str, str], str] | None:
    """The colour of an object whose shape is unique (so naming the shape does not give the colour away)."""
    unique = [obj for obj in scene.objects if sum(o.shape == obj.shape for o in scene.objects) == 1]
    if not unique:
        return None
    obj = rng.choice(unique)
    return {"ref": obj.shape}, obj.color


def ask_count(rng: random.Random, scene: Scene, split: str) -> tuple[dict[str, str], str] | None:
    """How many objects of a shape; three times in four a shape of the scene, else any shape (maybe "zero")."""
    shape = rng.choice(scene.objects).shape if rng.random() < 0.75 else rng.choice(SHAPES)
    return {"shapes": plural(shape)}, NUMBER_WORDS[sum(obj.shape == shape for obj in scene.objects)]


def ask_shape(rng: random.Random, scene: Scene, split: str) -> tuple[dict[str, str], str] | None:
    """The shape of an object whose colour is unique."""
    unique = [obj for obj in scene.objects if sum(o.color == obj.color for o in scene.objects) == 1]
    if not unique:
        return None
    obj = rng.choice(unique)
    return {"color": obj.color}, obj.shape


def ask_exists(rng: random.Random, scene: Scene, split: str) -> tuple[dict[str, str], str] | None:
    """Whether a (colour, shape) is present: half the time one of the scene's, else one it lacks ("no")."""
    present = {(obj.shape, obj.color) for obj in scene.objects}
    if rng.random() < 0.5:
        shape, color = rng.choice(sorted(present))
        return {"a": with_article(f"{color} {shape}")}, "yes"
    absent = [
        (shape, color)
        for shape in SHAPES
        for color in PALETTE
        if (shape, color) not in present and (split == "test" or (shape, color) not in HELD_OUT_PAIRS)
    ]
    shape, color = rng.choice(absent)
    return {"a": with_article(f"{color} {shape}")}, "no"


def ask_relation(rng: random.Random, scene: Scene, split: str) -> tuple[dict[str, str], str] | None:
    """The relation of one nameable object to another."""
    named = [i for i in range(len(scene.objects)) if reference(scene, i) is not None]
    if len(named) < 2:
        return None
    a, b = rng.sample(named, 2)
    answer = relation(scene.objects[a], scene.objects[b], scene.aspect_ratio)
    return {"a": reference(scene, a), "b": reference(scene, b)}, answer


ASKERS: dict[str, Callable[[random.Random, Scene, str], tuple[dict[str, str], str] | None]] = {
    "color": ask_color,
    "count": ask_count,
    "shape": ask_shape,
    "exists": ask_exists,
    "relation": ask_relation,
}


def sample_question(
    rng: random.Random, kind: str | None = None, split: str = "train", aspect_ratio: float = 1.0
) -> QuestionAnswer:
    """A random scene of `split` and a question of `kind` (random when `None`) about it, with its answer."""
    if kind is None:
        kind = rng.choice(QUESTION_KINDS)
    check_kind(kind)
    check_split(split)
    check_aspect_ratio(aspect_ratio)
    min_objects = 2 if kind == "relation" else 1

    def attempt() -> QuestionAnswer | None:
        scene = sample_scene(rng, aspect_ratio, split, min_objects=min_objects)
        asked = ASKERS[kind](rng, scene, split)
        if asked is None:
            return None
        fields, answer = asked
        return QuestionAnswer(QUESTION_TEMPLATES[kind].pick(rng, split).format(**fields), answer, kind, scene)

    return retry(attempt, f"a {kind} question")


def normalize_answer(reply: str) -> str:
    """`reply` in canonical form: lower case, no surrounding punctuation or leading article, digits as number words,
    relation phrasings as `scene.RELATIONS`; compare the result with a canonical answer."""
    text = re.sub(r"\s+", " ", reply.lower()).strip(" .!?,;:'\"")
    text = re.sub(r"^(the|a|an) ", "", text)
    if text.isdecimal() and int(text) < len(NUMBER_WORDS):
        return NUMBER_WORDS[int(text)]
    return RELATION_ALIASES.get(text, text)
