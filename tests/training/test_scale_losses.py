"""Per-scale image-token losses: their token-weighted mean is the model's own plain-CE vision loss, every image
token is counted at its scale, and the script reports them for a saved decoder and an extraction folder."""

import json
import math
from pathlib import Path

import pytest
import torch

from nextflow_hf.modeling import NextFlowForConditionalGeneration, NextFlowVQModel, tiny_vq_config
from nextflow_hf.shapesworld.vocabulary import shapesworld_tokenizer
from nextflow_hf.training.extraction import load_extraction_info, write_extraction
from nextflow_hf.training.language_model import fresh_model
from nextflow_hf.training.scale_losses import ScaleLosses, accumulate_scale_losses

from ..scripts import load_example

scale_losses_script = load_example("training/scale_losses.py")
LEVEL = 16


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh tiny decoder with plain cross-entropy (α = 0), saved, and captions extracted with its tokenizer."""
    folder = tmp_path_factory.mktemp("scales")
    torch.manual_seed(0)
    vq = NextFlowVQModel(tiny_vq_config()).eval()
    write_extraction(vq, folder / "codes", LEVEL, {"captions": 6}, batch_size=6)
    model = fresh_model("tiny", vq, len(shapesworld_tokenizer()) - 2, scale_loss_alpha=0.0)
    model.save_pretrained(folder / "model")
    return {"model": folder / "model", "codes": folder / "codes"}


def run(saved: dict[str, Path], out: Path, *flags: str) -> ScaleLosses:
    return scale_losses_script.main(["--model", str(saved["model"]), "--codes_dir", str(saved["codes"]),
                                     "--out", str(out), *flags])  # fmt: skip


def test_the_token_weighted_mean_is_the_plain_vision_loss(saved):
    args = scale_losses_script.parse_args(
        ["--model", str(saved["model"]), "--codes_dir", str(saved["codes"]), "--rows", "6"]
    )
    model = NextFlowForConditionalGeneration.from_pretrained(saved["model"]).eval()
    (batch,) = scale_losses_script.packed_batches(args, model)
    losses = accumulate_scale_losses(model, batch, ScaleLosses())
    with torch.no_grad():
        vision_loss = model(**batch).vision_loss
    assert losses.mean_nll == pytest.approx(vision_loss.item(), rel=1e-5)
    # every caption image is drawn once, so each scale holds rows × h·w tokens
    assert losses.tokens == [6 * h * w for h, w in load_extraction_info(saved["codes"])["schedule"]]
    assert all(0.0 <= accuracy <= 1.0 for accuracy in losses.accuracy)


def test_the_script_writes_a_report_per_scale(saved, tmp_path):
    losses = run(saved, tmp_path / "report", "--rows", "4", "--first-row", "1")
    report = json.loads((tmp_path / "report.json").read_text())
    nll = report["results"]["cross-entropy (nats)"]
    assert [nll[f"scale {k + 1}"] for k in range(len(losses.nll))] == pytest.approx(losses.nll)
    assert all(math.isfinite(value) for value in losses.nll)
    assert report["settings"]["rows"] == 4


def test_rows_outside_the_extraction_are_refused(saved, tmp_path):
    with pytest.raises(ValueError, match=r"Rows 4\.\.7 are not all among the 6 extracted"):
        run(saved, tmp_path / "report", "--rows", "4", "--first-row", "4")
