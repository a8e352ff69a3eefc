"""Tokenizer round trip on held-out ShapesWorld: PSNR and codebook usage, and GenEval of reconstructed scenes.

Encodes and decodes `--images` test-split caption scenes for the PSNR (the same scenes `train_tokenizer.py` reports
on for the same `--seed`, its `scene_seed`), and the ground-truth scenes of `--per-category` test-split captions per
GenEval category, whose reconstructions the detector judges against their captions: the ceiling of a decoder that
draws with this tokenizer's codes. Results go to `--out` as JSON and a markdown table.

    python examples/evaluate_tokenizer.py --tokenizer checkpoints/shapesworld-tokenizer --size 256 --per-category 50
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from nextflow_hf.evaluation import write_report
from nextflow_hf.modeling import NextFlowVQModel
from nextflow_hf.training.tokenizer_training import round_trip_report


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", type=Path, required=True, help="a folder saved by NextFlowVQModel")
    parser.add_argument("--size", type=int, default=128, help="side of the square test scenes in pixels")
    parser.add_argument("--images", type=int, default=128, help="test scenes for the PSNR")
    parser.add_argument("--per-category", type=int, default=20, help="test captions per GenEval category")
    parser.add_argument("--seed", type=int, default=0, help="seed of the test scenes and captions")
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/tokenizer"))
    args = parser.parse_args(argv)
    if args.images < 1 or args.per_category < 1:
        parser.error(f"--images and --per-category must be at least 1; got {args.images} and {args.per_category}")
    return args


@torch.no_grad()
def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    args = parse_args(argv)
    model = NextFlowVQModel.from_pretrained(args.tokenizer)
    report = round_trip_report(model, args.size, args.images, args.per_category, args.seed)
    reconstruction, geneval = report["reconstruction"], report["geneval"]
    results = {"reconstruction": reconstruction, "GenEval of reconstructions": geneval}
    settings = {"tokenizer": str(args.tokenizer), "image size": f"{args.size}×{args.size}", "seed": args.seed}
    paths = write_report(args.out, "ShapesWorld tokenizer round trip", results, settings)
    print(
        f"PSNR {reconstruction['psnr']:.2f} dB, codebook usage {reconstruction['codebook_usage']:.2f}, "
        f"GenEval of reconstructions {geneval['overall']:.3f}; wrote {paths[0]} and {paths[1]}"
    )
    return results


if __name__ == "__main__":
    main()
