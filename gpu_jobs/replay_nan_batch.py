"""CPU side of diagnose_nan.py: replays the batch whose gradients were non-finite on the GPU, on the same weights
(bf16 copies) with the same tokenizer, in bf16 autocast on CPU, and reports the loss and any non-finite gradient.
Usage: python gpu_jobs/replay_nan_batch.py FOLDER_FROM_OUT TOKENIZER_FOLDER"""

import sys
from pathlib import Path

import torch

from nextflow_hf.modeling import NextFlowConfig, NextFlowForConditionalGeneration, NextFlowVQModel

folder, tokenizer = Path(sys.argv[1]), sys.argv[2]
model = NextFlowForConditionalGeneration(NextFlowConfig.from_json_file(folder / "nan_config.json"))
model.model.vqmodel.load_state_dict(NextFlowVQModel.from_pretrained(tokenizer).state_dict())
weights = {}
for part in sorted(folder.glob("nan_weights_*.pt")):
    weights.update(torch.load(part))
missing = model.load_state_dict({name: value.float() for name, value in weights.items()}, strict=False).missing_keys
assert all("vqmodel" in name for name in missing), missing
batch = torch.load(folder / "nan_batch.pt")
with torch.autocast("cpu", torch.bfloat16):
    loss = model(**batch).loss
loss.backward()
bad = [name for name, p in model.named_parameters() if p.grad is not None and not p.grad.isfinite().all()]
print(f"CPU replay: loss {loss.item():.4f}, {len(bad)} parameters with non-finite gradients {bad[:4]}")
