#!/usr/bin/env bash
# The paper's two training claims, checked in miniature at the 128 level: the scale-reweighted loss (alpha 0.9) vs
# plain cross-entropy, and self-correction on vs off. Each run trains text-to-image for the same steps from the same
# alignment checkpoint (run recipe.sh up to align.yaml first), is exported, and is scored by GenEval on held-out
# prompts. Run from the repository root: bash examples/training/configs/shapesworld-128/ablation.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-128
PYTHON=${PYTHON:-.venv/bin/python}
# bf16 autocast, as in recipe.sh: on a GPU run `CPU_FLAGS= bash ablation.sh`.
CPU_FLAGS=${CPU_FLAGS---use_cpu true}
ABLATIONS=outputs/shapesworld-128/ablations

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_plain.yaml
for run in baseline plain_ce no_self_correction; do
    name=${run//_/-}
    $PYTHON examples/training/train_lm.py $CONFIGS/ablation_$run.yaml $CPU_FLAGS
    $PYTHON examples/training/export_checkpoint.py --model $ABLATIONS/$name --output $ABLATIONS/$name-pipeline \
        --recipe $CONFIGS/ablation.sh --title "NextFlow ShapesWorld ablation: $name"
    $PYTHON examples/evaluate_text_to_image.py --pipeline $ABLATIONS/$name-pipeline --per-category 30 \
        --out $ABLATIONS/$name-geneval
done
