"""Stage a, the semantic teacher: `examples/training/train_teacher.py` run in-process on the tiny config, its
collator, and its refusal of bad settings."""

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from transformers import AutoTokenizer, SiglipModel

from nextflow_hf.shapesworld.vocabulary import shapesworld_tokenizer
from nextflow_hf.training.teacher import TeacherCollator

from ..scripts import load_example

CONFIG = str(Path(__file__).parents[2] / "examples" / "training" / "configs" / "tiny" / "teacher.yaml")
train_teacher = load_example("training/train_teacher.py")


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory) -> Path:
    """The tiny teacher after 30 steps at batch 16 (a few seconds on a CPU)."""
    output_dir = tmp_path_factory.mktemp("teacher")
    return train_teacher.main([CONFIG, "--output_dir", str(output_dir), "--max_steps", "30", "--logging_steps", "5"])


def rows(captions: list[str], size: int = 16) -> list[dict]:
    return [
        {"prompt": caption, "image": Image.new("RGB", (size, size), "white"), "scene": "{}"} for caption in captions
    ]


def test_the_sigmoid_loss_falls(teacher_dir):
    history = json.loads((teacher_dir / "trainer_state.json").read_text())["log_history"]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses) == 6
    assert losses[-1] < 0.6 * losses[0]


def test_the_saved_teacher_loads_with_its_tokenizer_and_scores_pairs(teacher_dir):
    model = SiglipModel.from_pretrained(teacher_dir)
    tokenizer = AutoTokenizer.from_pretrained(teacher_dir)
    assert model.config.vision_config.hidden_size == 32 and len(tokenizer) == model.config.text_config.vocab_size
    batch = TeacherCollator(tokenizer, max_length=24)(rows(["a red circle", "two blue squares"]))
    with torch.no_grad():
        assert torch.isfinite(model(**batch).loss)
    accuracy = json.loads((teacher_dir / "eval_results.json").read_text())["eval_caption_retrieval_accuracy"]
    assert 0.0 <= accuracy <= 1.0


def test_a_pretrained_teacher_is_saved_as_is(teacher_dir, tmp_path):
    copy_dir = train_teacher.main([CONFIG, "--teacher_name_or_path", str(teacher_dir), "--output_dir", str(tmp_path)])
    original, copy = SiglipModel.from_pretrained(teacher_dir).state_dict(), SiglipModel.from_pretrained(copy_dir)
    assert all(torch.equal(weight, original[name]) for name, weight in copy.state_dict().items())
    assert not (tmp_path / "trainer_state.json").exists()


def test_captions_end_in_eos_at_the_pooled_last_position():
    tokenizer = shapesworld_tokenizer()
    batch = TeacherCollator(tokenizer, max_length=8)(rows(["a single circle", "a red star above a blue square"]))
    assert batch["input_ids"].shape == (2, 8) and batch["pixel_values"].shape == (2, 3, 16, 16)
    assert batch["input_ids"][:, -1].tolist() == [tokenizer.eos_token_id] * 2
    assert batch["attention_mask"][0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert batch["input_ids"][0, :4].tolist() == [tokenizer.pad_token_id] * 4
    assert set(batch) == {"pixel_values", "input_ids", "attention_mask", "return_loss"}


def test_a_caption_longer_than_the_maximum_raises():
    with pytest.raises(ValueError, match="raise caption_max_length"):
        TeacherCollator(shapesworld_tokenizer(), max_length=4)(rows(["a red star above a blue square"]))


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--teacher_preset", "huge"], "Unknown teacher_preset 'huge'"),
        (["--image_size", "18"], "multiple of the patch size 4"),
    ],
)
def test_bad_settings_raise_before_training(tmp_path, flags, message):
    with pytest.raises(ValueError, match=message):
        train_teacher.main([CONFIG, "--output_dir", str(tmp_path), "--max_steps", "1", *flags])
