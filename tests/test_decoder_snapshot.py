"""The committed training snapshot of the 128-level decoder (`checkpoints/shapesworld-decoder-128`), which CPU
sessions continue one at a time (`decoder_128_snapshot.sh`): half precision on disk within the shipped budget,
loadable as a pipeline and with the auto class, trained (it predicts the image tokens of unseen scenes far better
than a fresh decoder), and continued by its stage file.

Skipped, with the reason, while the repository holds no snapshot.
"""

import math
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM

from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.shapesworld.vocabulary import shapesworld_tokenizer
from nextflow_hf.training.extraction import write_extraction
from nextflow_hf.training.language_model import fresh_model

from .scripts import load_example

ROOT = Path(__file__).parents[1]
SNAPSHOT = ROOT / "checkpoints" / "shapesworld-decoder-128"
STAGE = ROOT / "examples" / "training" / "configs" / "shapesworld-128" / "decoder_128_snapshot.yaml"

pytestmark = pytest.mark.skipif(not SNAPSHOT.is_dir(), reason=f"no decoder snapshot at {SNAPSHOT} yet")


@pytest.fixture(scope="module")
def pipe() -> NextFlowPipeline:
    return NextFlowPipeline.from_pretrained(SNAPSHOT)


@pytest.fixture(scope="module")
def unseen_codes(pipe: NextFlowPipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight caption rows at the 128 level from a seed the training captions (seed 4) do not use."""
    folder = tmp_path_factory.mktemp("snapshot") / "codes"
    write_extraction(pipe.model.model.vqmodel, folder, 128, {"captions": 8}, seed=1234, batch_size=8)
    return folder


def test_it_is_half_precision_on_disk_within_60_mb():
    weights = list(SNAPSHOT.rglob("*.safetensors"))
    assert weights
    for path in weights:
        with safe_open(path, "pt") as tensors:
            assert {tensors.get_slice(name).get_dtype() for name in tensors.keys()} == {"F16"}, path
    assert sum(path.stat().st_size for path in SNAPSHOT.rglob("*") if path.is_file()) <= 60e6


def test_it_loads_as_a_pipeline_in_fp32_and_with_the_auto_class(pipe):
    assert pipe.model.dtype == torch.float32
    assert type(AutoModelForCausalLM.from_pretrained(SNAPSHOT / "model")) is type(pipe.model)


def test_it_predicts_unseen_image_tokens_far_better_than_a_fresh_decoder(pipe, unseen_codes, tmp_path):
    scale_losses = load_example("training/scale_losses.py")
    torch.manual_seed(0)
    vq_model = pipe.model.model.vqmodel
    fresh = fresh_model("shapesworld", vq_model, len(shapesworld_tokenizer()) - 2, scale_loss_alpha=0.9)
    fresh.save_pretrained(tmp_path / "fresh")
    losses = {
        name: scale_losses.main(
            ["--model", str(model), "--codes_dir", str(unseen_codes), "--rows", "8", "--out", str(tmp_path / name)]
        ).mean_nll
        for name, model in {"snapshot": SNAPSHOT / "model", "fresh": tmp_path / "fresh"}.items()
    }
    assert losses["fresh"] > math.log(1024) - 1.0  # about uniform over the codebook
    assert losses["snapshot"] < losses["fresh"] - 2.0, losses


def test_its_stage_file_continues_it(unseen_codes, tmp_path):
    train_lm = load_example("training/train_lm.py")
    flags = ["--max_steps", "2", "--per_device_train_batch_size", "2", "--warmup_steps", "0", "--logging_steps", "1"]
    trainer = train_lm.main(
        [str(STAGE), "--codes_dir", str(unseen_codes), "--output_dir", str(tmp_path / "run"), *flags,
         "--save_strategy", "no", "--use_cpu", "true", "--bf16", "false"]
    )  # fmt: skip
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 2 and all(loss < math.log(1024) - 2.0 for loss in losses), losses
