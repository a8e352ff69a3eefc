"""Stories change one object per step and say so; videos move one object evenly in a straight line."""

import random

import pytest

from nextflow_hf.shapesworld.sequences import MIN_TRAVEL, sample_story, sample_video
from nextflow_hf.shapesworld.words import DIRECTION_PHRASES, describe, reference

from .checks import assert_valid_scene, single_change

SPLITS = ("train", "test")


@pytest.mark.parametrize("split", SPLITS)
def test_story_steps_change_one_object_each_and_say_which(split):
    rng = random.Random(0)
    kinds, lengths = set(), set()
    for _ in range(40):
        story = sample_story(rng, split=split, aspect_ratio=rng.choice([0.5, 1.0, 2.0]))
        assert len(story.texts) == len(story.scenes) == len(story.kinds)
        assert story.kinds[0] == "start" and len(story.scenes[0].objects) <= 2
        for text in story.texts:
            assert text[0].isupper() and text.endswith(".")
        for before, after, text, kind in zip(story.scenes, story.scenes[1:], story.texts[1:], story.kinds[1:]):
            assert_valid_scene(after, split)
            changed, index = single_change(before, after)
            assert changed == kind
            if kind == "add":
                assert describe(after.objects[index], size=True) in text.lower()
            else:
                assert f"the {reference(before, index)}" in text.lower()
            kinds.add(kind)
        lengths.add(len(story.scenes))
    assert lengths == {3, 4, 5}
    assert kinds == {"recolour", "add", "remove", "move", "resize"}


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("aspect_ratio", [0.25, 1.0, 4.0])
def test_videos_move_one_object_evenly_in_a_straight_line(split, aspect_ratio):
    rng = random.Random(0)
    lengths = set()
    for _ in range(30):
        video = sample_video(rng, split=split, aspect_ratio=aspect_ratio)
        assert 3 <= len(video.frames) <= 5
        first = video.frames[0]
        movers = [frame.objects[video.index] for frame in video.frames]
        for frame in video.frames:
            assert_valid_scene(frame, split)
            others = [o for i, o in enumerate(frame.objects) if i != video.index]
            assert others == [o for i, o in enumerate(first.objects) if i != video.index]
        assert len({(obj.shape, obj.color, obj.size) for obj in movers}) == 1
        axis, still = ("x", "y") if video.direction in ("left", "right") else ("y", "x")
        sign = 1 if video.direction in ("right", "down") else -1
        values = [getattr(obj, axis) for obj in movers]
        steps = [(b - a) * sign for a, b in zip(values, values[1:])]
        assert all(step > 0 for step in steps) and steps == pytest.approx([steps[0]] * len(steps))
        assert sum(steps) >= MIN_TRAVEL - 1e-12
        assert len({getattr(obj, still) for obj in movers}) == 1
        assert describe(movers[0]) in video.description and DIRECTION_PHRASES[video.direction] in video.description
        lengths.add(len(video.frames))
    assert lengths == {3, 4, 5}


def test_fixed_lengths_and_their_limits():
    assert len(sample_story(random.Random(0), 4).scenes) == 4
    assert len(sample_video(random.Random(0), 3).frames) == 3
    with pytest.raises(ValueError, match="story scenes 6"):
        sample_story(random.Random(0), 6)
    with pytest.raises(ValueError, match="video frames 2"):
        sample_video(random.Random(0), 2)


def test_same_seed_same_sequences_and_different_seeds_differ():
    assert sample_story(random.Random(1)) == sample_story(random.Random(1))
    assert sample_story(random.Random(1)) != sample_story(random.Random(2))
    assert sample_video(random.Random(1)) == sample_video(random.Random(1))
    assert sample_video(random.Random(1)) != sample_video(random.Random(2))
