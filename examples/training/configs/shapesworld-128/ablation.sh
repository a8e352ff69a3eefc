#!/usr/bin/env bash
# The paper's two training claims, checked in miniature at the 128 level: the scale-reweighted loss (alpha 0.9) vs
# plain cross-entropy, and self-correction on vs off. Each run fine-tunes text-to-image for the same steps from the
# same decayed 128-level model (run recipe.sh up to pretrain_128_decay.yaml first), is exported, and is scored by
# GenEval on held-out prompts, by GenEval with its first 6 or 7 scales forced to the scene's codes (train captions),
# and by its per-scale cross-entropy on extracted caption rows (self-corrected inputs for every arm).
# Run from the repository root: bash examples/training/configs/shapesworld-128/ablation.sh
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
    $PYTHON examples/training/forced_scales.py --pipeline $ABLATIONS/$name-pipeline --forced 6 7 --per-category 20 \
        --seed 100 --out $ABLATIONS/$name-forced
    $PYTHON examples/training/scale_losses.py --model $ABLATIONS/$name --codes_dir outputs/shapesworld-128/codes \
        --out $ABLATIONS/$name-scales
done
