"""Seconds per image of `NextFlowPipeline` on this machine's CPU, at each level of a pipeline folder (or of the
untrained ShapesWorld preset: speed does not depend on the weights' values). Median of `--runs` after one warm-up.

    python benchmarks/cpu_generation.py                                      # ShapesWorld preset, random weights
    python benchmarks/cpu_generation.py --pipeline checkpoints/nextflow-shapesworld
"""

import argparse
import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from nextflow_hf.modeling import (
    NextFlowConfig,
    NextFlowForConditionalGeneration,
    NextFlowImageProcessor,
    NextFlowProcessor,
)
from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.shapesworld.vocabulary import shapesworld_tokenizer

PROMPT = "a red circle to the left of a blue square"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", type=Path, default=None, help="a saved pipeline folder (default: the preset)")
    parser.add_argument("--levels", type=int, nargs="*", default=None, help="levels to time (default: all)")
    parser.add_argument("--guidance-scale", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args(argv)


def preset_pipeline() -> NextFlowPipeline:
    torch.manual_seed(0)
    model = NextFlowForConditionalGeneration(NextFlowConfig.shapesworld()).eval()
    image_processor = NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=128)
    return NextFlowPipeline(model=model, processor=NextFlowProcessor(image_processor, shapesworld_tokenizer()))


def seconds_per_image(pipe: NextFlowPipeline, level: int, guidance_scale: float, runs: int) -> list[float]:
    times = []
    for run in range(runs + 1):
        start = time.perf_counter()
        pipe(PROMPT, level=level, guidance_scale=guidance_scale, generator=torch.Generator().manual_seed(run))
        times.append(time.perf_counter() - start)
    return times[1:]


def main(argv: Sequence[str] | None = None) -> dict[int, float]:
    args = parse_args(argv)
    pipe = NextFlowPipeline.from_pretrained(args.pipeline) if args.pipeline else preset_pipeline()
    pipe.set_progress_bar_config(disable=True)
    levels = args.levels or sorted(pipe.scale_table.levels)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads")
    medians = {}
    for level in levels:
        times = seconds_per_image(pipe, level, args.guidance_scale, args.runs)
        medians[level] = statistics.median(times)
        print(f"level {level}: {medians[level]:.2f} s per image (median of {args.runs}, CFG {args.guidance_scale})")
    return medians


if __name__ == "__main__":
    main()
