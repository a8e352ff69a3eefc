#!/usr/bin/env bash
# GPU job: every stage of the shapesworld-gpu recipe for a few steps on a few rows, timed, before the real run.
# Device call: carry [".whl"] (the tokenizer ships in checkpoints/); command: bash gpu_jobs/smoke_recipe.sh
set -euo pipefail
source gpu_jobs/setup.sh
C=examples/training/configs/shapesworld-gpu
S=/tmp/smoke
ROWS='{"captions": 1024, "knowledge": 64, "qa": 64, "edits": 64, "stories": 32, "videos": 32}'
mkdir -p $S $OUT
# Runs a stage, adding its log to $OUT/smoke.log and printing its last lines and its wall time; stops the job if it fails.
step() {
    local name=$1 t=$SECONDS status=0; shift
    "$@" > $S/$name.log 2>&1 || status=$?
    { echo "#### $name"; cat $S/$name.log; } >> $OUT/smoke.log
    grep -v -E "it/s\]|s/it\]|^\s*$" $S/$name.log | tail -5
    echo "## $name: $((SECONDS - t)) s (exit $status)"
    return $status
}
step extract_256 python3 examples/training/extract_codes.py $C/extract_256.yaml --output_dir $S/codes-256 --rows_per_task "$ROWS"
step extract_128 python3 examples/training/extract_codes.py $C/extract_128.yaml --output_dir $S/codes-128 --rows_per_task "$ROWS"
LM="python3 examples/training/train_lm.py"
step align $LM $C/align.yaml --codes_dir $S/codes-128 --output_dir $S/align --max_steps 20
step pretrain_128_b32 $LM $C/pretrain_128.yaml --init_from $S/align --codes_dir $S/codes-128 --output_dir $S/p128 --max_steps 40 --logging_steps 10
step pretrain_256_b12 $LM $C/pretrain_256.yaml --init_from $S/p128 --codes_dir $S/codes-256 --output_dir $S/p256 --max_steps 40 --logging_steps 10
step sft $LM $C/sft.yaml --init_from $S/p256 --codes_dir $S/codes-256 --output_dir $S/sft --max_steps 10
step export python3 examples/training/export_checkpoint.py --model $S/sft --output $S/ckpt --recipe $C/recipe.sh --note smoke
step geneval python3 examples/evaluate_text_to_image.py --pipeline $S/ckpt --per-category 4 --out $S/eval/geneval
step interleaved python3 examples/evaluate_interleaved.py --pipeline $S/ckpt --per-task 2 --level 256 --out $S/eval/interleaved
step edit python3 examples/evaluate_edit.py --pipeline $S/ckpt --per-kind 2 --out $S/eval/edit
