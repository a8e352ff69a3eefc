"""ShapesWorld: the synthetic world of coloured shapes on which NextFlow is trained and every capability is scored.

The `datasets` builders live in `nextflow_hf.shapesworld.data` (not imported here, so that importing the world stays
light); the seeded samplers and serialisation helpers below are pure Python.
"""

from .captions import CaptionSample, sample_caption, sample_captions
from .edits import EDIT_KINDS, EditTriple, sample_edit
from .knowledge import KnowledgeSample, sample_knowledge
from .prompts import GENEVAL_CATEGORIES, DrawingPrompt, ObjectRequirement, RelationRequirement
from .questions import QUESTION_KINDS, QuestionAnswer, normalize_answer, sample_question
from .render import render
from .sampling import sample_scene
from .scene import BACKGROUND, PALETTE, RELATIONS, SHAPES, SIZES, Scene, ShapeObject, place, relation
from .sequences import Story, Video, sample_story, sample_video
from .serialization import (
    prompt_from_dict,
    prompt_from_json,
    prompt_to_dict,
    prompt_to_json,
    scene_from_dict,
    scene_from_json,
    scene_to_dict,
    scene_to_json,
)
from .splits import HELD_OUT_PAIRS, SPLITS

__all__ = [
    "GENEVAL_CATEGORIES",
    "DrawingPrompt",
    "ObjectRequirement",
    "RelationRequirement",
    "BACKGROUND",
    "PALETTE",
    "RELATIONS",
    "SHAPES",
    "SIZES",
    "Scene",
    "ShapeObject",
    "place",
    "relation",
    "render",
    "EDIT_KINDS",
    "HELD_OUT_PAIRS",
    "QUESTION_KINDS",
    "SPLITS",
    "CaptionSample",
    "EditTriple",
    "KnowledgeSample",
    "QuestionAnswer",
    "Story",
    "Video",
    "normalize_answer",
    "prompt_from_dict",
    "prompt_from_json",
    "prompt_to_dict",
    "prompt_to_json",
    "sample_caption",
    "sample_captions",
    "sample_edit",
    "sample_knowledge",
    "sample_question",
    "sample_scene",
    "sample_story",
    "sample_video",
    "scene_from_dict",
    "scene_from_json",
    "scene_to_dict",
    "scene_to_json",
]
