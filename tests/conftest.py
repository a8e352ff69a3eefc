"""Shared test fixtures: tiny tokenizers and simple synthetic scenes, all built on the CPU in seconds."""

import os

import pytest
import torch

from nextflow_hf.modeling import NextFlowVQModel, tiny_vq_config

from .scenes import render_scenes

# Nothing is downloaded in tests: a path that does not exist fails at once instead of retrying the Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def train_briefly(model: NextFlowVQModel, steps: int, seed: int = 0) -> NextFlowVQModel:
    """A few Adam steps of the tokenizer's own training loss on fresh scenes; returns the model in eval mode."""
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for step in range(steps):
        loss = model(render_scenes(8, seed=seed * 100_000 + step)).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@pytest.fixture
def tiny_vq() -> NextFlowVQModel:
    """An untrained tiny tokenizer (seeded), in eval mode."""
    torch.manual_seed(0)
    return NextFlowVQModel(tiny_vq_config()).eval()


@pytest.fixture(scope="session")
def trained_tiny_vq() -> NextFlowVQModel:
    """The same tiny tokenizer after 80 training steps on rectangle scenes (a few seconds on a CPU)."""
    torch.manual_seed(0)
    return train_briefly(NextFlowVQModel(tiny_vq_config()), steps=80)
