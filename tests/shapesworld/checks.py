"""Checks of ShapesWorld samples against the world's rules, written apart from the code that makes the samples."""

from nextflow_hf.shapesworld import PALETTE, SIZES, DrawingPrompt, Scene, relation
from nextflow_hf.shapesworld.splits import HELD_OUT_PAIRS

# A nominal canvas width in pixels for geometric checks; the height follows from the aspect ratio.
CANVAS_WIDTH = 1000.0


def boxes(scene: Scene) -> list[tuple[float, float, float, float]]:
    """Each object's bounding box (left, top, right, bottom) in pixels of a canvas `CANVAS_WIDTH` wide."""
    width, height = CANVAS_WIDTH, CANVAS_WIDTH * scene.aspect_ratio
    result = []
    for obj in scene.objects:
        half = SIZES[obj.size] * min(width, height) / 2
        result.append((obj.x * width - half, obj.y * height - half, obj.x * width + half, obj.y * height + half))
    return result


def assert_valid_scene(scene: Scene, split: str = "test") -> None:
    """1 to 4 objects of the palette and sizes, inside the canvas, not overlapping; in train, no held-out pair."""
    assert 1 <= len(scene.objects) <= 4
    height = CANVAS_WIDTH * scene.aspect_ratio
    for obj, (left, top, right, bottom) in zip(scene.objects, boxes(scene)):
        assert obj.color in PALETTE and obj.size in SIZES
        assert 0 <= left and right <= CANVAS_WIDTH and 0 <= top and bottom <= height
        if split == "train":
            assert (obj.shape, obj.color) not in HELD_OUT_PAIRS
    for i, a in enumerate(boxes(scene)):
        for b in boxes(scene)[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], "objects overlap"


def satisfies(prompt: DrawingPrompt, scene: Scene) -> bool:
    """GenEval's rule on the scene's own objects: every requirement met (exactly for counting), and the relation."""
    matches = []
    for req in prompt.requirements:
        found = [i for i, o in enumerate(scene.objects) if o.shape == req.shape and req.color in (None, o.color)]
        if (len(found) != req.count) if prompt.exact_count else (len(found) < req.count):
            return False
        matches.append(found)
    rel = prompt.relation
    if rel is None:
        return True
    return any(
        relation(scene.objects[s], scene.objects[a], scene.aspect_ratio) == rel.relation
        for s in matches[rel.subject]
        for a in matches[rel.anchor]
        if s != a
    )


def single_change(before: Scene, after: Scene) -> tuple[str, int]:
    """The one edit that turns `before` into `after` and its object's index, or an AssertionError when there is
    none (two objects changed, or one changed in more than one way)."""
    old, new = before.objects, after.objects
    assert before.aspect_ratio == after.aspect_ratio
    if len(new) == len(old) + 1:
        assert new[:-1] == old, "an add must keep every other object"
        return "add", len(old)
    if len(new) == len(old) - 1:
        removed = [i for i in range(len(old)) if old[:i] + old[i + 1 :] == new]
        assert removed, "a remove must keep every other object"
        return "remove", removed[0]
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert len(changed) == 1, f"exactly one object must change, not {changed}"
    index = changed[0]
    fields = {f for f in ("shape", "color", "size", "x", "y") if getattr(old[index], f) != getattr(new[index], f)}
    kinds = {frozenset({"color"}): "recolour", frozenset({"size"}): "resize"}
    kinds |= {frozenset({"x"}): "move", frozenset({"y"}): "move"}
    assert frozenset(fields) in kinds, f"an edit changes one thing, not {fields}"
    return kinds[frozenset(fields)], index


def find(scene: Scene, name: str) -> int:
    """The index of the one object called `name` ("circle" or "red circle") in `scene`."""
    words = name.split()
    found = [
        i for i, o in enumerate(scene.objects) if o.shape == words[-1] and (len(words) == 1 or o.color == words[0])
    ]
    assert len(found) == 1, f"{name!r} must name exactly one object of {scene}"
    return found[0]
