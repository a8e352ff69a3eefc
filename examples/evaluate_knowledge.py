"""Reasoning before drawing over ShapesWorld: draw knowledge prompts directly and after thinking, compare accuracies.

Knowledge prompts name a colour through something of that colour ("a triangle coloured like a flamingo",
`shapesworld.sample_knowledge`, test split by default). With `--pipeline` a saved NextFlow model draws each prompt two
ways: *direct*, the prompt as a text-to-image caption (`NextFlowPipeline`); *reasoning*, the prompt as a chat turn,
to which the model writes its reasoning and the resolved caption ("a pink triangle"), then emits `<boi>` and draws
(`NextFlowInterleavedPipeline`, one image at most; no image counts as wrong). Both images are scored by the detector
against the resolved prompt; the gain is reasoning minus direct, and `resolved_text_accuracy` is how often the written
text contains the resolved caption. `--ground-truth` renders each prompt's ground-truth scene for both ways and writes
the training answer as the text, which checks the plumbing: every score must be 1.0. Scores go to `--out` as JSON and
markdown.

    python examples/evaluate_knowledge.py --ground-truth --num-prompts 50
    python examples/evaluate_knowledge.py --pipeline checkpoints/nextflow-shapesworld --num-prompts 50
"""

import argparse
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import PIL.Image
import torch

from nextflow_hf.evaluation import score_drawing, write_report
from nextflow_hf.pipelines import NextFlowInterleavedPipeline, NextFlowPipeline
from nextflow_hf.shapesworld import KnowledgeSample, render, sample_knowledge


@dataclass(frozen=True)
class Attempt:
    """What one way of drawing a prompt produced: the image (`None` when the model drew none) and the text the model
    wrote first (empty when drawing directly)."""

    image: PIL.Image.Image | None
    text: str = ""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pipeline", type=Path, metavar="FOLDER", help="a folder saved by a NextFlow pipeline")
    source.add_argument("--ground-truth", action="store_true", help="score rendered ground-truth scenes (must be 1.0)")
    parser.add_argument("--num-prompts", type=int, default=50, help="knowledge prompts to draw")
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--size", type=int, default=256, help="side of ground-truth renders in pixels")
    parser.add_argument("--level", type=int, default=None, help="image level of the pipeline (default: its own)")
    parser.add_argument("--max-new-tokens", type=int, default=48, help="length limit of the reasoning text")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/knowledge"))
    args = parser.parse_args(argv)
    if args.num_prompts < 1:
        parser.error(f"--num-prompts must be at least 1; got {args.num_prompts}")
    return args


def ground_truth_attempts(args: argparse.Namespace, samples: list[KnowledgeSample]) -> dict[str, list[Attempt]]:
    """Both ways answered perfectly: the ground-truth render, and for reasoning the answer the model is trained on."""
    images = [render(sample.scene, args.size, args.size) for sample in samples]
    return {
        "direct": [Attempt(image) for image in images],
        "reasoning": [
            Attempt(image, f"{sample.reasoning} {sample.resolved.text}") for image, sample in zip(images, samples)
        ],
    }


def chat_prompt(pipe: NextFlowInterleavedPipeline, text: str) -> str:
    """`text` as a user turn followed by the assistant's opening, as the model is trained to reason before drawing."""
    messages = [{"role": "user", "content": [{"type": "text", "text": text}]}]
    return pipe.processor.apply_chat_template(messages, add_generation_prompt=True)


def pipeline_attempts(args: argparse.Namespace, samples: list[KnowledgeSample]) -> dict[str, list[Attempt]]:
    """Each prompt drawn directly and after reasoning; prompt `i` is drawn with seed `args.seed + i` both ways."""
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    thinker = NextFlowInterleavedPipeline.from_pretrained(args.pipeline).to(device)
    drawer = NextFlowPipeline(**thinker.components)
    for pipe in (thinker, drawer):
        pipe.set_progress_bar_config(disable=True)
    attempts: dict[str, list[Attempt]] = {"direct": [], "reasoning": []}
    for i, sample in enumerate(samples):
        image = drawer(sample.text, level=args.level, generator=torch.Generator(device).manual_seed(args.seed + i))
        attempts["direct"].append(Attempt(image.images[0]))
        output = thinker(
            chat_prompt(thinker, sample.text),
            max_new_tokens=args.max_new_tokens,
            max_images=1,
            level=args.level,
            generator=torch.Generator(device).manual_seed(args.seed + i),
        )
        attempts["reasoning"].append(Attempt(output.images[0] if output.images else None, output.text))
    return attempts


def words(text: str) -> str:
    """`text` as its lower-case words and punctuation marks separated by single spaces, so that texts compare
    whatever the tokenizer's spacing."""
    return " ".join(re.findall(r"\w+|[^\w\s]", text.lower()))


def contains_caption(text: str, caption: str) -> bool:
    """Whether `text` holds `caption` as a run of whole words."""
    return f" {words(caption)} " in f" {words(text)} "


def drawing_scores(attempts: list[Attempt], samples: list[KnowledgeSample]) -> dict[str, float]:
    """Accuracy of the images against the resolved prompts (a missing image is wrong), and the prompt count."""
    correct = [
        attempt.image is not None and score_drawing(sample.resolved, attempt.image)
        for attempt, sample in zip(attempts, samples)
    ]
    return {"accuracy": sum(correct) / len(correct), "num_prompts": len(correct)}


def reasoning_scores(attempts: list[Attempt], samples: list[KnowledgeSample]) -> dict[str, float]:
    """Drawing scores, plus how often the model drew at all and wrote the resolved caption."""
    count = len(attempts)
    return {
        **drawing_scores(attempts, samples),
        "image_rate": sum(attempt.image is not None for attempt in attempts) / count,
        "resolved_text_accuracy": sum(
            contains_caption(attempt.text, sample.resolved.text) for attempt, sample in zip(attempts, samples)
        )
        / count,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    samples = [sample_knowledge(rng, args.split) for _ in range(args.num_prompts)]
    attempts = ground_truth_attempts(args, samples) if args.ground_truth else pipeline_attempts(args, samples)
    results = {
        "direct": drawing_scores(attempts["direct"], samples),
        "reasoning": reasoning_scores(attempts["reasoning"], samples),
    }
    results["summary"] = {"gain": results["reasoning"]["accuracy"] - results["direct"]["accuracy"]}
    settings = {
        "images": "ground-truth renders" if args.ground_truth else f"pipeline {args.pipeline}",
        "image size": f"{args.size}×{args.size}" if args.ground_truth else f"level {args.level or 'of the pipeline'}",
        "prompts": f"{args.num_prompts} knowledge prompts, {args.split} split, seed {args.seed}",
    }
    paths = write_report(args.out, "ShapesWorld reasoning before drawing", results, settings)
    print(
        f"direct {results['direct']['accuracy']:.3f}, reasoning {results['reasoning']['accuracy']:.3f} "
        f"(gain {results['summary']['gain']:+.3f}, resolved text {results['reasoning']['resolved_text_accuracy']:.3f})"
        f" over {args.num_prompts} prompts; wrote {paths[0]} and {paths[1]}"
    )
    return results


if __name__ == "__main__":
    main()
