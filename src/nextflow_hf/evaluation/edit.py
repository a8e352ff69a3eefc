"""Edit accuracy: given the source scene, the target scene (ground truth) and the edited image, did the requested
change happen, and did nothing else change?

The change is read off the two scenes: target objects with no identical source object are what the edit creates
(the recoloured, added, moved or resized object), source objects with no identical target object are what it
replaces or removes, and the rest must stay as they are. Objects are matched by shape, colour and size with centres
within a tolerance (`matching`). The change happened when every created object is in the image and no replaced
object is still there; the rest is unchanged when every kept object is in the image and nothing else is (no other
object, no unrecognised region). An edit is correct when both hold, that is, when the image shows the target exactly.
"""

from dataclasses import dataclass

from ..shapesworld import Scene
from .images import ImageLike
from .matching import POSITION_TOLERANCE, match_image, match_scenes

# Source and target come from the same generator, so unchanged objects are equal up to float noise at most.
SAME_OBJECT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class EditResult:
    """Whether the requested change happened and whether everything else stayed as it was."""

    change_applied: bool
    others_unchanged: bool

    @property
    def correct(self) -> bool:
        return self.change_applied and self.others_unchanged


def score_edit(source: Scene, target: Scene, image: ImageLike, tolerance: float = POSITION_TOLERANCE) -> EditResult:
    """Scores the edited `image` against `target`, the ground truth of an edit of `source`."""
    diff = match_scenes(target, source, SAME_OBJECT_TOLERANCE)
    created = set(diff.missing)
    shown = match_image(target, image, tolerance)
    found = {expected for expected, _ in shown.pairs}
    # Replaced or removed source objects that the image still shows, and whatever else it shows besides the target.
    stale = match_scenes(Scene(diff.extra, target.aspect_ratio), Scene(shown.extra, target.aspect_ratio), tolerance)
    return EditResult(
        change_applied=created <= found and not stale.pairs,
        others_unchanged=set(target.objects) - created <= found and not stale.extra and shown.unrecognised == 0,
    )
