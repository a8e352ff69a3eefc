"""GenEval pass rates of a pipeline's drawings with its first k scales taken from the tokenizer's codes of the scene.

Draws `--per-category` captions of every GenEval category (their scenes are known), once for each k of `--forced`,
replacing the first k drawn scales by the tokenizer's encoding of the caption's scene, and scores every drawing with
the detector. k = 0 is plain generation, k = the number of scales is the tokenizer's round trip: the k at which the
pass rate jumps shows which scales the decoder has not learnt (the layout at coarse scales, the shapes at fine ones).
Results go to `--out` as JSON and a markdown table.

    python examples/training/forced_scales.py --pipeline outputs/shapesworld-128/pipeline --split train \
        --forced 0 4 6 7 8 --out outputs/shapesworld-128/eval/forced-scales
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

from nextflow_hf.cli import guidance_option, top_k_option
from nextflow_hf.evaluation import write_report
from nextflow_hf.evaluation.forced_scales import forced_scale_results
from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.shapesworld import sample_captions


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", type=Path, required=True, help="a folder saved by NextFlowPipeline")
    parser.add_argument("--forced", type=int, nargs="+", required=True, help="numbers of leading scales to force")
    parser.add_argument("--per-category", type=int, default=2, help="captions per GenEval category")
    parser.add_argument("--split", choices=("train", "test"), default="train")
    parser.add_argument("--level", type=int, default=None, help="image level (default: the pipeline's)")
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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/forced_scales"))
    args = parser.parse_args(argv)
    if args.per_category < 1:
        parser.error(f"--per-category must be at least 1; got {args.per_category}")
    return args


def main(argv: Sequence[str] | None = None) -> dict[int, float]:
    args = parse_args(argv)
    pipe = NextFlowPipeline.from_pretrained(args.pipeline)
    pipe.set_progress_bar_config(disable=True)
    samples = sample_captions(args.per_category, args.split, args.seed)
    results = forced_scale_results(
        pipe, samples, args.forced, args.level, args.seed, guidance_scale=args.guidance_scale, top_k=args.top_k
    )
    pass_rates = {forced: sum(correct) / len(correct) for forced, correct in results.items()}
    settings = {
        "pipeline": str(args.pipeline),
        "prompts": f"{args.per_category} per category, {args.split} split, seed {args.seed}",
    }
    given = {"guidance scale": args.guidance_scale, "top-k": args.top_k}
    settings["sampling"] = ", ".join(f"{name} {'default' if v is None else v}" for name, v in given.items())
    report = {"GenEval pass rate": {f"first {forced} scales forced": rate for forced, rate in pass_rates.items()}}
    json_path, _ = write_report(args.out, "Drawings with their first scales forced", report, settings)
    for forced, rate in pass_rates.items():
        print(f"first {forced:>2} scales forced: {rate:.3f} ({sum(results[forced])}/{len(samples)})")
    print(f"wrote {json_path}")
    return pass_rates


if __name__ == "__main__":
    main()
