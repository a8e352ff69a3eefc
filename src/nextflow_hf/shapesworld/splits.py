"""The held-out rule of ShapesWorld data: what the "test" split holds back from "train".

Two things are held out, so that test prompts measure generalisation rather than recall:
- Phrasing: every family of texts (caption frames, questions, edit instructions, story and video sentences) has
  train phrasings and test phrasings with wording of their own; test texts use only test phrasings, so no test text
  can occur in training.
- Combinations: the (shape, colour) pairs of `HELD_OUT_PAIRS` never occur in a training scene or text. Every test
  prompt that names a colour of a shape (GenEval's colours and colour attribution, knowledge prompts) names at least
  one of them; other test scenes may hold any pair.
"""

import random
from dataclasses import dataclass

from .scene import PALETTE, SHAPES

SPLITS = ("train", "test")
# Each colour is held out with one shape and each shape with two colours, so training still shows every colour on
# three shapes and every shape in six colours.
HELD_OUT_PAIRS: tuple[tuple[str, str], ...] = (
    ("circle", "purple"),
    ("circle", "yellow"),
    ("square", "pink"),
    ("square", "green"),
    ("triangle", "orange"),
    ("triangle", "black"),
    ("star", "blue"),
    ("star", "red"),
)


def check_split(split: str) -> None:
    """Raises a ValueError naming `split` unless it is one of `SPLITS`."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; ShapesWorld has {SPLITS}.")


def allowed_colors(shape: str, split: str) -> tuple[str, ...]:
    """The colours an object of `shape` may have in `split`: all of them in test, none held out with it in train."""
    check_split(split)
    if shape not in SHAPES:
        raise ValueError(f"Unknown shape {shape!r}; ShapesWorld has {SHAPES}.")
    if split == "test":
        return tuple(PALETTE)
    return tuple(color for color in PALETTE if (shape, color) not in HELD_OUT_PAIRS)


@dataclass(frozen=True)
class Templates:
    """Phrasings of one family of texts (`str.format` templates), split so that test phrasings never occur in training.

    Test phrasings carry words that no train phrasing has, so their texts differ whatever the fields are.
    """

    train: tuple[str, ...]
    test: tuple[str, ...]

    def pick(self, rng: random.Random, split: str) -> str:
        """A random phrasing of `split`."""
        check_split(split)
        return rng.choice(self.train if split == "train" else self.test)
