#!/usr/bin/env bash
# The 128-level text-to-image decoder on CPU in one run: a fresh decoder (the paper's residual vision input) trained
# 6000 steps on 40,000 captions with both cores (decoder_128_scratch.yaml), then exported and scored: GenEval on
# held-out prompts with the exported defaults (CFG 3, no top-k), GenEval with its first 6 or 7 of 8 scales forced
# to the scene's codes, and its per-scale cross-entropy on the last 64 extracted caption rows.
# Run from the repository root after tokenizer.sh (or with the shipped tokenizer):
#   bash examples/training/configs/shapesworld-128/decoder_128_scratch.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-128
PYTHON=${PYTHON:-.venv/bin/python}
# bf16 autocast, as in recipe.sh: on a GPU run `CPU_FLAGS= bash decoder_128_scratch.sh`.
CPU_FLAGS=${CPU_FLAGS---use_cpu true}
RUN=outputs/shapesworld-128/decoder-scratch

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_captions_128_long.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/decoder_128_scratch.yaml $CPU_FLAGS
$PYTHON examples/training/export_checkpoint.py --model $RUN --output $RUN-pipeline \
    --recipe $CONFIGS/decoder_128_scratch.sh --title "NextFlow ShapesWorld decoder, 128 level"
$PYTHON examples/evaluate_text_to_image.py --pipeline $RUN-pipeline --per-category 30 --out $RUN-geneval
$PYTHON examples/training/forced_scales.py --pipeline $RUN-pipeline --forced 6 7 --per-category 20 --seed 100 \
    --out $RUN-forced
$PYTHON examples/training/scale_losses.py --model $RUN --codes_dir outputs/shapesworld-128/codes-captions-128-long \
    --out $RUN-scales
