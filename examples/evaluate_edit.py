"""Edit accuracy over ShapesWorld: edit a source image by an instruction, score the result with the detector.

Edits are seeded (source scene, instruction, target scene) triples of every kind (`shapesworld.sample_edit`: recolour,
add, remove, move, resize). With `--pipeline` a saved NextFlow pipeline edits the rendered source; `--ground-truth`
renders the target instead (the judge must score 1.0), and `--copy-source` returns the source unchanged, a baseline
that keeps everything but changes nothing (change applied 0.0, others unchanged 1.0). Scores per kind and overall go
to `--out` as JSON and a markdown table.

    python examples/evaluate_edit.py --ground-truth --per-kind 20
    python examples/evaluate_edit.py --pipeline checkpoints/nextflow-shapesworld --per-kind 20
"""

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

import PIL.Image
import torch

from nextflow_hf.evaluation import EditMetric, write_report
from nextflow_hf.pipelines import NextFlowEditPipeline
from nextflow_hf.shapesworld import EDIT_KINDS, EditTriple, render, sample_edit


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pipeline", type=Path, metavar="FOLDER", help="a folder saved by a NextFlow pipeline")
    source.add_argument("--ground-truth", action="store_true", help="score rendered target scenes (must be 1.0)")
    source.add_argument("--copy-source", action="store_true", help="score the unedited sources (a baseline)")
    parser.add_argument("--per-kind", type=int, default=20, help="edits per kind")
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--size", type=int, default=256, help="side of rendered sources and targets in pixels")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/edit"))
    args = parser.parse_args(argv)
    if args.per_kind < 1:
        parser.error(f"--per-kind must be at least 1; got {args.per_kind}")
    return args


def edited_images(args: argparse.Namespace, triples: list[EditTriple]) -> list[PIL.Image.Image]:
    """The image each triple's edit produced, by the chosen `args` mode; edit `i` is drawn with seed `seed + i`."""
    if args.ground_truth:
        return [render(triple.target, args.size, args.size) for triple in triples]
    sources = [render(triple.source, args.size, args.size) for triple in triples]
    if args.copy_source:
        return sources
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    pipe = NextFlowEditPipeline.from_pretrained(args.pipeline).to(device)
    pipe.set_progress_bar_config(disable=True)
    return [
        pipe(source, triple.instruction, generator=torch.Generator(device).manual_seed(args.seed + i)).images[0]
        for i, (source, triple) in enumerate(zip(sources, triples))
    ]


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    triples = [sample_edit(rng, kind, args.split) for kind in EDIT_KINDS for _ in range(args.per_kind)]
    images = edited_images(args, triples)
    results = {}
    for kind in (*EDIT_KINDS, "all"):
        chosen = [i for i, triple in enumerate(triples) if kind in ("all", triple.kind)]
        results[kind] = EditMetric(keep_in_memory=True).compute(
            predictions=[images[i] for i in chosen],
            references=[triples[i].target for i in chosen],
            sources=[triples[i].source for i in chosen],
        )
    mode = "ground-truth targets" if args.ground_truth else "unedited sources" if args.copy_source else "pipeline"
    settings = {
        "images": mode if args.pipeline is None else f"pipeline {args.pipeline}",
        "edits": f"{args.per_kind} per kind, {args.split} split, seed {args.seed}",
        "source size": f"{args.size}×{args.size}",
    }
    paths = write_report(args.out, "ShapesWorld edits", results, settings)
    overall = results["all"]
    print(
        f"accuracy {overall['accuracy']:.3f} (change applied {overall['change_applied']:.3f}, others unchanged "
        f"{overall['others_unchanged']:.3f}) over {overall['num_edits']} edits; wrote {paths[0]} and {paths[1]}"
    )
    return results


if __name__ == "__main__":
    main()
