"""Knowledge prompts: captions that name a colour through something of that colour, for reasoning before drawing.

"a circle the colour of a banana" resolves to the plain colours prompt "a yellow circle"; the sample carries the
one-line reasoning between them ("a banana is yellow, so the circle is yellow.") and a scene that satisfies the
resolved prompt. Frames follow the captions' split (see `captions.CAPTION_FRAMES`), and test prompts name a
held-out (shape, colour) pair, as test colours prompts do.
"""

import random
from dataclasses import dataclass

from .captions import CAPTION_FRAMES, colored_pair
from .prompts import DrawingPrompt, ObjectRequirement
from .sampling import check_aspect_ratio, place_objects, random_spec, retry
from .scene import Scene
from .splits import check_split
from .words import with_article

# Things whose colour everyone knows, for every colour of the palette.
REFERENTS: dict[str, tuple[str, ...]] = {
    "red": ("a ripe tomato", "a strawberry"),
    "orange": ("an orange", "a pumpkin"),
    "yellow": ("a banana", "a lemon"),
    "green": ("grass", "a lime"),
    "blue": ("the sky", "the ocean"),
    "purple": ("a plum", "an eggplant"),
    "pink": ("a flamingo", "bubblegum"),
    "black": ("coal", "night"),
}
KNOWLEDGE_CORES = (
    "a {shape} the colour of {thing}",
    "a {shape} that has the colour of {thing}",
    "a {shape} coloured like {thing}",
)


@dataclass(frozen=True)
class KnowledgeSample:
    """A prompt naming a colour indirectly, the reasoning that resolves it, the plain prompt and a scene for it."""

    text: str
    referent: str
    reasoning: str
    resolved: DrawingPrompt
    scene: Scene


def resolve(shape: str, color: str) -> DrawingPrompt:
    """The plain colours prompt a knowledge prompt about a `color` `shape` stands for: "a yellow circle"."""
    return DrawingPrompt(with_article(f"{color} {shape}"), "colors", (ObjectRequirement(shape, 1, color),))


def sample_knowledge(rng: random.Random, split: str = "train", aspect_ratio: float = 1.0) -> KnowledgeSample:
    """A random knowledge prompt of `split` with its resolution and a ground-truth scene."""
    check_split(split)
    check_aspect_ratio(aspect_ratio)
    shape, color = colored_pair(rng, split)
    thing = rng.choice(REFERENTS[color])
    core = rng.choice(KNOWLEDGE_CORES).format(shape=shape, thing=thing)
    text = CAPTION_FRAMES.pick(rng, split).format(core=core)
    reasoning = f"{thing} is {color}, so the {shape} is {color}."
    spec = random_spec(rng, split, shape=shape, color=color)
    scene = retry(lambda: place_objects(rng, [spec], aspect_ratio), f"a scene for {text!r}")
    return KnowledgeSample(text, thing, reasoning, resolve(shape, color), scene)
