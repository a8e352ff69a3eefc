"""GPU job helper: trains the 256 stage from a 128-level model (default sdpa), skipping and counting optimizer steps
with non-finite gradients. At the first such step it replays that batch on the same weights under every attention
kernel (which ones give non-finite gradients?) and saves the batch, the config and the decoder's weights (bf16) to
$NAN_DUMP (default $OUT) for a replay on CPU (replay_nan_batch.py).
Usage: python3 gpu_jobs/diagnose_nan.py INIT_FROM CODES_DIR STEPS [train_lm.py flags]"""

import contextlib
import os
import sys
import time

import torch
from torch.nn.attention import sdpa_kernel
from transformers import Trainer

sys.path.insert(0, "examples/training")
import train_lm  # noqa: E402

from nextflow_hf.training import callbacks  # noqa: E402

init_from, codes_dir, steps, *extra = sys.argv[1:]
# Replayed kernels, named as train_lm.py's --sdpa_backends names them (flash attention takes no mask).
KERNELS = {
    "sdpa": ("sdpa", None),
    **{name: ("sdpa", backend) for name, backend in train_lm.SDPA_BACKENDS.items() if name != "flash_attention"},
    "eager": ("eager", None),
}
last_inputs = {}
original_step = Trainer.training_step
original_check = callbacks.gradients_are_finite
replayed = []


def nonfinite_gradients(model) -> list[str]:
    """Names of the parameters whose gradient holds an inf or a NaN."""
    return [name for name, p in model.named_parameters() if p.grad is not None and not p.grad.isfinite().all()]


def remembering_step(self, model, inputs, *args, **kwargs):
    last_inputs.clear()
    last_inputs.update({key: value.detach() for key, value in inputs.items()})
    return original_step(self, model, inputs, *args, **kwargs)


def replay(model, kernel: str) -> str:
    """Loss and gradient finiteness of the remembered batch under `kernel`, from the current weights."""
    implementation, backend = KERNELS[kernel]
    saved_grads = {name: p.grad for name, p in model.named_parameters()}
    try:
        model.set_attn_implementation(implementation)
        model.zero_grad(set_to_none=True)
        with (
            sdpa_kernel(backend) if backend else contextlib.nullcontext(),
            torch.autocast(model.device.type, torch.bfloat16),
        ):
            loss = model(**last_inputs).loss
        loss.backward()
        bad = nonfinite_gradients(model)
        return f"loss {loss.item():.4f}, {len(bad)} parameters with non-finite gradients {bad[:3]}"
    except Exception as error:  # a kernel that cannot take this batch (memory, mask) is reported, not fatal
        return f"failed: {type(error).__name__}: {str(error)[:160]}"
    finally:
        model.set_attn_implementation("sdpa")
        for name, p in model.named_parameters():
            p.grad = saved_grads[name]


def save_for_cpu(model) -> None:
    out = os.environ.get("NAN_DUMP") or os.environ["OUT"]
    os.makedirs(out, exist_ok=True)
    torch.save({key: value.cpu() for key, value in last_inputs.items()}, f"{out}/nan_batch.pt")
    model.config.to_json_file(f"{out}/nan_config.json")
    weights = {n: p.detach().to("cpu", torch.bfloat16) for n, p in model.named_parameters() if "vqmodel" not in n}
    names = sorted(weights)
    chunk, size, part = {}, 0, 0
    for name in names:
        chunk[name] = weights[name]
        size += weights[name].numel() * 2
        if size > 12e6 or name == names[-1]:
            torch.save(chunk, f"{out}/nan_weights_{part}.pt")
            chunk, size, part = {}, 0, part + 1


def checking(model) -> bool:
    finite = original_check(model)
    if not finite and not replayed:
        replayed.append(True)
        bad = nonfinite_gradients(model)
        print(f"FIRST NON-FINITE STEP: {len(bad)} parameters with non-finite gradients, e.g. {bad[:4]}")
        for kernel in KERNELS:
            print(f"REPLAY {kernel}: {replay(model, kernel)}")
        save_for_cpu(model)
    return finite


Trainer.training_step = remembering_step
callbacks.gradients_are_finite = checking
arguments = [
    "examples/training/configs/shapesworld-gpu/pretrain_256.yaml",
    "--init_from",
    init_from,
    "--codes_dir",
    codes_dir,
    "--output_dir",
    "/tmp/diag/p256",
    "--max_steps",
    steps,
    "--logging_steps",
    "20",
    "--save_strategy",
    "no",
    "--max_consecutive_nonfinite_steps",
    "1000",
    *extra,
]
start = time.time()
trainer = train_lm.main(arguments)
guard = next(c for c in trainer.callback_handler.callbacks if hasattr(c, "skipped"))
print(f"RESULT: {guard.skipped} of {steps} steps skipped, {time.time() - start:.0f} s")
