"""What a drawing prompt asks for, in a form a detector can check: GenEval's six categories over ShapesWorld.

A `DrawingPrompt` pairs the caption with its `requirements` (which objects, how many, which colours) and an optional
spatial `relation` between two required objects. A generated image satisfies the prompt when the detected objects
meet every requirement (GenEval counts an image correct only if all hold).
"""

from dataclasses import dataclass

GENEVAL_CATEGORIES = ("single_object", "two_objects", "counting", "colors", "position", "color_attr")


@dataclass(frozen=True)
class ObjectRequirement:
    """`count` objects of `shape` (and of `color`, when given) must be present; exactly `count` for counting
    prompts, at least `count` otherwise (GenEval's rule)."""

    shape: str
    count: int = 1
    color: str | None = None


@dataclass(frozen=True)
class RelationRequirement:
    """Requirement `subject` must stand in `relation` (left of / right of / above / below) to requirement `anchor`
    (indices into `DrawingPrompt.requirements`)."""

    subject: int
    relation: str
    anchor: int


@dataclass(frozen=True)
class DrawingPrompt:
    """A caption, its GenEval category and what it requires of an image."""

    text: str
    category: str
    requirements: tuple[ObjectRequirement, ...]
    relation: RelationRequirement | None = None
    exact_count: bool = False

    def __post_init__(self) -> None:
        if self.category not in GENEVAL_CATEGORIES:
            raise ValueError(f"Unknown category {self.category!r}; GenEval's are {GENEVAL_CATEGORIES}.")
