"""Consistency of image sequences: interleaved stories and videos must show their ground-truth scenes in order.

Each image is matched against its scene (`matching`): it is right when it shows the scene exactly, so objects that
should persist from one image to the next must be there, unchanged, and nothing else. Videos must also move: every
object that moves in the ground truth (tracked frame to frame by shape, colour and size, nearest centre first) must,
as detected, advance along its ground-truth direction at each step where the ground truth advances — a check that
frame-by-frame matching cannot make when a step is shorter than the position tolerance.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..shapesworld import Scene, ShapeObject
from .images import ImageLike
from .matching import POSITION_TOLERANCE, SceneMatch, match_image, match_scenes


@dataclass(frozen=True)
class SequenceResult:
    """Per ground-truth scene, whether its image shows it exactly (`False` where the sequence has no image for it);
    how many images the sequence had; for a video, whether every moving object advanced (`None` for a story)."""

    scene_matches: tuple[bool, ...]
    num_images: int
    monotonic: bool | None = None

    @property
    def frame_accuracy(self) -> float:
        return sum(self.scene_matches) / len(self.scene_matches)

    @property
    def correct(self) -> bool:
        """Every image right, as many images as scenes, and (for a video) steady motion."""
        return all(self.scene_matches) and self.num_images == len(self.scene_matches) and self.monotonic is not False


def match_sequence(
    scenes: Sequence[Scene], images: Sequence[ImageLike], tolerance: float
) -> tuple[list[SceneMatch | None], int]:
    """Each scene matched against its image (`None` past the last image), and the number of images."""
    if not scenes:
        raise ValueError("A sequence needs at least one ground-truth scene.")
    matches = [match_image(scene, image, tolerance) for scene, image in zip(scenes, images)]
    return matches + [None] * (len(scenes) - len(matches)), len(images)


def score_story(
    scenes: Sequence[Scene], images: Sequence[ImageLike], tolerance: float = POSITION_TOLERANCE
) -> SequenceResult:
    """Scores the images of an interleaved story against its ground-truth scenes, in order."""
    matches, num_images = match_sequence(scenes, images, tolerance)
    return SequenceResult(tuple(match is not None and match.exact for match in matches), num_images)


def score_video(
    scenes: Sequence[Scene], frames: Sequence[ImageLike], tolerance: float = POSITION_TOLERANCE
) -> SequenceResult:
    """Scores video frames against their ground-truth scenes, in order, and checks that moving objects advance."""
    matches, num_images = match_sequence(scenes, frames, tolerance)
    monotonic = True
    for track in moving_tracks(scenes):
        detected = [detected_position(obj, match) for obj, match in zip(track, matches)]
        start, end = track[0], track[-1]
        direction = (end.x - start.x, end.y - start.y)
        for k in range(len(track) - 1):
            truth_step = project(track[k + 1], direction) - project(track[k], direction)
            if truth_step <= 0:
                continue
            if detected[k] is None or detected[k + 1] is None:
                monotonic = False
            elif project(detected[k + 1], direction) <= project(detected[k], direction):
                monotonic = False
    return SequenceResult(tuple(match is not None and match.exact for match in matches), num_images, monotonic)


def moving_tracks(scenes: Sequence[Scene]) -> list[list[ShapeObject]]:
    """The ground-truth objects that move: each as its list of per-frame states, from the first frame to the last
    (objects that change shape, colour or size, appear or vanish on the way are not tracked)."""
    tracks = [[obj] for obj in scenes[0].objects]
    for scene in scenes[1:]:
        heads = Scene(tuple(track[-1] for track in tracks), scene.aspect_ratio)
        step = match_scenes(heads, scene, tolerance=math.inf)
        following = dict(step.pairs)
        tracks = [track + [following[track[-1]]] for track in tracks if track[-1] in following]
    return [track for track in tracks if (track[0].x, track[0].y) != (track[-1].x, track[-1].y)]


def detected_position(obj: ShapeObject, match: SceneMatch | None) -> ShapeObject | None:
    """The detected object matched to the ground-truth `obj`, if any."""
    if match is None:
        return None
    return next((found for expected, found in match.pairs if expected == obj), None)


def project(obj: ShapeObject, direction: tuple[float, float]) -> float:
    """How far along `direction` (canvas fractions) the centre of `obj` lies."""
    return obj.x * direction[0] + obj.y * direction[1]
