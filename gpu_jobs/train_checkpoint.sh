#!/usr/bin/env bash
# GPU job: the decoder stages of the shapesworld-gpu recipe and the export of the shipped checkpoint (the
# evaluations then run on CPU). Same stage files as recipe.sh; here the 256 extraction runs beside the 128 stages.
# The pipeline runs detached, so it outlives one 10-minute device call; calls back to back (the machine goes back
# 30 s after a call), each with carry [".whl"] (the tokenizer ships in checkpoints/):
#   bash gpu_jobs/train_checkpoint.sh start     (starts the pipeline, then reports like `wait`)
#   bash gpu_jobs/train_checkpoint.sh wait      (likewise waits, by default up to 540 s, or the seconds given
#                                                 second; brings back the checkpoint when the pipeline is done)
#   bash gpu_jobs/train_checkpoint.sh wait 400 salvage   (the last call a session can afford: if the pipeline is
#                                                 not done by then, exports the newest decoder it has saved)
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
    stage() {  # stage NAME COMMAND...: runs and times the command; returns its status
        local name=$1 t=$SECONDS
        shift
        "$@" || return
        echo "== $name done in $((SECONDS - t)) s (at $SECONDS s)"
    }
    stage extract_128 python3 examples/training/extract_codes.py $C/extract_128.yaml
    stage align python3 examples/training/train_lm.py $C/align.yaml
    # The ablation table (ablation.sh: three 400-step runs from this alignment) beside the main line: these
    # decoders keep the GPU a few percent busy, so one more process costs the main line little.
    PYTHON=python3 bash $C/ablation.sh > $W/logs/ablation.log 2>&1 &
    local ablation=$!
    stage pretrain_128 python3 examples/training/train_lm.py $C/pretrain_128.yaml
    # Does the 128-level model draw? 5 train prompts per GenEval category, beside the next stage.
    { python3 examples/training/export_checkpoint.py --model $W/pretrain-128 --output /tmp/pretrain-128-pipeline \
          --recipe $C/recipe.sh \
          && python3 examples/evaluate_text_to_image.py --pipeline /tmp/pretrain-128-pipeline --split train \
              --per-category 5 --out $W/eval/pretrain-128-geneval-train; } > $W/logs/geneval_128.log 2>&1 &
    wait $extract_256
    echo "== extract_256 done (at $SECONDS s)"
    # The 256 stage went NaN on the H100 once (README). It runs under diagnose_nan.py, which replays the first
    # non-finite batch under every attention kernel; if the run still fails (20 skipped steps in a row), it is run
    # again on the first kernel whose replay had finite gradients, and so is SFT.
    local flags=""
    export NAN_DUMP=/tmp/nan_dump
    if ! stage pretrain_256 python3 gpu_jobs/diagnose_nan.py $W/pretrain-128 $W/codes-256 \
            "$(sed -n 's/^max_steps: //p' $C/pretrain_256.yaml)" --output_dir $W/pretrain-256 --logging_steps 50 \
            --max_consecutive_nonfinite_steps 20 --save_strategy steps --save_steps 300; then
        local kernel
        kernel=$(grep -a -v "REPLAY sdpa:" $LOG | grep -a -oP "REPLAY \K[\w-]+(?=: loss [0-9.]+, 0 parameters)" | head -1 || true)
        local smaller="--per_device_train_batch_size 2 --gradient_accumulation_steps 6"  # for full score matrices
        case $kernel in
            efficient_attention | cudnn_attention) flags="--sdpa_backends $kernel" ;;
            math) flags="--sdpa_backends math $smaller" ;;
            eager) flags="--attn_implementation eager $smaller" ;;
            *) echo "no attention kernel gave finite gradients on the replayed batch"; false ;;
        esac
        echo "== retrying pretrain_256 with $flags"
        stage pretrain_256_retry python3 examples/training/train_lm.py $C/pretrain_256.yaml $flags
    fi
    stage sft python3 examples/training/train_lm.py $C/sft.yaml $flags
    python3 examples/training/export_checkpoint.py --model $W/sft --output $CHECKPOINT \
        --recipe examples/training/configs/shapesworld-128/tokenizer.sh $C/recipe.sh \
        --note "Decoder trained on one NVIDIA H100 (gpu_jobs/train_checkpoint.sh); tokenizer on 2 CPU cores at 128×128."
    tail -12 $W/logs/geneval_128.log
    wait $ablation || echo "ABLATION FAILED: see $W/logs/ablation.log"
    grep -a -h -E "^overall|Error" $W/logs/ablation.log || true
    cat $W/ablations/*-geneval.md 2>/dev/null || true
    touch /tmp/pipeline.done
}

case ${1:-} in
    pipeline) pipeline; exit ;;
    start) setsid nohup bash gpu_jobs/train_checkpoint.sh pipeline > $LOG 2>&1 < /dev/null & ;;
    wait) ;;
    *) echo "usage: $0 start|wait" >&2; exit 2 ;;
esac
newest_decoder() {  # the decoder of the latest stage that saved one: a finished stage, else its last checkpoint
    local stage
    for stage in sft pretrain-256 pretrain-128; do
        [[ -e $W/$stage/config.json ]] && { echo $W/$stage; return; }
        ls -d $W/$stage/checkpoint-* 2>/dev/null | sort -t- -k2 -n | tail -1 | grep . && return
    done
}

while [[ ! -e /tmp/pipeline.done && ! -e /tmp/pipeline.failed ]] && (( SECONDS < ${2:-540} )); do sleep 5; done
if [[ ${3:-} == salvage && ! -e /tmp/pipeline.done ]]; then
    salvaged=$(newest_decoder)
    echo "== salvage: the pipeline is not done; exporting $salvaged"
    pkill -f "train_checkpoint.sh pipeline|train_lm.py|diagnose_nan.py|evaluate_text_to_image.py" || true
    python3 examples/training/export_checkpoint.py --model $salvaged --output $CHECKPOINT \
        --recipe examples/training/configs/shapesworld-128/tokenizer.sh $C/recipe.sh \
        --note "Decoder saved at $salvaged by gpu_jobs/train_checkpoint.sh on one NVIDIA H100 (pipeline not finished)." \
        && touch /tmp/pipeline.done
fi
tr '\r' '\n' < $LOG | grep -a -E "^== |loss|packed rows|Wrote|wrote|FAILED|Error|error|skipped|overall|^\|" | grep -a -v "it/s\]" | tail -60
cp $LOG $OUT/pipeline.log
if [[ -e /tmp/pipeline.done ]]; then
    tar -cf - $CHECKPOINT | split -b 15M - $OUT/checkpoint.tar.part-
    echo "checkpoint brought back"
elif [[ -d /tmp/nan_dump ]]; then
    tar -cf - -C /tmp nan_dump | split -b 15M - $OUT/nan_dump.tar.part-
    echo "first non-finite batch brought back (gpu_jobs/replay_nan_batch.py)"
fi
