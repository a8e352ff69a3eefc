"""Packs a trained model into a shipped checkpoint: a pipeline folder (model, processor, `model_index.json` and the
pipeline's code) in fp16 or bf16 safetensors, with generation defaults and a model card that lists the training
command lines and the evaluation scores.

    python examples/training/export_checkpoint.py --model outputs/shapesworld-128/sft \
        --output checkpoints/nextflow-shapesworld \
        --recipe examples/training/configs/shapesworld-128/{tokenizer,recipe}.sh \
        --reports outputs/shapesworld-128/eval/*.json

`--model` may also be an exported checkpoint: re-exporting one (in place too) adds evaluation reports or changes the
generation defaults without the training outputs, e.g. after a GPU run that brought back only the checkpoint.
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import GenerationConfig

from nextflow_hf.cli import top_k_option
from nextflow_hf.modeling import NextFlowForConditionalGeneration, NextFlowProcessor
from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.training.checkpoints import model_and_processor_folders, save_with_card
from nextflow_hf.training.model_card import model_card

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}
SUMMARY = """A small NextFlow trained from scratch on ShapesWorld, nextflow-hf's synthetic world of coloured shapes:
one decoder that draws images scale by scale, edits them, answers questions about them and tells stories with them.
Load it with `NextFlowPipeline.from_pretrained(folder)` (or `DiffusionPipeline.from_pretrained(folder,
trust_remote_code=True)`), or the model alone with `AutoModelForCausalLM.from_pretrained(folder + "/model")`."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, required=True, help="a language-model stage's output folder, or an exported checkpoint"
    )
    parser.add_argument("--output", type=Path, required=True, help="the checkpoint folder to write (replaced)")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float16")
    parser.add_argument("--guidance-scale", type=float, default=3.0, help="default classifier-free guidance")
    parser.add_argument(
        "--top-k", type=top_k_option, default=0, help="default top-k of image sampling, one or one per scale (0: off)"
    )
    parser.add_argument(
        "--recipe", type=Path, nargs="+", required=True, help="the shell scripts of training command lines, in order"
    )
    parser.add_argument("--reports", type=Path, nargs="*", default=[], help="evaluation reports (.json) to list")
    parser.add_argument("--title", default="NextFlow ShapesWorld")
    parser.add_argument("--note", default="", help="a paragraph for the card: how and where it was trained, and why")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> Path:
    args = parse_args(argv)
    model_folder, processor_folder = model_and_processor_folders(args.model)
    model = NextFlowForConditionalGeneration.from_pretrained(model_folder, dtype=DTYPES[args.dtype]).eval()
    processor = NextFlowProcessor.from_pretrained(processor_folder)
    # The tokenizer runs in fp32 (`_keep_in_fp32_modules_strict`); it is stored in half precision too, and loading
    # upcasts it again, so the whole folder is half the size.
    model.model.vqmodel.to(DTYPES[args.dtype])
    # A config of its own, not one derived from the model config: those drop unknown fields such as image_top_k
    # when loaded.
    model.generation_config = GenerationConfig.from_dict(
        {
            **model.generation_config.to_dict(),
            "_from_model_config": False,
            "guidance_scale": args.guidance_scale,
            "image_top_k": args.top_k or None,
        }
    )
    image_processor = processor.image_processor
    resolution = (
        f"It draws {image_processor.level}×{image_processor.level} images by default (the {image_processor.level} "
        f"level, {image_processor.scale_levels[str(image_processor.level)]} scales)."
    )
    summary = "\n\n".join(part for part in (SUMMARY, resolution, args.note) if part)
    card = model_card(args.title, summary, [path.read_text() for path in args.recipe], args.reports)
    size = save_with_card(args.output, NextFlowPipeline(model=model, processor=processor), card)
    print(f"wrote {args.output} ({size / 2**20:.1f} MiB, {args.dtype})")
    return args.output


if __name__ == "__main__":
    main()
