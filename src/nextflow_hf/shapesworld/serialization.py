"""Scenes and drawing prompts as plain dicts and JSON strings, for storing them in datasets and files.

Round trips are exact: JSON writes floats with `repr`, so a scene read back equals the scene written.
"""

import json
from typing import Any

from .prompts import DrawingPrompt, ObjectRequirement, RelationRequirement
from .scene import Scene, ShapeObject

OBJECT_FIELDS = ("shape", "color", "size", "x", "y")


def scene_to_dict(scene: Scene) -> dict[str, Any]:
    """`{"aspect_ratio": float, "objects": [{"shape", "color", "size", "x", "y"}, ...]}`."""
    return {
        "aspect_ratio": scene.aspect_ratio,
        "objects": [{field: getattr(obj, field) for field in OBJECT_FIELDS} for obj in scene.objects],
    }


def scene_from_dict(data: dict[str, Any]) -> Scene:
    """The scene written by `scene_to_dict` (objects are validated by `ShapeObject`)."""
    objects = tuple(ShapeObject(**{field: obj[field] for field in OBJECT_FIELDS}) for obj in data["objects"])
    return Scene(objects, float(data["aspect_ratio"]))


def scene_to_json(scene: Scene) -> str:
    return json.dumps(scene_to_dict(scene))


def scene_from_json(text: str) -> Scene:
    return scene_from_dict(json.loads(text))


def prompt_to_dict(prompt: DrawingPrompt) -> dict[str, Any]:
    """The prompt's text, category, requirements, relation (or `None`) and `exact_count`."""
    relation = prompt.relation
    return {
        "text": prompt.text,
        "category": prompt.category,
        "requirements": [{"shape": req.shape, "count": req.count, "color": req.color} for req in prompt.requirements],
        "relation": None
        if relation is None
        else {"subject": relation.subject, "relation": relation.relation, "anchor": relation.anchor},
        "exact_count": prompt.exact_count,
    }


def prompt_from_dict(data: dict[str, Any]) -> DrawingPrompt:
    """The prompt written by `prompt_to_dict`."""
    relation = data["relation"]
    return DrawingPrompt(
        text=data["text"],
        category=data["category"],
        requirements=tuple(ObjectRequirement(**req) for req in data["requirements"]),
        relation=None if relation is None else RelationRequirement(**relation),
        exact_count=data["exact_count"],
    )


def prompt_to_json(prompt: DrawingPrompt) -> str:
    return json.dumps(prompt_to_dict(prompt))


def prompt_from_json(text: str) -> DrawingPrompt:
    return prompt_from_dict(json.loads(text))
