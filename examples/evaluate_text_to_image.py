"""GenEval over ShapesWorld: draw an image for every prompt, score it with the detector, write a report.

Prompts are seeded GenEval-style captions of the six categories (`shapesworld.sample_caption`, test split by default:
phrasings and colour-shape pairs held out of training). With `--pipeline` a saved NextFlow pipeline draws them; with
`--ground-truth` each caption's ground-truth scene is rendered instead, which checks the judge itself: it must score
1.0. Scores (per category, and overall as their mean) go to `--out` as JSON and a markdown table.

    python examples/evaluate_text_to_image.py --ground-truth --per-category 20
    python examples/evaluate_text_to_image.py --pipeline checkpoints/nextflow-shapesworld --per-category 20
    python examples/evaluate_text_to_image.py --pipeline checkpoints/nextflow-shapesworld --split train \
        --guidance-scale 4 --top-k 8    # tune sampling on training prompts, never on the held-out ones
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import PIL.Image
import torch

from nextflow_hf.cli import guidance_option, top_k_option
from nextflow_hf.evaluation import GenEvalMetric, write_report
from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.shapesworld import render, sample_captions


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pipeline", type=Path, metavar="FOLDER", help="a folder saved by NextFlowPipeline")
    source.add_argument("--ground-truth", action="store_true", help="score rendered ground-truth scenes (must be 1.0)")
    parser.add_argument("--per-category", type=int, default=20, help="prompts per GenEval category")
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--size", type=int, default=256, help="side of ground-truth renders in pixels")
    parser.add_argument("--level", type=int, default=None, help="image level of the pipeline (default: its own)")
    parser.add_argument("--batch-size", type=int, default=8, help="prompts per pipeline call")
    parser.add_argument(
        "--guidance-scale",
        type=guidance_option,
        default=None,
        help="CFG scale, one (ramped) or one per scale (default: the model's)",
    )
    parser.add_argument(
        "--top-k",
        type=top_k_option,
        default=None,
        help="top-k of code sampling, one or one per scale (default: the model's)",
    )
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/text_to_image"))
    args = parser.parse_args(argv)
    if args.per_category < 1:
        parser.error(f"--per-category must be at least 1; got {args.per_category}")
    return args


def draw(args: argparse.Namespace, texts: list[str]) -> list[PIL.Image.Image]:
    """The pipeline's image for each text; prompt `i` is drawn with seed `args.seed + i`, so runs are reproducible
    whatever the batch size."""
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    pipe = NextFlowPipeline.from_pretrained(args.pipeline).to(device)
    pipe.set_progress_bar_config(disable=True)
    images = []
    for start in range(0, len(texts), args.batch_size):
        batch = texts[start : start + args.batch_size]
        generators = [torch.Generator(device).manual_seed(args.seed + start + i) for i in range(len(batch))]
        images += pipe(
            batch, level=args.level, guidance_scale=args.guidance_scale, top_k=args.top_k, generator=generators
        ).images
    return images


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    samples = sample_captions(args.per_category, args.split, args.seed)
    if args.ground_truth:
        images = [render(sample.scene, args.size, args.size) for sample in samples]
    else:
        images = draw(args, [sample.prompt.text for sample in samples])
    scores = GenEvalMetric(keep_in_memory=True).compute(
        predictions=images, references=[sample.prompt for sample in samples]
    )
    settings = {
        "images": "ground-truth renders" if args.ground_truth else f"pipeline {args.pipeline}",
        "image size": f"{images[0].height}×{images[0].width}",
        "prompts": f"{args.per_category} per category, {args.split} split, seed {args.seed}",
    }
    if not args.ground_truth:
        given = {"guidance scale": args.guidance_scale, "top-k": args.top_k}
        settings["sampling"] = ", ".join(f"{name} {'default' if v is None else v}" for name, v in given.items())
    paths = write_report(args.out, "ShapesWorld GenEval", {"text to image": scores}, settings)
    print(f"overall {scores['overall']:.3f} over {scores['num_prompts']} prompts; wrote {paths[0]} and {paths[1]}")
    return scores


if __name__ == "__main__":
    main()
