"""The shipped tokenizer (`checkpoints/shapesworld-tokenizer`): half precision on disk, fp32 once loaded, loadable
with `AutoModel`, and a round trip that keeps held-out ShapesWorld scenes, as `make demo` shows."""

from pathlib import Path

import torch
from safetensors import safe_open
from transformers import AutoModel

from .scripts import load_example

SHIPPED_TOKENIZER = Path(__file__).parents[1] / "checkpoints" / "shapesworld-tokenizer"


def test_it_ships_in_half_precision_and_loads_in_fp32_with_auto_model():
    with safe_open(SHIPPED_TOKENIZER / "model.safetensors", "pt") as weights:
        assert {weights.get_slice(name).get_dtype() for name in weights.keys()} == {"F16"}
    model = AutoModel.from_pretrained(SHIPPED_TOKENIZER, trust_remote_code=True)
    assert type(model).__name__ == "NextFlowVQModel" and model.dtype == torch.float32


def test_held_out_scenes_come_back_above_30_db_with_what_their_captions_say(tmp_path):
    demo = load_example("tokenizer_round_trip.py")
    summary = demo.main(["--per-category", "2", "--seed", "1", "--out", str(tmp_path / "sheet.png")])
    assert summary["psnr"] >= 30.0
    assert summary["captions_found"] >= 11 / 12
