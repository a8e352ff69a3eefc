"""Evaluation on ShapesWorld: a programmatic detector and the scores built on it, so every capability has an accuracy.

- `detect(image) -> Scene`: colour, shape, size class and centre of every object, robust to VQ blur and JPEG;
- `score_drawing` / `geneval_scores`: GenEval-style text-to-image accuracy per category and overall;
- `answers_match` / `qa_accuracy`: question answering by normalised exact match;
- `score_edit`: the requested change happened and nothing else changed;
- `score_story` / `score_video`: image sequences follow their ground-truth scenes (and videos move steadily);
- `psnr` / `ssim`: tokenizer reconstruction quality;
- `GenEvalMetric`, `ShapesQAMetric`, `EditMetric`, `SequenceConsistencyMetric`, `ReconstructionMetric`: the same as
  `evaluate` metrics; `write_report` writes scores as JSON and markdown.
"""

from .consistency import SequenceResult, score_story, score_video
from .detector import DetectedObject, detect, detect_objects
from .edit import EditResult, score_edit
from .geneval import geneval_scores, satisfies, score_drawing
from .matching import POSITION_TOLERANCE, SceneMatch, match_image, match_scenes
from .metrics import EditMetric, GenEvalMetric, ReconstructionMetric, SequenceConsistencyMetric, ShapesQAMetric
from .qa import answers_match, normalize_answer, qa_accuracy
from .reconstruction import psnr, ssim
from .report import write_report

__all__ = [
    "POSITION_TOLERANCE",
    "DetectedObject",
    "EditMetric",
    "EditResult",
    "GenEvalMetric",
    "ReconstructionMetric",
    "SceneMatch",
    "SequenceConsistencyMetric",
    "SequenceResult",
    "ShapesQAMetric",
    "answers_match",
    "detect",
    "detect_objects",
    "geneval_scores",
    "match_image",
    "match_scenes",
    "normalize_answer",
    "psnr",
    "qa_accuracy",
    "satisfies",
    "score_drawing",
    "score_edit",
    "score_story",
    "score_video",
    "ssim",
    "write_report",
]
