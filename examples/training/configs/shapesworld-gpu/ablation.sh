#!/usr/bin/env bash
# The paper's two training claims, checked in miniature at the 128 level on one GPU: the scale-reweighted loss
# (alpha 0.9) vs plain cross-entropy, and self-correction on vs off. Each run trains text-to-image for the same 400
# steps from the same alignment checkpoint (run recipe.sh up to align.yaml first), is exported, and is scored by
# GenEval on held-out prompts. Run from the repository root: bash examples/training/configs/shapesworld-gpu/ablation.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-gpu
PYTHON=${PYTHON:-python}
ABLATIONS=outputs/shapesworld-gpu/ablations

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_plain_128.yaml
for run in baseline plain_ce no_self_correction; do
    name=${run//_/-}
    $PYTHON examples/training/train_lm.py $CONFIGS/ablation_$run.yaml
    $PYTHON examples/training/export_checkpoint.py --model $ABLATIONS/$name --output $ABLATIONS/$name-pipeline \
        --recipe $CONFIGS/ablation.sh --title "NextFlow ShapesWorld ablation: $name"
    $PYTHON examples/evaluate_text_to_image.py --pipeline $ABLATIONS/$name-pipeline --per-category 30 \
        --out $ABLATIONS/$name-geneval
done
