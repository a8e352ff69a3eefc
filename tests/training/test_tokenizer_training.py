"""Stage b, the VQ tokenizer: `examples/training/train_tokenizer.py` run in-process on the tiny configs, pixel stage
then joint stage with a tiny teacher, and its refusal of bad settings; plus the pixel-value helpers it trains on."""

import json
import math
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from PIL import Image
from transformers import set_seed

from nextflow_hf.modeling import NextFlowVQModel, tiny_vq_config
from nextflow_hf.shapesworld import GENEVAL_CATEGORIES, sample_caption
from nextflow_hf.training.images import from_pixel_values, to_pixel_values
from nextflow_hf.training.teacher import build_teacher, teacher_config
from nextflow_hf.training.tokenizer_training import round_trip_geneval, round_trip_report

from ..scripts import load_example

CONFIGS = Path(__file__).parents[2] / "examples" / "training" / "configs" / "tiny"
PIXEL_CONFIG, JOINT_CONFIG = str(CONFIGS / "tokenizer_pixel.yaml"), str(CONFIGS / "tokenizer_joint.yaml")
train_tokenizer = load_example("training/train_tokenizer.py")


def logged(output_dir: Path, name: str) -> list[float]:
    """The values of `name` in the training logs of a finished run, in order."""
    history = json.loads((output_dir / "trainer_state.json").read_text())["log_history"]
    return [entry[name] for entry in history if name in entry]


@pytest.fixture(scope="module")
def pixel_dir(tmp_path_factory) -> Path:
    """The tiny tokenizer after the 40 pixel-stage steps of its config."""
    return train_tokenizer.main([PIXEL_CONFIG, "--output_dir", str(tmp_path_factory.mktemp("pixel"))])


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory) -> Path:
    """An untrained tiny SigLIP teacher, 32 wide as `tiny_vq_config` distils (random features are targets too)."""
    output_dir = tmp_path_factory.mktemp("teacher")
    torch.manual_seed(0)
    build_teacher(teacher_config("tiny")).save_pretrained(output_dir)
    return output_dir


@pytest.fixture(scope="module")
def joint_dir(tmp_path_factory, pixel_dir, teacher_dir) -> Path:
    output_dir = tmp_path_factory.mktemp("joint")
    flags = ["--init_from", str(pixel_dir), "--teacher_path", str(teacher_dir), "--output_dir", str(output_dir)]
    return train_tokenizer.main([JOINT_CONFIG, *flags])


def test_the_pixel_stage_learns_to_reconstruct(pixel_dir):
    reconstruction = logged(pixel_dir, "reconstruction_loss")
    assert len(reconstruction) == 8 and reconstruction[-1] < 0.25 * reconstruction[0]
    assert not logged(pixel_dir, "semantic_loss")
    results = json.loads((pixel_dir / "eval_results.json").read_text())
    assert results["eval_num_images"] == 16 and results["eval_psnr"] > 15.0 and 0 < results["eval_codebook_usage"] <= 1
    assert results["eval_round_trip_geneval_num_prompts"] == 12
    assert 0 <= results["eval_round_trip_geneval_overall"] <= 1


def test_the_pixel_stage_leaves_the_semantic_branch_as_initialised(pixel_dir):
    set_seed(0)  # the config's seed: the script builds its tokenizer right after seeding
    initial = NextFlowVQModel(tiny_vq_config())
    trained = NextFlowVQModel.from_pretrained(pixel_dir)
    for branch in ("semantic_encoder", "semantic_decoder"):
        before, after = getattr(initial, branch).state_dict(), getattr(trained, branch).state_dict()
        assert all(torch.equal(weight, after[name]) for name, weight in before.items()), branch
    assert not torch.equal(initial.pixel_decoder.conv_out.weight, trained.pixel_decoder.conv_out.weight)


def test_the_joint_stage_distils_the_teacher(joint_dir, pixel_dir):
    semantic = logged(joint_dir, "semantic_loss")
    assert len(semantic) == 8 and semantic[-1] < 0.5 * semantic[0]
    assert logged(joint_dir, "loss")[-1] < logged(joint_dir, "loss")[0]
    model = NextFlowVQModel.from_pretrained(joint_dir)
    assert (joint_dir / "model.safetensors").is_file()
    assert not torch.equal(
        model.semantic_encoder.to_codes[0].weight,
        NextFlowVQModel.from_pretrained(pixel_dir).semantic_encoder.to_codes[0].weight,
    )
    assert math.isfinite(json.loads((joint_dir / "eval_results.json").read_text())["eval_psnr"])


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--stage", "joint"], "The joint stage distils a teacher: set teacher_path"),
        (["--teacher_path", "outputs/tiny/teacher"], "The pixel stage trains without a teacher"),
        (["--stage", "both"], "Unknown stage 'both'"),
        (["--vq_preset", "huge"], "Unknown vq_preset 'huge'"),
        (["--init_from", "outputs/tiny/tokenizer_pixel"], "Give exactly one of vq_preset"),
        (["--image_size", "30"], "not a multiple of the downsample factor 4"),
        (["--image_size", "64"], "image_size 64 gives no schedule"),
    ],
)
def test_bad_settings_raise_before_training(tmp_path, flags, message):
    with pytest.raises(ValueError, match=message):
        train_tokenizer.main([PIXEL_CONFIG, "--output_dir", str(tmp_path), *flags])


def test_a_joint_teacher_must_be_as_wide_as_the_distillation_target(tmp_path, pixel_dir):
    narrow = teacher_config("tiny")
    narrow.vision_config.hidden_size = 16
    build_teacher(narrow).save_pretrained(tmp_path / "teacher")
    flags = ["--init_from", str(pixel_dir), "--teacher_path", str(tmp_path / "teacher")]
    with pytest.raises(ValueError, match="is 16 wide, but the tokenizer distils 32-wide"):
        train_tokenizer.main([JOINT_CONFIG, "--output_dir", str(tmp_path / "joint"), *flags])


def test_pixel_values_round_trip_through_images():
    images = [Image.new("RGB", (8, 4), color) for color in ("black", "white", (10, 128, 250))]
    pixel_values = to_pixel_values(images)
    assert pixel_values.shape == (3, 3, 4, 8) and pixel_values.min() == -1.0 and pixel_values.max() == 1.0
    assert [image.tobytes() for image in from_pixel_values(pixel_values)] == [image.tobytes() for image in images]


def test_images_of_different_sizes_do_not_batch():
    with pytest.raises(ValueError, match="must share a size"):
        to_pixel_values([Image.new("RGB", (8, 8)), Image.new("RGB", (8, 4))])


class StandInTokenizer(torch.nn.Module):
    """Reconstructs every image perfectly (`blank=False`) or as a plain grey canvas (`blank=True`)."""

    device = torch.device("cpu")

    def __init__(self, blank: bool):
        super().__init__()
        self.blank = blank

    def forward(self, pixel_values: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(reconstruction=torch.zeros_like(pixel_values) if self.blank else pixel_values)


@pytest.mark.parametrize("blank, overall", [(False, 1.0), (True, 0.0)])
def test_the_round_trip_geneval_judges_reconstructions_against_their_captions(blank, overall):
    rng = random.Random(0)
    samples = [sample_caption(rng, category, "test") for category in GENEVAL_CATEGORIES]
    scores = round_trip_geneval(StandInTokenizer(blank), samples, size=64, batch_size=4)
    assert scores["num_prompts"] == len(GENEVAL_CATEGORIES)
    assert [scores[category] for category in GENEVAL_CATEGORIES] == [overall] * len(GENEVAL_CATEGORIES)
    assert scores["overall"] == overall


def test_the_round_trip_report_measures_psnr_and_judges_captions_only_when_asked():
    model = NextFlowVQModel(tiny_vq_config())
    full = round_trip_report(model, size=32, num_images=4, prompts_per_category=1, seed=0)
    assert full["reconstruction"]["num_images"] == 4 and full["geneval"]["num_prompts"] == len(GENEVAL_CATEGORIES)
    assert full == round_trip_report(model, size=32, num_images=4, prompts_per_category=1, seed=0)
    assert "geneval" not in round_trip_report(model, size=32, num_images=4, prompts_per_category=0, seed=0)
