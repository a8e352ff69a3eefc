"""How ShapesWorld things are said in English: articles, plurals, number words, relations, directions, references."""

from collections.abc import Sequence

from .scene import MAX_OBJECTS, Scene, ShapeObject

# Counts are said (and answered) as words, "zero" to "four".
NUMBER_WORDS = ("zero", "one", "two", "three", "four")
# Ways to say each relation of `scene.RELATIONS` in a caption (the first is the canonical answer).
RELATION_PHRASES: dict[str, tuple[str, ...]] = {
    "left of": ("left of", "to the left of", "on the left of"),
    "right of": ("right of", "to the right of", "on the right of"),
    "above": ("above", "higher than"),
    "below": ("below", "beneath", "under"),
}
# Directions of moves (edits, stories, videos): the unit step in (x, y) canvas fractions (y grows downwards), and
# how the direction is said.
DIRECTIONS: dict[str, tuple[int, int]] = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
DIRECTION_PHRASES: dict[str, str] = {"left": "to the left", "right": "to the right", "up": "up", "down": "down"}


def with_article(phrase: str) -> str:
    """`phrase` after "a" or "an": "a circle", "an orange star"."""
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def plural(shape: str) -> str:
    """The plural of a shape name (all four are regular)."""
    return shape + "s"


def number_word(count: int) -> str:
    """`count` as a word, "zero" to "four"; a ValueError names any other count."""
    if not 0 <= count <= MAX_OBJECTS:
        raise ValueError(f"Unsupported count {count!r}; ShapesWorld counts from 0 to {MAX_OBJECTS}.")
    return NUMBER_WORDS[count]


def join_phrases(phrases: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def describe(obj: ShapeObject, size: bool = False) -> str:
    """ "red circle", or "small red circle" with `size`."""
    return f"{obj.size} {obj.color} {obj.shape}" if size else f"{obj.color} {obj.shape}"


def list_objects(objects: Sequence[ShapeObject]) -> str:
    """The objects by colour and shape, alike ones counted: "a red circle and two blue stars"."""
    looks = list(dict.fromkeys(describe(obj) for obj in objects))
    counts = {look: sum(describe(obj) == look for obj in objects) for look in looks}
    return join_phrases(
        [with_article(look) if counts[look] == 1 else f"{number_word(counts[look])} {look}s" for look in looks]
    )


def reference(scene: Scene, index: int) -> str | None:
    """The shortest unambiguous name of object `index` ("circle" or "red circle"), or `None` when it has none."""
    obj = scene.objects[index]
    if sum(other.shape == obj.shape for other in scene.objects) == 1:
        return obj.shape
    same_look = sum(other.shape == obj.shape and other.color == obj.color for other in scene.objects)
    return describe(obj) if same_look == 1 else None


def capitalized(sentence: str) -> str:
    """`sentence` with its first letter in upper case."""
    return sentence[0].upper() + sentence[1:]
