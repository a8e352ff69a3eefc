"""Packs a trained VQ tokenizer into a shipped folder: fp16 (or bf16) safetensors, its code for `trust_remote_code`,
and a model card that lists the training command lines and the evaluation scores.

    python examples/training/export_tokenizer.py --tokenizer outputs/shapesworld-128/tokenizer \
        --output checkpoints/shapesworld-tokenizer --recipe examples/training/configs/shapesworld-128/tokenizer.sh \
        --reports outputs/shapesworld-128/eval/tokenizer.json

`--tokenizer` may be an exported folder, the output itself included: re-exporting adds evaluation reports. Loading
upcasts the weights to fp32, the precision the tokenizer runs in.
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from nextflow_hf.modeling import NextFlowVQModel
from nextflow_hf.training.checkpoints import save_with_card
from nextflow_hf.training.model_card import model_card

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}
SUMMARY = """The multi-scale dual-codebook VQ tokenizer of NextFlow, trained from scratch on ShapesWorld, nextflow-hf's
synthetic world of coloured shapes: it encodes an image into one index grid per scale (1×1 up to the image's 16×
downsampled grid) and decodes the grids back to pixels; the semantic codebook was distilled from a small SigLIP
trained on ShapesWorld captions. Load it with `NextFlowVQModel.from_pretrained(folder)` or
`AutoModel.from_pretrained(folder, trust_remote_code=True)`; `encode` gives the codes, `decode` the pixels."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", type=Path, required=True, help="a folder saved by NextFlowVQModel")
    parser.add_argument("--output", type=Path, required=True, help="the folder to write (replaced)")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float16")
    parser.add_argument("--recipe", type=Path, required=True, help="the shell script of training command lines")
    parser.add_argument("--reports", type=Path, nargs="*", default=[], help="evaluation reports (.json) to list")
    parser.add_argument("--title", default="NextFlow ShapesWorld tokenizer")
    parser.add_argument("--note", default="", help="a paragraph for the card: how and where it was trained")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> Path:
    args = parse_args(argv)
    if not (args.tokenizer / "config.json").is_file():
        raise FileNotFoundError(f"No saved tokenizer at {str(args.tokenizer)!r} (no config.json).")
    model = NextFlowVQModel.from_pretrained(args.tokenizer).to(DTYPES[args.dtype])
    summary = "\n\n".join(part for part in (SUMMARY, args.note) if part)
    recipes = [args.recipe.read_text()]
    card = model_card(args.title, summary, recipes, args.reports, pipeline_tag="image-feature-extraction")
    size = save_with_card(args.output, model, card)
    print(f"wrote {args.output} ({size / 2**20:.1f} MiB, {args.dtype})")
    return args.output


if __name__ == "__main__":
    main()
