"""Trainer callbacks of the recipe: a guard that skips optimizer steps whose gradients are not finite, and an early
stop that keeps the learning-rate schedule of the full run."""

import torch
from torch import nn
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.utils import logging

logger = logging.get_logger(__name__)


class NonFiniteGradientError(RuntimeError):
    """Raised when too many optimizer steps in a row had non-finite gradients for training to make progress."""


def gradients_are_finite(model: nn.Module) -> bool:
    """Whether every gradient of `model` is finite; in a distributed run, on every process (so all skip together)."""
    gradients = [parameter.grad for parameter in model.parameters() if parameter.grad is not None]
    if not gradients:
        return True
    finite = torch.isfinite(torch.nn.utils.get_total_norm(gradients)).float()
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.all_reduce(finite, op=torch.distributed.ReduceOp.MIN)
    return bool(finite.item())


class SkipNonFiniteStepsCallback(TrainerCallback):
    """Skips the optimizer step of a batch whose gradients hold an inf or a NaN, as a loss scaler does in fp16.

    One such batch would otherwise turn every weight into NaN (the gradient clipping multiplies all gradients by the
    NaN norm). The gradients are dropped (`grad = None`), so AdamW leaves the weights and its moments as they were.
    Each skip is logged with the running count (`skipped`); `max_consecutive` skipped steps in a row raise
    `NonFiniteGradientError`, since then the model itself is broken, not one batch.
    """

    def __init__(self, max_consecutive: int = 20):
        self.max_consecutive = max_consecutive
        self.skipped = 0
        self.consecutive = 0

    def on_pre_optimizer_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model: nn.Module, **kwargs
    ) -> None:
        if gradients_are_finite(model):
            self.consecutive = 0
            return
        for parameter in model.parameters():
            parameter.grad = None
        self.skipped += 1
        self.consecutive += 1
        logger.warning(
            f"Step {state.global_step + 1}: non-finite gradients, optimizer step skipped ({self.skipped} so far)."
        )
        if self.consecutive >= self.max_consecutive:
            raise NonFiniteGradientError(
                f"{self.consecutive} optimizer steps in a row had non-finite gradients (up to step "
                f"{state.global_step + 1}); lower the learning rate, or check the data and the attention kernel."
            )


class StopAfterStepsCallback(TrainerCallback):
    """Ends training after `steps` optimizer steps (and saves), while the learning-rate schedule still spans
    `max_steps`: the first phase of a warmup-stable-decay run, whose decay is a later stage with its own schedule."""

    def __init__(self, steps: int):
        if steps < 1:
            raise ValueError(f"stop_after_steps must be at least 1; got {steps}.")
        self.steps = steps

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs
    ) -> TrainerControl:
        if state.global_step >= self.steps:
            control.should_training_stop = True
            control.should_save = args.save_strategy != "no"
        return control
