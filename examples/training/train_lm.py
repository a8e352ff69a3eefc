"""Stage d: the language-model stages of NextFlow on `transformers.Trainer`, one config file per stage.

- `alignment`: a decoder meets the tokenizer; only the vision adapter, the scale embeddings and the vocabulary rows
  (input embeddings and the shared head) train.
- `pretraining`: everything but the tokenizer trains on a mixture of text-to-image (with caption dropout for CFG),
  captioning, question answering, editing, interleaved stories and videos, with the scale-reweighted vision loss
  (`scale_loss_alpha`, 0 for plain cross-entropy). The resolution curriculum is two pretraining configs: first on
  codes extracted at a lower level, then, starting from that checkpoint, at the target level.
- `sft`: chat-format data, with knowledge prompts answered by reasoning first and then drawing the resolved prompt.

Sequences are built from pre-extracted codes (`extract_codes.py`) and packed to `max_tokens_per_row`. The first
stage starts from a fresh decoder around the trained tokenizer (`model_preset`), or from a text model
(`text_model`, e.g. Qwen2.5-VL-7B, the paper's start); later stages start from the previous stage (`init_from`).
The output folder holds the model and its processor, loadable with `AutoModel` / `NextFlowProcessor`.

    python examples/training/train_lm.py examples/training/configs/shapesworld-128/pretrain_128.yaml
    accelerate launch --config_file examples/training/configs/accelerate/ddp.yaml \
        examples/training/train_lm.py examples/training/configs/shapesworld-128/pretrain_128.yaml
"""

import json
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from transformers import AutoTokenizer, Trainer, TrainingArguments, set_seed

from nextflow_hf.modeling import NextFlowForConditionalGeneration, NextFlowVQModel
from nextflow_hf.modeling.configuration_nextflow import VISION_INPUTS
from nextflow_hf.shapesworld.vocabulary import shapesworld_tokenizer
from nextflow_hf.training.arguments import parse_stage_arguments
from nextflow_hf.training.callbacks import SkipNonFiniteStepsCallback, StopAfterStepsCallback
from nextflow_hf.training.checkpoints import model_and_processor_folders, save_atomically
from nextflow_hf.training.extraction import check_tokenizer, load_extraction_info
from nextflow_hf.training.language_model import (
    build_processor,
    check_vocabulary,
    fresh_model,
    mixture_folders,
    packed_mixture,
    set_trainable,
)
from nextflow_hf.training.packing import PackedCollator
from nextflow_hf.training.sequences import SequenceBuilder

SDPA_BACKENDS = {
    "math": SDPBackend.MATH,
    "flash_attention": SDPBackend.FLASH_ATTENTION,
    "efficient_attention": SDPBackend.EFFICIENT_ATTENTION,
    "cudnn_attention": SDPBackend.CUDNN_ATTENTION,
}


@dataclass
class LanguageModelArguments:
    stage: str = field(default="pretraining", metadata={"help": "alignment, pretraining or sft"})
    codes_dir: str = field(default=None, metadata={"help": "output folder of extract_codes.py"})
    mixture: dict | str | None = field(
        default_factory=lambda: {"text_to_image": 1.0},
        metadata={"help": "sequence task → sampling weight (JSON on the command line: '{\"text_to_image\": 1}')"},
    )
    init_from: str | None = field(
        default=None,
        metadata={"help": "a NextFlow checkpoint: a previous stage's output, or an exported (shipped) pipeline folder"},
    )
    model_preset: str = field(
        default="shapesworld", metadata={"help": "shape of a fresh decoder: shapesworld, shapesworld-large, tiny"}
    )
    text_model: str | None = field(default=None, metadata={"help": "a Qwen2.5-VL / Qwen2 text model to start from"})
    tokenizer_path: str | None = field(default=None, metadata={"help": "text tokenizer; default ShapesWorld's"})
    caption_dropout: float = field(default=0.1, metadata={"help": "probability of an empty text-to-image caption"})
    scale_loss_alpha: float = field(default=0.9, metadata={"help": "α of the per-scale vision loss weight"})
    vision_input: str | None = field(
        default=None,
        metadata={
            "help": "what an image block reads: residual (the paper's) or accumulated (VAR's: the image drawn so "
            "far); default: init_from's, else residual"
        },
    )
    max_tokens_per_row: int = field(default=2048, metadata={"help": "packing budget of one row"})
    preprocessing_num_workers: int | None = field(
        default=None, metadata={"help": "processes that write the task sequences (default: this one)"}
    )
    attn_implementation: str | None = field(
        default=None, metadata={"help": "attention kernel of the decoder: sdpa (default) or eager"}
    )
    sdpa_backends: list[str] | None = field(
        default=None,
        metadata={
            "help": "restrict sdpa to these kernels (math, flash_attention, efficient_attention, cudnn_attention)"
        },
    )
    max_consecutive_nonfinite_steps: int = field(
        default=20, metadata={"help": "skipped optimizer steps in a row (non-finite gradients) before giving up"}
    )
    context_length: int | None = field(
        default=None,
        metadata={
            "help": "raise the decoder's context (text_config.max_position_embeddings) to this many positions: "
            "rotary positions need no new weights, so a model trained on shorter rows can take longer ones"
        },
    )
    stop_after_steps: int | None = field(
        default=None,
        metadata={"help": "end (and save) after this many steps; the learning-rate schedule still spans max_steps"},
    )

    def __post_init__(self) -> None:
        if isinstance(self.mixture, str):
            self.mixture = json.loads(self.mixture)
        if self.vision_input not in (None, *VISION_INPUTS):
            raise ValueError(f"vision_input must be one of {VISION_INPUTS}; got {self.vision_input!r}.")
        unknown = sorted(set(self.sdpa_backends or ()) - set(SDPA_BACKENDS))
        if unknown:
            raise ValueError(f"Unknown sdpa backend(s) {unknown}; choose among {sorted(SDPA_BACKENDS)}.")

    def attention_kernels(self) -> AbstractContextManager:
        """The sdpa kernels training may use: `sdpa_backends` if given, else all of them (torch chooses)."""
        if not self.sdpa_backends:
            return nullcontext()
        return sdpa_kernel([SDPA_BACKENDS[name] for name in self.sdpa_backends])


def load_model(args: LanguageModelArguments, vq_path: str, text_vocab_size: int) -> NextFlowForConditionalGeneration:
    """The previous stage's model, a text model with the tokenizer, or a fresh decoder with the tokenizer."""
    if args.init_from is not None:
        # fp32 master weights, also from a checkpoint shipped in half precision; bf16 is autocast's business.
        model_folder, _ = model_and_processor_folders(args.init_from)
        model = NextFlowForConditionalGeneration.from_pretrained(model_folder, dtype=torch.float32)
        model.config.scale_loss_alpha = args.scale_loss_alpha
        if args.vision_input is not None:
            model.config.vision_input = args.vision_input
        return model
    if vq_path is None:
        raise ValueError("The extraction names no trained tokenizer; a fresh decoder needs one (or pass init_from).")
    if args.text_model is not None:
        return NextFlowForConditionalGeneration.from_text_model(
            args.text_model, vq_model=vq_path, scale_loss_alpha=args.scale_loss_alpha
        )
    return fresh_model(
        args.model_preset,
        NextFlowVQModel.from_pretrained(vq_path),
        text_vocab_size,
        args.scale_loss_alpha,
        vision_input=args.vision_input or "residual",
    )


def main(args: list[str] | None = None) -> Trainer:
    lm_args, training_args = parse_stage_arguments([LanguageModelArguments, TrainingArguments], args)
    if not lm_args.codes_dir:
        raise ValueError("codes_dir is required: the output folder of extract_codes.py.")
    set_seed(training_args.seed)
    info = load_extraction_info(lm_args.codes_dir)
    folders = mixture_folders(lm_args.codes_dir, "train", lm_args.mixture)
    tokenizer = AutoTokenizer.from_pretrained(lm_args.tokenizer_path) if lm_args.tokenizer_path else None
    tokenizer = tokenizer or shapesworld_tokenizer()
    model = load_model(lm_args, info["tokenizer_path"], len(tokenizer) - 2)
    if lm_args.context_length is not None:
        model.config.text_config.max_position_embeddings = lm_args.context_length
    context = model.config.text_config.max_position_embeddings
    if lm_args.max_tokens_per_row > context:
        raise ValueError(
            f"max_tokens_per_row {lm_args.max_tokens_per_row} exceeds the decoder's context of {context} positions; "
            f"pack shorter rows or raise the context with context_length (at least {lm_args.max_tokens_per_row})."
        )
    if lm_args.attn_implementation is not None:
        model.set_attn_implementation(lm_args.attn_implementation)
    check_vocabulary(model, tokenizer)
    check_tokenizer(info, model.model.vqmodel)
    set_trainable(model, lm_args.stage)

    builder = SequenceBuilder(model.config, tokenizer, info["schedule"], caption_dropout=lm_args.caption_dropout)
    with training_args.main_process_first(desc="writing and packing sequences"):
        train_dataset = packed_mixture(
            builder,
            folders,
            lm_args.mixture,
            lm_args.max_tokens_per_row,
            training_args.seed,
            num_proc=lm_args.preprocessing_num_workers,
        )
    # The processor rides along as processing_class, so every Trainer checkpoint is a whole model folder that
    # export_checkpoint.py and the pipelines load, not only the final save.
    processor = build_processor(model, tokenizer, level=info["level"])
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        processing_class=processor,
        data_collator=PackedCollator(pad_token_id=tokenizer.pad_token_id),
        callbacks=[SkipNonFiniteStepsCallback(lm_args.max_consecutive_nonfinite_steps)],
    )
    if lm_args.stop_after_steps is not None:
        trainer.add_callback(StopAfterStepsCallback(lm_args.stop_after_steps))
    if trainer.is_world_process_zero():
        print(
            f"{lm_args.stage}: {len(train_dataset)} packed rows of at most {lm_args.max_tokens_per_row} tokens, "
            f"{training_args.world_size} process(es)"
        )
    with lm_args.attention_kernels():
        trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    if trainer.is_world_process_zero():
        save_atomically(training_args.output_dir, model, processor)
    # Every process waits for the save, then leaves the process group: a rank that exits while others still hold it
    # can abort at teardown ("terminate called without an active exception").
    trainer.accelerator.wait_for_everyone()
    trainer.accelerator.end_training()
    return trainer


if __name__ == "__main__":
    main()
