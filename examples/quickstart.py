"""Quickstart: the shipped checkpoint draws held-out ShapesWorld prompts on the CPU, and the detector judges them.

Loads `checkpoints/nextflow-shapesworld` (trained by this project's recipe, `examples/training/`), draws
`--per-category` prompts of each GenEval category from the test split (phrasings and colour-shape pairs never seen
in training), prints whether each drawing satisfies its prompt, and writes the drawings side by side to `--out`.

    python examples/quickstart.py --out outputs/quickstart.png
"""

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from diffusers.utils import make_image_grid

from nextflow_hf.cli import DEFAULT_MODEL
from nextflow_hf.evaluation import score_drawing
from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.shapesworld import GENEVAL_CATEGORIES, sample_captions


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="a saved pipeline (default: %(default)s)")
    parser.add_argument("--per-category", type=int, default=2, help="prompts per GenEval category")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/quickstart.png"))
    args = parser.parse_args(argv)
    if not (args.model / "model_index.json").is_file():
        parser.error(f"--model {args.model} is not a saved pipeline (no model_index.json there)")

    samples = sample_captions(args.per_category, "test", args.seed)
    pipe = NextFlowPipeline.from_pretrained(args.model)
    start = time.perf_counter()
    images = pipe(
        [sample.prompt.text for sample in samples],
        generator=[torch.Generator().manual_seed(args.seed + index) for index in range(len(samples))],
    ).images
    seconds = time.perf_counter() - start

    correct = 0
    for sample, image in zip(samples, images):
        ok = score_drawing(sample.prompt, image)
        correct += ok
        print(f"{'correct  ' if ok else 'incorrect'}  [{sample.prompt.category}] {sample.prompt.text}")
    print(f"{correct}/{len(samples)} drawings satisfy their prompt ({seconds / len(samples):.2f} s per image)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    make_image_grid(images, rows=len(GENEVAL_CATEGORIES), cols=args.per_category).save(args.out)
    print(f"wrote {args.out} (one row per category: {', '.join(GENEVAL_CATEGORIES)})")


if __name__ == "__main__":
    main()
