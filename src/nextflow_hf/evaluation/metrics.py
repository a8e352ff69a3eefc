"""The ShapesWorld scores as `evaluate` metrics, defined here rather than on the Hub: instantiate a class directly.

    >>> metric = GenEvalMetric()
    >>> metric.compute(predictions=images, references=prompts)  # prompts: DrawingPrompts (or their JSON)
    {'single_object': 1.0, ..., 'overall': 0.93, 'num_prompts': 120}

Each is an `evaluate.Metric` (so `add`, `add_batch`, `compute`, `keep_in_memory` and `cache_dir` work as for Hub
metrics). `evaluate` stores inputs in Arrow, so images travel as `datasets.Image` (PIL images or arrays, stored as
8-bit RGB PNG, losslessly) and scenes and prompts as JSON strings; `add`, `add_batch` and `compute` also accept
`Scene` and `DrawingPrompt` objects (and lists of scenes) and convert them.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import datasets
import evaluate
import PIL.Image

from ..shapesworld import (
    DrawingPrompt,
    Scene,
    prompt_from_json,
    prompt_to_json,
    scene_from_dict,
    scene_from_json,
    scene_to_dict,
    scene_to_json,
)
from .consistency import score_story, score_video
from .edit import score_edit
from .geneval import geneval_scores, score_drawing
from .images import ImageLike, to_pil
from .qa import answers_match
from .reconstruction import psnr, ssim

SEQUENCE_KINDS = ("story", "video")


def prompt_json(prompt: DrawingPrompt | str) -> str:
    """A prompt as JSON (a string is taken as JSON already)."""
    return prompt if isinstance(prompt, str) else prompt_to_json(prompt)


def scene_json(scene: Scene | str) -> str:
    """A scene as JSON (a string is taken as JSON already)."""
    return scene if isinstance(scene, str) else scene_to_json(scene)


def scenes_json(scenes: Sequence[Scene] | str) -> str:
    """Scenes as one JSON array (a string is taken as JSON already)."""
    return scenes if isinstance(scenes, str) else json.dumps([scene_to_dict(scene) for scene in scenes])


def scenes_from_json(text: str) -> list[Scene]:
    """The scenes written by `scenes_json`."""
    return [scene_from_dict(item) for item in json.loads(text)]


def images_pil(images: Sequence[ImageLike]) -> list[PIL.Image.Image]:
    return [to_pil(image) for image in images]


class ShapesWorldMetric(evaluate.Metric):
    """An `evaluate.Metric` whose inputs are converted to storable values on the way in: `converters` maps an input
    name to the function applied to each of its values."""

    converters: dict[str, Callable[[Any], Any]] = {}

    def convert(self, name: str, values: list | None) -> list | None:
        converter = self.converters.get(name)
        return values if values is None or converter is None else [converter(value) for value in values]

    def add_batch(self, *, predictions=None, references=None, **kwargs) -> None:
        """Adds a batch of predictions and references (and any other inputs), converted to storable values."""
        inputs = {"predictions": predictions, "references": references, **kwargs}
        super().add_batch(**{name: self.convert(name, values) for name, values in inputs.items()})

    def add(self, *, prediction=None, reference=None, **kwargs) -> None:
        """Adds one prediction and reference (and any other inputs), converted to storable values."""
        converted = {
            name: value if value is None else self.convert(name, [value])[0]
            for name, value in {"predictions": prediction, "references": reference, **kwargs}.items()
        }
        super().add(prediction=converted.pop("predictions"), reference=converted.pop("references"), **converted)


def metric_info(description: str, inputs_description: str, features: dict) -> evaluate.MetricInfo:
    return evaluate.MetricInfo(
        description=description,
        citation="",
        inputs_description=inputs_description,
        features=datasets.Features(features),
    )


class GenEvalMetric(ShapesWorldMetric):
    """GenEval over ShapesWorld (`geneval`): the accuracy of generated images per prompt category, and overall."""

    converters = {"predictions": to_pil, "references": prompt_json}

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            "GenEval-style text-to-image accuracy over ShapesWorld, scored by the programmatic detector.",
            """
    predictions: generated images (PIL images or (H, W, 3) arrays).
    references: the DrawingPrompt each image was generated from (or its JSON).
Returns: the accuracy of each GenEval category present, "overall" (their mean) and "num_prompts".""",
            {"predictions": datasets.Image(), "references": datasets.Value("string")},
        )

    def _compute(self, predictions: list, references: list[str]) -> dict[str, float]:
        prompts = [prompt_from_json(text) for text in references]
        correct = [score_drawing(prompt, image) for prompt, image in zip(prompts, predictions)]
        return {**geneval_scores([prompt.category for prompt in prompts], correct), "num_prompts": len(prompts)}


class ShapesQAMetric(ShapesWorldMetric):
    """Question-answering accuracy by normalised exact match (`qa`); with `categories` (e.g. question kinds) passed
    to `compute`, also the accuracy of each category."""

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            "Question-answering accuracy over ShapesWorld by normalised exact match.",
            """
    predictions: the answers given (strings).
    references: the correct answers (strings).
    categories (optional, to compute only): one label per question, e.g. its kind.
Returns: "accuracy", "num_questions" and, with categories, "accuracy_<category>" for each.""",
            {"predictions": datasets.Value("string"), "references": datasets.Value("string")},
        )

    def _compute(
        self, predictions: list[str], references: list[str], categories: Sequence[str] | None = None
    ) -> dict[str, float]:
        correct = [answers_match(prediction, reference) for prediction, reference in zip(predictions, references)]
        scores = {"accuracy": sum(correct) / len(correct), "num_questions": len(correct)}
        if categories is not None:
            if len(categories) != len(correct):
                raise ValueError(f"Got {len(categories)} categories for {len(correct)} answers.")
            for category in dict.fromkeys(categories):
                results = [ok for name, ok in zip(categories, correct) if name == category]
                scores[f"accuracy_{category}"] = sum(results) / len(results)
        return scores


class EditMetric(ShapesWorldMetric):
    """Edit accuracy (`edit`): the change happened and nothing else changed."""

    converters = {"predictions": to_pil, "references": scene_json, "sources": scene_json}

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            "Image-editing accuracy over ShapesWorld: the change happened and every other object is unchanged.",
            """
    predictions: edited images (PIL images or (H, W, 3) arrays).
    references: the target scene of each edit (Scene or its JSON).
    sources: the source scene of each edit (Scene or its JSON).
Returns: "accuracy" (both hold), "change_applied", "others_unchanged" (fractions of edits) and "num_edits".""",
            {
                "predictions": datasets.Image(),
                "references": datasets.Value("string"),
                "sources": datasets.Value("string"),
            },
        )

    def _compute(self, predictions: list, references: list[str], sources: list[str]) -> dict[str, float]:
        results = [
            score_edit(scene_from_json(source), scene_from_json(target), image)
            for image, target, source in zip(predictions, references, sources)
        ]
        count = len(results)
        return {
            "accuracy": sum(result.correct for result in results) / count,
            "change_applied": sum(result.change_applied for result in results) / count,
            "others_unchanged": sum(result.others_unchanged for result in results) / count,
            "num_edits": count,
        }


class SequenceConsistencyMetric(ShapesWorldMetric):
    """Consistency of interleaved stories (`config_name="story"`, the default) or videos (`config_name="video"`)
    with their ground-truth scenes (`consistency`)."""

    converters = {"predictions": images_pil, "references": scenes_json}

    def __init__(self, config_name: str = "story", **kwargs: Any):
        if config_name not in SEQUENCE_KINDS:
            raise ValueError(f"Unknown sequence kind {config_name!r}; choose from {SEQUENCE_KINDS}.")
        super().__init__(config_name=config_name, **kwargs)

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            "Consistency of ShapesWorld image sequences (stories or videos) with their ground-truth scenes.",
            """
    predictions: per sequence, its images in order (lists of PIL images or (H, W, 3) arrays).
    references: per sequence, its ground-truth scenes in order (lists of Scenes, or their JSON array).
Returns: "accuracy" (sequences entirely right), "frame_accuracy" (images right, over all ground-truth scenes),
"num_sequences", and for videos "monotonic" (sequences whose moving objects advanced).""",
            {"predictions": datasets.Sequence(datasets.Image()), "references": datasets.Value("string")},
        )

    def _compute(self, predictions: list, references: list[str]) -> dict[str, float]:
        score = score_video if self.config_name == "video" else score_story
        results = [score(scenes_from_json(scenes), images) for images, scenes in zip(predictions, references)]
        count = len(results)
        scores = {
            "accuracy": sum(result.correct for result in results) / count,
            "frame_accuracy": sum(sum(result.scene_matches) for result in results)
            / sum(len(result.scene_matches) for result in results),
            "num_sequences": count,
        }
        if self.config_name == "video":
            scores["monotonic"] = sum(bool(result.monotonic) for result in results) / count
        return scores


class ReconstructionMetric(ShapesWorldMetric):
    """Tokenizer reconstruction quality (`reconstruction`): mean PSNR and SSIM over image pairs."""

    converters = {"predictions": to_pil, "references": to_pil}

    def _info(self) -> evaluate.MetricInfo:
        return metric_info(
            "Reconstruction PSNR (dB) and SSIM on [0, 255] RGB between images and their tokenizer round trips.",
            """
    predictions: reconstructed images (PIL images or (H, W, 3) arrays).
    references: the original images, of the same sizes.
Returns: "psnr" (mean over pairs, in dB; inf if any pair is identical), "ssim" (mean over pairs) and "num_images".""",
            {"predictions": datasets.Image(), "references": datasets.Image()},
        )

    def _compute(self, predictions: list, references: list) -> dict[str, float]:
        pairs = list(zip(references, predictions))
        return {
            "psnr": sum(psnr(original, decoded) for original, decoded in pairs) / len(pairs),
            "ssim": sum(ssim(original, decoded) for original, decoded in pairs) / len(pairs),
            "num_images": len(pairs),
        }
