"""The language-model stages end to end on tiny configs: alignment → pretraining → SFT, each from the last."""

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nextflow_hf.modeling import (
    NextFlowConfig,
    NextFlowForConditionalGeneration,
    NextFlowProcessor,
    NextFlowVQModel,
    tiny_vq_config,
)
from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.training.extraction import tokenizer_fingerprint, write_extraction
from nextflow_hf.training.language_model import fresh_model, set_trainable

from ..scripts import load_example

train_lm = load_example("training/train_lm.py")
CONFIGS = Path(__file__).parents[2] / "examples" / "training" / "configs" / "tiny"
ROWS = {"captions": 12, "qa": 8, "edits": 4, "stories": 2, "videos": 2, "knowledge": 6}


@pytest.fixture(scope="module")
def codes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Codes of every task, extracted at level 16 with an untrained tiny tokenizer saved on disk."""
    folder = tmp_path_factory.mktemp("lm")
    torch.manual_seed(0)
    vq = NextFlowVQModel(tiny_vq_config()).eval()
    vq.save_pretrained(folder / "tokenizer")
    write_extraction(vq, folder / "codes", 16, ROWS, tokenizer_path=str(folder / "tokenizer"), batch_size=8)
    return folder / "codes"


def run_stage(stage: str, codes_dir: Path, output_dir: Path, *flags: str):
    return train_lm.main(
        [str(CONFIGS / f"{stage}.yaml"), "--codes_dir", str(codes_dir), "--output_dir", str(output_dir), *flags]
    )


def logged_losses(trainer) -> list[float]:
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


@pytest.fixture(scope="module")
def stages(codes_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The three stages, each starting from the one before."""
    root = tmp_path_factory.mktemp("stages")
    align = run_stage("align", codes_dir, root / "align")
    pretrain = run_stage("pretrain", codes_dir, root / "pretrain", "--init_from", str(root / "align"))
    sft = run_stage("sft", codes_dir, root / "sft", "--init_from", str(root / "pretrain"))
    return {"root": root, "align": align, "pretrain": pretrain, "sft": sft}


def test_a_fresh_decoder_is_initialised_from_the_stage_seed(codes_dir, tmp_path):
    def first_weights(name: str, seed: str) -> torch.Tensor:
        trainer = run_stage("align", codes_dir, tmp_path / name, "--max_steps", "1", "--seed", seed)
        return trainer.model.model.language_model.layers[0].mlp.up_proj.weight.detach().clone()

    assert torch.equal(first_weights("a", "0"), first_weights("b", "0"))
    assert not torch.equal(first_weights("a", "0"), first_weights("c", "1"))


def test_the_vision_input_of_a_fresh_decoder_is_set_by_the_stage_and_kept_by_the_next(codes_dir, tmp_path):
    first = run_stage("align", codes_dir, tmp_path / "a", "--max_steps", "1", "--vision_input", "accumulated")
    assert first.model.config.vision_input == "accumulated"
    second = run_stage("pretrain", codes_dir, tmp_path / "b", "--max_steps", "1", "--init_from", str(tmp_path / "a"))
    assert second.model.config.vision_input == "accumulated"
    with pytest.raises(ValueError, match="vision_input must be one of .*'summed'"):
        run_stage("align", codes_dir, tmp_path / "c", "--vision_input", "summed")


def test_a_fresh_decoder_holds_a_tokenizer_shipped_in_half_precision_exactly_as_loaded(tmp_path):
    NextFlowVQModel(tiny_vq_config()).half().save_pretrained(tmp_path / "tokenizer")
    tokenizer = NextFlowVQModel.from_pretrained(tmp_path / "tokenizer")
    model = fresh_model("tiny", tokenizer, NextFlowConfig.tiny().text_vocab_size, scale_loss_alpha=0.9)
    assert model.model.vqmodel.dtype == torch.float32
    assert tokenizer_fingerprint(model.model.vqmodel) == tokenizer_fingerprint(tokenizer)


def test_alignment_trains_the_vision_path_and_vocabulary_rows_only():
    model = NextFlowForConditionalGeneration(NextFlowConfig.tiny())
    set_trainable(model, "alignment")
    trainable = {
        name.split(".")[1] if name.startswith("model.") else name.split(".")[0]
        for name, p in model.named_parameters()
        if p.requires_grad
    }
    assert trainable == {"vision_adapter", "scale_embedding", "language_model", "lm_head"}
    language_model = [name for name, p in model.named_parameters() if p.requires_grad and ".language_model." in name]
    assert language_model == ["model.language_model.embed_tokens.weight"]
    set_trainable(model, "pretraining")
    assert all(p.requires_grad != name.startswith("model.vqmodel.") for name, p in model.named_parameters())


def test_pretraining_loss_falls_over_the_task_mixture(stages):
    losses = logged_losses(stages["pretrain"])
    assert all(math.isfinite(loss) for loss in losses)
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3


def test_each_stage_saves_a_model_and_processor_that_draw_through_the_pipeline(stages, codes_dir):
    folder = stages["root"] / "sft"
    model = NextFlowForConditionalGeneration.from_pretrained(folder).eval()
    processor = NextFlowProcessor.from_pretrained(folder)
    tokenizer_weights = NextFlowVQModel.from_pretrained(codes_dir.parent / "tokenizer").state_dict()
    for name, weight in model.model.vqmodel.state_dict().items():
        torch.testing.assert_close(weight, tokenizer_weights[name], rtol=0, atol=0)  # the tokenizer never trains
    image = NextFlowPipeline(model=model, processor=processor)(
        "a red circle", generator=torch.Generator().manual_seed(0)
    ).images[0]
    assert image.size == (16, 16)


def test_every_trainer_checkpoint_is_a_whole_model_folder(codes_dir, stages, tmp_path):
    flags = ["--init_from", str(stages["root"] / "align"), "--max_steps", "2", "--save_strategy", "steps"]
    run_stage("pretrain", codes_dir, tmp_path, *flags, "--save_steps", "2")
    checkpoint = tmp_path / "checkpoint-2"
    model = NextFlowForConditionalGeneration.from_pretrained(checkpoint).eval()
    image = NextFlowPipeline(model=model, processor=NextFlowProcessor.from_pretrained(checkpoint))(
        "a red circle", generator=torch.Generator().manual_seed(0)
    ).images[0]
    assert image.size == (16, 16)


def test_a_stage_stopped_early_saves_its_model_at_that_step(codes_dir, stages, tmp_path):
    flags = ["--init_from", str(stages["root"] / "align"), "--max_steps", "4", "--stop_after_steps", "2"]
    trainer = run_stage("pretrain", codes_dir, tmp_path, *flags)
    assert trainer.state.global_step == 2
    saved = NextFlowForConditionalGeneration.from_pretrained(tmp_path)
    torch.testing.assert_close(saved.lm_head.weight, trainer.model.lm_head.weight, rtol=0, atol=0)


def test_a_stage_starts_from_an_exported_half_precision_checkpoint_in_full_precision(stages, tmp_path):
    recipe = tmp_path / "recipe.sh"
    recipe.write_text("python examples/training/train_lm.py pretrain.yaml\n")
    arguments = ["--model", str(stages["root"] / "pretrain"), "--output", str(tmp_path / "shipped")]
    shipped = load_example("training/export_checkpoint.py").main([*arguments, "--recipe", str(recipe)])
    model = train_lm.load_model(train_lm.LanguageModelArguments(init_from=str(shipped)), None, 0)
    half = NextFlowForConditionalGeneration.from_pretrained(shipped / "model", dtype=torch.float16)
    assert model.dtype == torch.float32
    torch.testing.assert_close(model.lm_head.weight, half.lm_head.weight.float(), rtol=0, atol=0)


def test_rows_longer_than_the_context_are_refused_before_packing_unless_the_context_is_raised(
    codes_dir, stages, tmp_path
):
    flags = ["--init_from", str(stages["root"] / "align"), "--max_steps", "1", "--max_tokens_per_row", "1536"]
    with pytest.raises(ValueError, match="max_tokens_per_row 1536 exceeds the decoder's context of 1024 positions"):
        run_stage("pretrain", codes_dir, tmp_path / "short", *flags)
    trainer = run_stage("pretrain", codes_dir, tmp_path / "long", *flags, "--context_length", "1536")
    assert max(len(row["input_ids"]) for row in trainer.train_dataset) > 1024  # rows the old context refuses
    assert all(math.isfinite(loss) for loss in logged_losses(trainer))
    assert (
        NextFlowForConditionalGeneration.from_pretrained(tmp_path / "long").config.text_config.max_position_embeddings
        == 1536
    )


def test_the_mixture_and_attention_kernel_are_set_from_the_command_line(codes_dir, stages, tmp_path):
    flags = ["--mixture", '{"captioning": 1.0}', "--attn_implementation", "eager", "--max_steps", "2"]
    trainer = run_stage("pretrain", codes_dir, tmp_path, "--init_from", str(stages["root"] / "align"), *flags)
    offset = trainer.model.config.vision_token_offset
    assert all(max(row["labels"]) < offset for row in trainer.train_dataset)  # captions only: no code is a label
    assert trainer.model.config.text_config._attn_implementation == "eager"
    assert all(math.isfinite(loss) for loss in logged_losses(trainer))


def test_sdpa_backends_restrict_the_attention_kernels_of_training(codes_dir, stages, tmp_path):
    flags = ["--init_from", str(stages["root"] / "align"), "--max_steps", "1"]
    trainer = run_stage("pretrain", codes_dir, tmp_path / "math", *flags, "--sdpa_backends", "math")
    assert all(math.isfinite(loss) for loss in logged_losses(trainer))
    with pytest.raises(RuntimeError, match="No viable backend"):  # a CUDA-only kernel leaves a CPU none
        run_stage("pretrain", codes_dir, tmp_path / "cudnn", *flags, "--sdpa_backends", "cudnn_attention")
    with pytest.raises(ValueError, match=r"Unknown sdpa backend\(s\) \['fast'\]"):
        run_stage("pretrain", codes_dir, tmp_path / "fast", *flags, "--sdpa_backends", "fast")


def test_several_preprocessing_workers_write_and_pack_the_same_rows(codes_dir, stages, tmp_path):
    flags = ["--init_from", str(stages["root"] / "align"), "--max_steps", "1"]
    alone = run_stage("pretrain", codes_dir, tmp_path / "alone", *flags).train_dataset
    fresh_codes = shutil.copytree(codes_dir, tmp_path / "codes", ignore=shutil.ignore_patterns("cache-*"))
    shared = run_stage("pretrain", fresh_codes, tmp_path / "two", *flags, "--preprocessing_num_workers", "2")
    assert shared.train_dataset.to_list() == alone.to_list()


def test_codes_of_another_tokenizer_are_refused(codes_dir, stages, tmp_path):
    other = NextFlowForConditionalGeneration.from_pretrained(stages["root"] / "align")
    torch.nn.init.normal_(other.model.vqmodel.quantizer.pixel_codebook)
    other.save_pretrained(tmp_path / "other")
    with pytest.raises(ValueError, match="extracted with the tokenizer of"):
        run_stage("sft", codes_dir, tmp_path / "out", "--init_from", str(tmp_path / "other"))


def test_a_stage_without_codes_or_with_an_unknown_stage_or_task_is_refused(codes_dir, tmp_path):
    with pytest.raises(ValueError, match="codes_dir is required"):
        train_lm.main([str(CONFIGS / "align.yaml"), "--codes_dir", "", "--output_dir", str(tmp_path)])
    with pytest.raises(ValueError, match="Unknown language-model stage 'finetune'"):
        run_stage("align", codes_dir, tmp_path, "--stage", "finetune")
    with pytest.raises(
        FileNotFoundError, match="'question_answering' reads .*few/train/qa, which does not exist; extract 'qa'"
    ):
        write_extraction(NextFlowVQModel(tiny_vq_config()), tmp_path / "few", 16, {"captions": 2}, vq_preset="tiny")
        run_stage("pretrain", tmp_path / "few", tmp_path / "out")


def test_two_processes_train_data_parallel_from_the_accelerate_config_alone(codes_dir, stages, tmp_path):
    command = [
        str(Path(sys.executable).parent / "accelerate"),
        "launch",
        "--config_file",
        str(CONFIGS.parent / "accelerate" / "ddp.yaml"),
        "--num_processes",
        "2",
        "--num_cpu_threads_per_process",
        "1",
        str(CONFIGS.parents[1] / "train_lm.py"),
        str(CONFIGS / "pretrain.yaml"),
        "--codes_dir",
        str(codes_dir),
        "--init_from",
        str(stages["root"] / "align"),
        "--output_dir",
        str(tmp_path / "ddp"),
        "--max_steps",
        "3",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 process(es)" in result.stdout
    assert NextFlowForConditionalGeneration.from_pretrained(tmp_path / "ddp").config.scale_loss_alpha == 0.9
