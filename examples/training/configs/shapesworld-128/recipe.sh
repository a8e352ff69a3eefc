#!/usr/bin/env bash
# The shipped checkpoint's training, stage by stage, on one machine (2 CPU cores here; one GPU runs the same files).
# It starts from the shipped tokenizer (checkpoints/shapesworld-tokenizer, trained by tokenizer.sh, whose command
# lines its card lists); each stage writes under outputs/shapesworld-128/ and the next reads it. Run from the
# repository root:
#   bash examples/training/configs/shapesworld-128/recipe.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-128
PYTHON=${PYTHON:-.venv/bin/python}
# The decoder stages train in bf16 autocast; transformers allows that without a GPU only with use_cpu, so on a GPU
# run `CPU_FLAGS= bash recipe.sh`.
CPU_FLAGS=${CPU_FLAGS---use_cpu true}

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_64.yaml
$PYTHON examples/training/extract_codes.py $CONFIGS/extract.yaml
$PYTHON examples/training/extract_codes.py $CONFIGS/extract_256.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/align.yaml $CPU_FLAGS
$PYTHON examples/training/train_lm.py $CONFIGS/pretrain_64.yaml $CPU_FLAGS
$PYTHON examples/training/train_lm.py $CONFIGS/pretrain_128.yaml $CPU_FLAGS
$PYTHON examples/training/train_lm.py $CONFIGS/pretrain_128_decay.yaml $CPU_FLAGS
$PYTHON examples/training/train_lm.py $CONFIGS/pretrain_256.yaml $CPU_FLAGS
$PYTHON examples/training/train_lm.py $CONFIGS/sft.yaml $CPU_FLAGS

CHECKPOINT=checkpoints/nextflow-shapesworld
NOTE="Trained on 2 CPU cores (no GPU was lent to this project's training): the tokenizer at 128×128 only, the \
decoder through a 64 → 128 → 256 resolution curriculum with few steps at the 256 level; a GPU run of this recipe \
can afford many more."
EVAL=outputs/shapesworld-128/eval
export_checkpoint() {
    $PYTHON examples/training/export_checkpoint.py --model outputs/shapesworld-128/sft --output $CHECKPOINT \
        --recipe $CONFIGS/tokenizer.sh $CONFIGS/recipe.sh --note "$NOTE" "$@"
}
export_checkpoint
$PYTHON examples/evaluate_tokenizer.py --tokenizer checkpoints/shapesworld-tokenizer --size 256 \
    --per-category 50 --out $EVAL/tokenizer
$PYTHON examples/evaluate_text_to_image.py --pipeline $CHECKPOINT --per-category 50 --out $EVAL/geneval
$PYTHON examples/evaluate_qa.py --pipeline $CHECKPOINT --per-kind 50 --out $EVAL/qa
$PYTHON examples/evaluate_edit.py --pipeline $CHECKPOINT --per-kind 40 --out $EVAL/edit
$PYTHON examples/evaluate_interleaved.py --pipeline $CHECKPOINT --per-task 50 --level 128 --out $EVAL/interleaved
$PYTHON examples/evaluate_knowledge.py --pipeline $CHECKPOINT --num-prompts 100 --out $EVAL/knowledge
export_checkpoint --reports $EVAL/tokenizer.json $EVAL/geneval.json $EVAL/qa.json $EVAL/edit.json \
    $EVAL/interleaved.json $EVAL/knowledge.json
