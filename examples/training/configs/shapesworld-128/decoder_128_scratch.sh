#!/usr/bin/env bash
# The 128-level text-to-image decoder on CPU from scratch: a fresh decoder (the paper's residual vision input) trained
# on 40,000 captions with both cores (decoder_128_scratch.yaml, its cosine shortened to end at step 3,400), then
# continued twice with a new warm-up (decoder_128_scratch_continued.yaml, 1,800 steps;
# decoder_128_scratch_continued_2.yaml, 3,000 steps). Each run is exported and scored: GenEval on held-out prompts
# with the exported defaults (CFG 3, no top-k), GenEval with its first 6 or 7 of 8 scales forced to the scene's codes
# (CFG 3 and greedy), and its per-scale cross-entropy on the last 64 extracted caption rows.
# Run from the repository root after tokenizer.sh (or with the shipped tokenizer):
#   bash examples/training/configs/shapesworld-128/decoder_128_scratch.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-128
PYTHON=${PYTHON:-.venv/bin/python}
# fp32 on these CPUs (bf16 is emulated without AVX-512); on a GPU run `CPU_FLAGS= bash decoder_128_scratch.sh`.
CPU_FLAGS=${CPU_FLAGS---use_cpu true --bf16 false}
RUNS=outputs/shapesworld-128
CODES=$RUNS/codes-captions-128-long

score() {  # score RUN: export the decoder saved in RUN, then score it
    local run=$1
    $PYTHON examples/training/export_checkpoint.py --model $run --output $run-pipeline \
        --recipe $CONFIGS/decoder_128_scratch.sh --title "NextFlow ShapesWorld decoder, 128 level"
    $PYTHON examples/evaluate_text_to_image.py --pipeline $run-pipeline --per-category 30 --out $run-geneval
    $PYTHON examples/training/forced_scales.py --pipeline $run-pipeline --forced 6 7 --per-category 20 --seed 100 \
        --out $run-forced
    $PYTHON examples/training/forced_scales.py --pipeline $run-pipeline --forced 6 7 --per-category 20 --seed 100 \
        --top-k 1 --out $run-forced-greedy
    $PYTHON examples/training/scale_losses.py --model $run --codes_dir $CODES --out $run-scales
}

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_captions_128_long.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/decoder_128_scratch.yaml $CPU_FLAGS --max_steps 3400
score $RUNS/decoder-scratch
$PYTHON examples/training/train_lm.py $CONFIGS/decoder_128_scratch_continued.yaml $CPU_FLAGS
score $RUNS/decoder-scratch-continued
$PYTHON examples/training/train_lm.py $CONFIGS/decoder_128_scratch_continued_2.yaml $CPU_FLAGS
score $RUNS/decoder-scratch-continued-2
