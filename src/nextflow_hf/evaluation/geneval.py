"""GenEval-style scoring of text-to-image outputs: does the image show what the `DrawingPrompt` asks for?

An image is correct only if every requirement holds (GenEval's rule): for each `ObjectRequirement`, at least `count`
objects of its shape (and colour, when given) — exactly `count` when the prompt has `exact_count` — with different
objects serving different requirements; and, for a `RelationRequirement`, every object serving the subject stands in
the relation (`shapesworld.relation`, by centres, the dominant axis in pixels) to every object serving the anchor.
Objects the prompt does not mention do not matter. Accuracy is reported per category, and overall as the mean of the
per-category accuracies (GenEval's overall score), so each category weighs the same whatever its number of prompts.
"""

from collections.abc import Iterator, Sequence
from itertools import combinations

from ..shapesworld import GENEVAL_CATEGORIES, DrawingPrompt, ObjectRequirement, Scene, ShapeObject, relation
from .detector import detect
from .images import ImageLike


def meets(requirement: ObjectRequirement, obj: ShapeObject) -> bool:
    """Whether `obj` is of the requirement's shape and, when it names one, colour."""
    return obj.shape == requirement.shape and (requirement.color is None or obj.color == requirement.color)


def assignments(
    requirements: Sequence[ObjectRequirement], objects: Sequence[ShapeObject], used: frozenset[int] = frozenset()
) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every way to give each requirement `count` distinct objects (indices into `objects`) not in `used`, no
    object serving two requirements."""
    if not requirements:
        yield ()
        return
    first, rest = requirements[0], requirements[1:]
    candidates = [i for i, obj in enumerate(objects) if i not in used and meets(first, obj)]
    for chosen in combinations(candidates, first.count):
        for tail in assignments(rest, objects, used | set(chosen)):
            yield (chosen, *tail)


def satisfies(prompt: DrawingPrompt, scene: Scene) -> bool:
    """Whether `scene` shows what `prompt` asks for (see the module docstring)."""
    objects = scene.objects
    if prompt.exact_count and any(
        sum(meets(requirement, obj) for obj in objects) != requirement.count for requirement in prompt.requirements
    ):
        return False
    wanted = prompt.relation
    for chosen in assignments(prompt.requirements, objects):
        if wanted is None or all(
            relation(objects[s], objects[a], scene.aspect_ratio) == wanted.relation
            for s in chosen[wanted.subject]
            for a in chosen[wanted.anchor]
        ):
            return True
    return False


def score_drawing(prompt: DrawingPrompt, image: ImageLike) -> bool:
    """Whether the objects detected in `image` satisfy `prompt`."""
    return satisfies(prompt, detect(image))


def geneval_scores(categories: Sequence[str], correct: Sequence[bool]) -> dict[str, float]:
    """Accuracy per GenEval category present (keyed by category, in `GENEVAL_CATEGORIES` order) and `"overall"`,
    the mean of those accuracies. `categories[i]` is the category of the prompt whose image was `correct[i]`."""
    if len(categories) != len(correct):
        raise ValueError(f"Got {len(categories)} categories for {len(correct)} results.")
    if not categories:
        raise ValueError("Cannot score an empty set of prompts.")
    unknown = sorted(set(categories) - set(GENEVAL_CATEGORIES))
    if unknown:
        raise ValueError(f"Unknown categories {unknown}; GenEval's are {GENEVAL_CATEGORIES}.")
    scores = {}
    for category in GENEVAL_CATEGORIES:
        results = [ok for name, ok in zip(categories, correct) if name == category]
        if results:
            scores[category] = sum(results) / len(results)
    scores["overall"] = sum(scores.values()) / len(scores)
    return scores
