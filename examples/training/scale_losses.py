"""Per-scale teacher-forced cross-entropy and top-1 accuracy of a decoder's image tokens on extracted rows.

Writes `--rows` rows of one task (default text-to-image, captions kept) from an extraction folder exactly as
`train_lm.py` does, with the inputs the extraction stored (self-correction included, as in training), packs them,
and reports per scale the cross-entropy in nats over the K codes (unweighted) and how often the top code is the
target. GenEval reads 0 for a decoder that draws blobs; these numbers still move, so stage and learning-rate
choices can be compared early. Rows are taken from the end of the extracted train split (`--first-row` moves them),
which a run of less than an epoch has mostly not seen. Results go to `--out` as JSON and a markdown table.

    python examples/training/scale_losses.py --model outputs/shapesworld-128/pretrain-128 \
        --codes_dir outputs/shapesworld-128/codes --out outputs/shapesworld-128/eval/scales-pretrain-128
"""

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

import torch
from datasets import load_from_disk

from nextflow_hf.evaluation import write_report
from nextflow_hf.modeling import NextFlowForConditionalGeneration
from nextflow_hf.shapesworld.vocabulary import shapesworld_tokenizer
from nextflow_hf.training.extraction import check_tokenizer, load_extraction_info
from nextflow_hf.training.language_model import mixture_folders
from nextflow_hf.training.packing import PackedCollator, pack_examples
from nextflow_hf.training.scale_losses import ScaleLosses, accumulate_scale_losses
from nextflow_hf.training.sequences import SequenceBuilder


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a decoder folder (a stage's output or checkpoint)")
    parser.add_argument("--codes_dir", type=Path, required=True, help="an output folder of extract_codes.py")
    parser.add_argument("--task", default="text_to_image", help="sequence task whose image tokens are scored")
    parser.add_argument("--rows", type=int, default=64, help="extracted rows to score")
    parser.add_argument("--first-row", type=int, default=None, help="first row (default: the last --rows rows)")
    parser.add_argument("--max-tokens-per-row", type=int, default=2048, help="packing budget of one row")
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/scale_losses"))
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error(f"--rows must be at least 1; got {args.rows}")
    return args


def packed_batches(args: argparse.Namespace, model: NextFlowForConditionalGeneration) -> list[dict]:
    """The chosen rows of `args.task`, written as training writes them (no caption dropout), packed, one batch
    of one packed row each."""
    info = load_extraction_info(args.codes_dir)
    check_tokenizer(info, model.model.vqmodel)
    extracted = load_from_disk(str(mixture_folders(args.codes_dir, "train", {args.task: 1.0})[args.task]))
    first = len(extracted) - args.rows if args.first_row is None else args.first_row
    if not 0 <= first <= len(extracted) - args.rows:
        raise ValueError(f"Rows {first}..{first + args.rows - 1} are not all among the {len(extracted)} extracted.")
    tokenizer = shapesworld_tokenizer()
    builder = SequenceBuilder(model.config, tokenizer, info["schedule"], caption_dropout=0.0)
    examples = [
        builder.build(args.task, row, random.Random(0)) for row in extracted.select(range(first, first + args.rows))
    ]
    packed = pack_examples(
        {key: [example[key] for example in examples] for key in examples[0]}, args.max_tokens_per_row
    )
    rows = [dict(zip(packed, values)) for values in zip(*packed.values())]
    collate = PackedCollator(pad_token_id=tokenizer.pad_token_id)
    return [collate([row]) for row in rows]


def main(argv: Sequence[str] | None = None) -> ScaleLosses:
    args = parse_args(argv)
    model = NextFlowForConditionalGeneration.from_pretrained(args.model, dtype=torch.float32).eval()
    losses = ScaleLosses()
    for batch in packed_batches(args, model):
        accumulate_scale_losses(model, batch, losses)
    results = {
        "cross-entropy (nats)": {f"scale {k + 1}": value for k, value in enumerate(losses.nll)}
        | {"all scales": losses.mean_nll},
        "top-1 accuracy": {f"scale {k + 1}": value for k, value in enumerate(losses.accuracy)},
    }
    settings = {"model": str(args.model), "codes": str(args.codes_dir), "task": args.task, "rows": args.rows}
    json_path, _ = write_report(args.out, "Per-scale image-token losses", results, settings)
    print("scale  " + "  ".join(f"{k + 1:>5}" for k in range(len(losses.nll))))
    print("nll    " + "  ".join(f"{value:5.2f}" for value in losses.nll) + f"   (all {losses.mean_nll:.3f})")
    print("top-1  " + "  ".join(f"{value:5.3f}" for value in losses.accuracy))
    print(f"wrote {json_path}")
    return losses


if __name__ == "__main__":
    main()
