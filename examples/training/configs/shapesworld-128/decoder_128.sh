#!/usr/bin/env bash
# The 128-level text-to-image decoder on CPU, continued past the vision-input comparison: its "residual" arm (the
# paper's input, 600 + 2000 steps, trained by vision_input.sh) trains 7000 more steps on 40,000 new captions with
# both cores, then is exported and scored: GenEval on held-out prompts with the exported defaults (CFG 3, no top-k),
# with top-k 10 and greedily (top-k 1), GenEval with its first 6 or 7 of 8 scales forced, and its per-scale
# cross-entropy.
# Run from the repository root after vision_input.sh: bash examples/training/configs/shapesworld-128/decoder_128.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-128
PYTHON=${PYTHON:-.venv/bin/python}
# bf16 autocast, as in recipe.sh: on a GPU run `CPU_FLAGS= bash decoder_128.sh`.
CPU_FLAGS=${CPU_FLAGS---use_cpu true}
RUN=outputs/shapesworld-128/decoder-long

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_captions_128_long.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/decoder_128_long.yaml $CPU_FLAGS
$PYTHON examples/training/export_checkpoint.py --model $RUN --output $RUN-pipeline \
    --recipe $CONFIGS/vision_input.sh $CONFIGS/decoder_128.sh --title "NextFlow ShapesWorld decoder, 128 level"
$PYTHON examples/evaluate_text_to_image.py --pipeline $RUN-pipeline --per-category 30 --out $RUN-geneval
for top_k in 10 1; do
    $PYTHON examples/evaluate_text_to_image.py --pipeline $RUN-pipeline --per-category 30 --top-k $top_k \
        --out $RUN-geneval-top$top_k
done
$PYTHON examples/training/forced_scales.py --pipeline $RUN-pipeline --forced 6 7 --per-category 20 --seed 100 \
    --out $RUN-forced
$PYTHON examples/training/forced_scales.py --pipeline $RUN-pipeline --forced 6 7 --per-category 20 --seed 100 \
    --top-k 1 --out $RUN-forced-top1
$PYTHON examples/training/scale_losses.py --model $RUN --codes_dir outputs/shapesworld-128/codes-captions-128 \
    --out $RUN-scales
