#!/usr/bin/env bash
# GPU job: the 256 stage went NaN within 50 steps whenever it started from a model trained at 128 on the GPU
# (smoke_recipe.sh; train_checkpoint.sh), never on CPU (80 steps from the CPU-trained 128 model), and not in 2 × 80
# steps from a fresh model under autograd anomaly detection (this script's first version). This trains a small
# 128-level model, then the 256 stage from it with non-finite steps skipped and counted (diagnose_nan.py): the first
# bad batch is replayed under every attention kernel there, and comes back with its weights for
# replay_nan_batch.py on CPU.
# Device call: carry [".whl"] (the tokenizer ships in checkpoints/); command: bash gpu_jobs/diagnose_nan.sh
set -euo pipefail
source gpu_jobs/setup.sh
C=examples/training/configs/shapesworld-gpu
S=/tmp/diag
mkdir -p $S
ROWS='{"captions": 2048, "knowledge": 64, "qa": 256, "edits": 256, "stories": 64, "videos": 64}'
python3 examples/training/extract_codes.py $C/extract_256.yaml --output_dir $S/codes-256 --rows_per_task "$ROWS" \
    > $S/extract_256.log 2>&1 &
python3 examples/training/extract_codes.py $C/extract_128.yaml --output_dir $S/codes-128 --rows_per_task "$ROWS" \
    > $S/extract_128.log 2>&1
python3 examples/training/train_lm.py $C/align.yaml --codes_dir $S/codes-128 --output_dir $S/align --max_steps 40 \
    > $S/align.log 2>&1
python3 examples/training/train_lm.py $C/pretrain_128.yaml --init_from $S/align --codes_dir $S/codes-128 \
    --output_dir $S/p128 --max_steps 250 --warmup_steps 25 2>&1 | tr '\r' '\n' | grep -a "'loss'" | tail -2
wait
echo "128-level model ready at $SECONDS s"
python3 gpu_jobs/diagnose_nan.py $S/p128 $S/codes-256 150 2>&1 | tr '\r' '\n' \
    | grep -a -E "RESULT|REPLAY|FIRST|skipped|Error|'loss'" | tail -30
