"""The non-finite-gradient guard: a batch whose gradients hold a NaN leaves the weights and AdamW's state as they
were, a finite one after it trains, and a run of such batches stops training with a clear error. The early stop
ends a run and saves it, with the learning rate where the full run's schedule has it."""

import pytest
import torch
from torch import nn
from transformers import Trainer, TrainingArguments

from nextflow_hf.training.callbacks import (
    NonFiniteGradientError,
    SkipNonFiniteStepsCallback,
    StopAfterStepsCallback,
    gradients_are_finite,
)


class Regression(nn.Module):
    """y = w·x, whose loss is NaN on the forward calls that `poisoned` flags (in order, whatever the batch)."""

    def __init__(self, poisoned: list[bool]):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(2))
        self.poisoned = list(poisoned)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        loss = ((x * self.weight).sum(-1) - 1).pow(2).mean()
        return {"loss": loss * torch.nan if self.poisoned.pop(0) else loss}


def trainer_over(poisoned: list[bool], tmp_path, max_consecutive: int = 20) -> Trainer:
    arguments = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=1,
        max_steps=len(poisoned),
        learning_rate=0.1,
        lr_scheduler_type="constant",
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    return Trainer(
        model=Regression(poisoned),
        args=arguments,
        train_dataset=[{"x": torch.tensor([1.0, 2.0])}] * len(poisoned),
        callbacks=[SkipNonFiniteStepsCallback(max_consecutive)],
    )


def test_gradients_are_finite_sees_a_single_nan():
    model = Regression([])
    model.weight.grad = torch.tensor([0.5, -1.0])
    assert gradients_are_finite(model)
    model.weight.grad = torch.tensor([0.5, torch.nan])
    assert not gradients_are_finite(model)
    assert gradients_are_finite(nn.Linear(2, 2))  # no gradients yet


def test_a_poisoned_batch_is_skipped_and_training_goes_on(tmp_path):
    skipped = trainer_over([True], tmp_path / "poisoned")
    skipped.train()
    assert torch.equal(skipped.model.weight.detach(), torch.ones(2))
    assert skipped.optimizer.state_dict()["state"] == {}

    trainer = trainer_over([True, False, True, False], tmp_path / "mixed")
    trainer.train()
    weight = trainer.model.weight.detach()
    assert torch.isfinite(weight).all() and not torch.equal(weight, torch.ones(2))
    (guard,) = [callback for callback in trainer.callback_handler.callbacks if hasattr(callback, "skipped")]
    assert guard.skipped == 2


def test_a_run_of_poisoned_batches_stops_training(tmp_path):
    with pytest.raises(NonFiniteGradientError, match="3 optimizer steps in a row had non-finite gradients"):
        trainer_over([False, True, True, True, False], tmp_path, max_consecutive=3).train()


def test_stop_after_steps_ends_and_saves_on_the_full_runs_schedule(tmp_path):
    arguments = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=1,
        max_steps=6,
        learning_rate=0.1,
        lr_scheduler_type="linear",
        report_to="none",
        save_strategy="steps",
        save_steps=100,
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=Regression([False] * 6),
        args=arguments,
        train_dataset=[{"x": torch.tensor([1.0, 2.0])}] * 6,
        callbacks=[StopAfterStepsCallback(3)],
    )
    trainer.train()
    assert trainer.state.global_step == 3
    assert trainer.lr_scheduler.get_last_lr()[0] == pytest.approx(0.1 * 3 / 6)  # a 3-step schedule would be at 0
    assert (tmp_path / "checkpoint-3").is_dir()
    with pytest.raises(ValueError, match="stop_after_steps must be at least 1; got 0"):
        StopAfterStepsCallback(0)
