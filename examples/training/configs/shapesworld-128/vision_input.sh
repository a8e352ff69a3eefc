#!/usr/bin/env bash
# What an image block reads (`NextFlowConfig.vision_input`), checked on CPU: two fresh decoders trained on
# text-to-image alone at the 128 level for the same steps, one reading each scale's own residual codes (the
# paper's), one reading the image drawn so far (VAR's), for 600 steps, then 2000 more on new captions. Both arms
# train side by side, one core each; after each phase each arm is exported and scored by GenEval on held-out
# prompts, by GenEval with its first 6 or 7 of 8 scales forced to the scene's codes, and by its per-scale
# cross-entropy on extracted caption rows.
# Run from the repository root: bash examples/training/configs/shapesworld-128/vision_input.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-128
PYTHON=${PYTHON:-.venv/bin/python}
# bf16 autocast, as in recipe.sh: on a GPU run `CPU_FLAGS= bash vision_input.sh`.
CPU_FLAGS=${CPU_FLAGS---use_cpu true}
RUNS=outputs/shapesworld-128/vision-input
ARMS=(residual accumulated)

wait_for() {  # the background jobs $@, failing if one failed
    for pid in "$@"; do wait "$pid"; done
}

score() {  # $1: the run folder of an arm
    local run=$1
    $PYTHON examples/training/export_checkpoint.py --model $RUNS/$run --output $RUNS/$run-pipeline \
        --recipe $CONFIGS/vision_input.sh --title "NextFlow ShapesWorld vision input: $run"
    $PYTHON examples/evaluate_text_to_image.py --pipeline $RUNS/$run-pipeline --per-category 30 --out $RUNS/$run-geneval
    $PYTHON examples/training/forced_scales.py --pipeline $RUNS/$run-pipeline --forced 6 7 --per-category 20 \
        --seed 100 --out $RUNS/$run-forced
    $PYTHON examples/training/scale_losses.py --model $RUNS/$run --codes_dir outputs/shapesworld-128/codes-captions-128 \
        --out $RUNS/$run-scales
}

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_captions_128.yaml
$PYTHON examples/training/extract_codes.py $CONFIGS/extract_captions_128_more.yaml
mkdir -p $RUNS
OMP_NUM_THREADS=1 $PYTHON examples/training/train_lm.py $CONFIGS/vision_input_residual.yaml $CPU_FLAGS \
    > $RUNS/residual.log 2>&1 &
residual=$!
OMP_NUM_THREADS=1 $PYTHON examples/training/train_lm.py $CONFIGS/vision_input_accumulated.yaml $CPU_FLAGS \
    > $RUNS/accumulated.log 2>&1 &
wait_for $residual $!
OMP_NUM_THREADS=1 $PYTHON examples/training/train_lm.py $CONFIGS/vision_input_residual_continued.yaml $CPU_FLAGS \
    > $RUNS/residual-continued.log 2>&1 &
residual=$!
OMP_NUM_THREADS=1 $PYTHON examples/training/train_lm.py $CONFIGS/vision_input_accumulated_continued.yaml $CPU_FLAGS \
    > $RUNS/accumulated-continued.log 2>&1 &
wait_for $residual $!
for arm in "${ARMS[@]}"; do
    score $arm
    score $arm-continued
done
