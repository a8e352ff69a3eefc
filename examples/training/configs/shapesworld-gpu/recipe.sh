#!/usr/bin/env bash
# The shipped checkpoint's decoder training on one GPU: the tokenizer is the shipped one
# (checkpoints/shapesworld-tokenizer, trained by shapesworld-128/tokenizer.sh on 2 CPU cores at 128×128), then every
# decoder stage runs here: extraction at 128 and 256, alignment, a 128 → 256 curriculum, SFT,
# export and the evaluations. Run from the repository root:
#   bash examples/training/configs/shapesworld-gpu/recipe.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-gpu
PYTHON=${PYTHON:-python}
OUTPUTS=outputs/shapesworld-gpu

$PYTHON examples/training/extract_codes.py $CONFIGS/extract_128.yaml
$PYTHON examples/training/extract_codes.py $CONFIGS/extract_256.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/align.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/pretrain_128.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/pretrain_256.yaml
$PYTHON examples/training/train_lm.py $CONFIGS/sft.yaml

CHECKPOINT=checkpoints/nextflow-shapesworld
NOTE="Decoder trained on one NVIDIA H100 with this recipe; the tokenizer on 2 CPU cores at 128×128 \
(examples/training/configs/shapesworld-128/tokenizer.sh)."
EVAL=$OUTPUTS/eval
export_checkpoint() {
    $PYTHON examples/training/export_checkpoint.py --model $OUTPUTS/sft --output $CHECKPOINT \
        --recipe examples/training/configs/shapesworld-128/tokenizer.sh $CONFIGS/recipe.sh --note "$NOTE" "$@"
}
export_checkpoint
$PYTHON examples/evaluate_tokenizer.py --tokenizer checkpoints/shapesworld-tokenizer --size 256 \
    --per-category 50 --out $EVAL/tokenizer
$PYTHON examples/evaluate_text_to_image.py --pipeline $CHECKPOINT --per-category 50 --out $EVAL/geneval
$PYTHON examples/evaluate_qa.py --pipeline $CHECKPOINT --per-kind 50 --out $EVAL/qa
$PYTHON examples/evaluate_edit.py --pipeline $CHECKPOINT --per-kind 40 --out $EVAL/edit
$PYTHON examples/evaluate_interleaved.py --pipeline $CHECKPOINT --per-task 50 --out $EVAL/interleaved
$PYTHON examples/evaluate_knowledge.py --pipeline $CHECKPOINT --num-prompts 100 --out $EVAL/knowledge
export_checkpoint --reports $EVAL/tokenizer.json $EVAL/geneval.json $EVAL/qa.json $EVAL/edit.json \
    $EVAL/interleaved.json $EVAL/knowledge.json
