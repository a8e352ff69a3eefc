"""The held-out rule: no test text occurs in training, and held-out (shape, colour) pairs stay out of training."""

import random

import pytest

from nextflow_hf.shapesworld import GENEVAL_CATEGORIES
from nextflow_hf.shapesworld.captions import sample_caption
from nextflow_hf.shapesworld.edits import sample_edit
from nextflow_hf.shapesworld.knowledge import sample_knowledge
from nextflow_hf.shapesworld.questions import sample_question
from nextflow_hf.shapesworld.sequences import sample_story, sample_video
from nextflow_hf.shapesworld.splits import HELD_OUT_PAIRS

from .checks import assert_valid_scene


def caption_texts(rng, split):
    samples = [sample_caption(rng, category, split) for category in GENEVAL_CATEGORIES for _ in range(100)]
    return [s.prompt.text for s in samples], [s.scene for s in samples]


def knowledge_texts(rng, split):
    samples = [sample_knowledge(rng, split) for _ in range(300)]
    return [s.text for s in samples], [s.scene for s in samples]


def question_texts(rng, split):
    samples = [sample_question(rng, split=split) for _ in range(500)]
    return [s.question for s in samples], [s.scene for s in samples]


def edit_texts(rng, split):
    samples = [sample_edit(rng, split=split) for _ in range(500)]
    return [s.instruction for s in samples], [scene for s in samples for scene in (s.source, s.target)]


def story_texts(rng, split):
    stories = [sample_story(rng, split=split) for _ in range(150)]
    return [text for s in stories for text in s.texts], [scene for s in stories for scene in s.scenes]


def video_texts(rng, split):
    videos = [sample_video(rng, split=split) for _ in range(200)]
    return [v.description for v in videos], [frame for v in videos for frame in v.frames]


TASKS = [caption_texts, knowledge_texts, question_texts, edit_texts, story_texts, video_texts]


@pytest.mark.parametrize("texts_of", TASKS)
def test_no_test_text_occurs_in_training(texts_of):
    train_texts, _ = texts_of(random.Random(0), "train")
    test_texts, _ = texts_of(random.Random(0), "test")
    assert not set(test_texts) & set(train_texts)
    assert len(set(test_texts)) > 20


@pytest.mark.parametrize("texts_of", TASKS)
def test_training_scenes_never_hold_a_held_out_pair(texts_of):
    texts, scenes = texts_of(random.Random(1), "train")
    for scene in scenes:
        assert_valid_scene(scene, "train")
    for text in texts:
        for shape, color in HELD_OUT_PAIRS:
            assert f"{color} {shape}" not in text.lower() and f"{shape} that is {color}" not in text.lower()


@pytest.mark.parametrize("category", ["colors", "color_attr"])
def test_test_colour_prompts_name_a_held_out_pair(category):
    rng = random.Random(2)
    for _ in range(50):
        requirements = sample_caption(rng, category, "test").prompt.requirements
        assert any((req.shape, req.color) in HELD_OUT_PAIRS for req in requirements)


def test_test_knowledge_prompts_resolve_to_a_held_out_pair():
    rng = random.Random(3)
    for _ in range(50):
        (req,) = sample_knowledge(rng, "test").resolved.requirements
        assert (req.shape, req.color) in HELD_OUT_PAIRS


def test_held_out_pairs_hold_each_colour_once_and_each_shape_twice():
    colors = [color for _, color in HELD_OUT_PAIRS]
    shapes = [shape for shape, _ in HELD_OUT_PAIRS]
    assert len(set(colors)) == 8 and all(shapes.count(shape) == 2 for shape in shapes)
