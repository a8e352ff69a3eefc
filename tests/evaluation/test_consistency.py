"""Stories and videos: each image must show its scene, and in videos moving objects must advance."""

import pytest

from nextflow_hf.evaluation import score_story, score_video
from nextflow_hf.shapesworld import ShapeObject

from .helpers import draw, scene_of

SQUARE = ShapeObject("square", "green", "medium", 0.75, 0.75)
STAR = ShapeObject("star", "purple", "small", 0.2, 0.2)
STORY = [scene_of(SQUARE), scene_of(SQUARE, STAR), scene_of(SQUARE.moved(0.75, 0.4), STAR)]


def video(step: float, frames: int = 4) -> list:
    """A circle moving right by `step` per frame past a still square."""
    circle = ShapeObject("circle", "orange", "small", 0.15, 0.3)
    return [scene_of(circle.moved(0.15 + k * step, 0.3), SQUARE) for k in range(frames)]


def test_a_story_drawn_as_told_is_consistent():
    result = score_story(STORY, [draw(scene) for scene in STORY])
    assert result.correct and result.frame_accuracy == 1.0 and result.monotonic is None


def test_an_object_that_does_not_persist_breaks_the_story():
    images = [draw(STORY[0]), draw(STORY[1]), draw(scene_of(SQUARE.moved(0.75, 0.4)))]  # the star vanished
    result = score_story(STORY, images)
    assert result.scene_matches == (True, True, False) and not result.correct


def test_missing_images_count_as_wrong():
    result = score_story(STORY, [draw(scene) for scene in STORY[:2]])
    assert result.scene_matches == (True, True, False) and result.num_images == 2 and not result.correct


def test_a_video_drawn_as_given_is_consistent_and_moves():
    scenes = video(step=0.2)
    result = score_video(scenes, [draw(scene) for scene in scenes])
    assert result.correct and result.monotonic


def test_frames_in_the_wrong_order_fail():
    scenes = video(step=0.2)
    frames = [draw(scene) for scene in scenes]
    frames[1], frames[2] = frames[2], frames[1]
    result = score_video(scenes, frames)
    assert result.scene_matches == (True, False, False, True) and not result.monotonic and not result.correct


def test_steps_shorter_than_the_tolerance_are_still_checked_for_order():
    scenes = video(step=0.03)  # each frame is within the position tolerance of its neighbours
    frames = [draw(scene) for scene in scenes]
    backwards = frames[::-1]
    backwards_result = score_video(scenes, backwards)
    assert backwards_result.frame_accuracy == 0.5 and not backwards_result.monotonic
    stuck = score_video(scenes, [frames[1], frames[1], frames[2], frames[2]])
    assert all(stuck.scene_matches) and not stuck.monotonic and not stuck.correct


def test_an_empty_sequence_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        score_story([], [])
