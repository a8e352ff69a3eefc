#!/usr/bin/env bash
# GPU job: the decoder stages of the shapesworld-gpu recipe and the export of the shipped checkpoint (the
# evaluations then run on CPU). Same stage files as recipe.sh; here the 256 extraction runs beside the 128 stages.
# The pipeline runs detached, so it outlives one 10-minute device call; two calls back to back, both with
# carry [".whl", "outputs/shapesworld-128/tokenizer"]:
#   bash gpu_jobs/train_checkpoint.sh start     (starts the pipeline, then reports like `wait`)
#   bash gpu_jobs/train_checkpoint.sh wait      (likewise waits, by default up to 540 s, or the seconds given
#                                                 second; brings back the checkpoint when the pipeline is done)
set -uo pipefail
source gpu_jobs/setup.sh
C=examples/training/configs/shapesworld-gpu
W=outputs/shapesworld-gpu
CHECKPOINT=checkpoints/nextflow-shapesworld
LOG=/tmp/pipeline.log

pipeline() {
    set -e
    trap 'echo "PIPELINE FAILED at line $LINENO"; touch /tmp/pipeline.failed' ERR
    mkdir -p $W/logs
    python3 examples/training/extract_codes.py $C/extract_256.yaml > $W/logs/extract_256.log 2>&1 &
    local extract_256=$!
    stage() { local t=$SECONDS; "$@"; echo "== $(basename ${@: -1} .yaml) done in $((SECONDS - t)) s (at $SECONDS s)"; }
    stage python3 examples/training/extract_codes.py $C/extract_128.yaml
    stage python3 examples/training/train_lm.py $C/align.yaml
    stage python3 examples/training/train_lm.py $C/pretrain_128.yaml
    # Does the 128-level model draw? 5 train prompts per GenEval category, beside the next stage.
    { python3 examples/training/export_checkpoint.py --model $W/pretrain-128 --output /tmp/pretrain-128-pipeline \
          && python3 examples/evaluate_text_to_image.py --pipeline /tmp/pretrain-128-pipeline --split train \
              --per-category 5 --out $W/eval/pretrain-128-geneval-train; } > $W/logs/geneval_128.log 2>&1 &
    wait $extract_256
    echo "== extract_256 done (at $SECONDS s)"
    stage python3 examples/training/train_lm.py $C/pretrain_256.yaml
    stage python3 examples/training/train_lm.py $C/sft.yaml
    python3 examples/training/export_checkpoint.py --model $W/sft --output $CHECKPOINT --recipe $C/recipe.sh \
        --note "Decoder trained on one NVIDIA H100 (gpu_jobs/train_checkpoint.sh); tokenizer on 2 CPU cores at 128×128."
    tail -12 $W/logs/geneval_128.log
    touch /tmp/pipeline.done
}

case ${1:-} in
    pipeline) pipeline; exit ;;
    start) setsid nohup bash gpu_jobs/train_checkpoint.sh pipeline > $LOG 2>&1 < /dev/null & ;;
    wait) ;;
    *) echo "usage: $0 start|wait" >&2; exit 2 ;;
esac
while [[ ! -e /tmp/pipeline.done && ! -e /tmp/pipeline.failed ]] && (( SECONDS < ${2:-540} )); do sleep 5; done
tr '\r' '\n' < $LOG | grep -a -E "^== |loss|packed rows|Wrote|wrote|FAILED|Error|error|skipped|overall|^\|" | grep -a -v "it/s\]" | tail -60
cp $LOG $OUT/pipeline.log
if [[ -e /tmp/pipeline.done ]]; then
    tar -cf - $CHECKPOINT | split -b 15M - $OUT/checkpoint.tar.part-
    echo "checkpoint brought back"
fi
