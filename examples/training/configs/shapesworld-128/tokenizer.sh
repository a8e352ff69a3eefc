#!/usr/bin/env bash
# The shipped tokenizer (checkpoints/shapesworld-tokenizer), on 2 CPU cores at 128×128: the SigLIP teacher, then the
# VQ tokenizer's pixel, joint and refine stages (about 1 h 45 min in all), exported in fp16 and scored at 256×256.
# recipe.sh starts from the shipped folder; run this first to train the tokenizer again. From the repository root:
#   bash examples/training/configs/shapesworld-128/tokenizer.sh
set -euo pipefail
CONFIGS=examples/training/configs/shapesworld-128
PYTHON=${PYTHON:-.venv/bin/python}
# The refine stage trains in bf16 autocast; transformers allows that without a GPU only with use_cpu, so on a GPU
# run `CPU_FLAGS= bash tokenizer.sh`.
CPU_FLAGS=${CPU_FLAGS---use_cpu true}

$PYTHON examples/training/train_teacher.py $CONFIGS/teacher.yaml
$PYTHON examples/training/train_tokenizer.py $CONFIGS/tokenizer_pixel.yaml
$PYTHON examples/training/train_tokenizer.py $CONFIGS/tokenizer_joint.yaml
$PYTHON examples/training/train_tokenizer.py $CONFIGS/tokenizer_refine.yaml $CPU_FLAGS

TOKENIZER=checkpoints/shapesworld-tokenizer
EVAL=outputs/shapesworld-128/eval
NOTE="Trained on 2 CPU cores at 128×128 only (the image size of its training scenes); it encodes any multiple of \
16 pixels, and its round trip is better at 256×256, where a small shape spans more than one token."
export_tokenizer() {
    $PYTHON examples/training/export_tokenizer.py --tokenizer outputs/shapesworld-128/tokenizer --output $TOKENIZER \
        --recipe $CONFIGS/tokenizer.sh --note "$NOTE" "$@"
}
export_tokenizer
$PYTHON examples/evaluate_tokenizer.py --tokenizer $TOKENIZER --size 256 --per-category 50 --out $EVAL/tokenizer
$PYTHON examples/evaluate_tokenizer.py --tokenizer $TOKENIZER --size 128 --per-category 50 --out $EVAL/tokenizer-128
export_tokenizer --reports $EVAL/tokenizer.json $EVAL/tokenizer-128.json
