"""Drawings with their first scales forced: the forced scales are exactly the tokenizer's codes of the scene, the
others are drawn on top of them, forcing none is plain generation, and the script reports a pass rate per count."""

import json

import pytest
import torch

from nextflow_hf.evaluation.forced_scales import force_first_scales, forced_scale_results, scene_token_maps
from nextflow_hf.shapesworld import sample_captions

from ..pipelines.test_pipeline_nextflow import make
from ..scripts import load_example

forced_scales_script = load_example("training/forced_scales.py")
LEVEL = 16


@pytest.fixture(scope="module")
def pipe():
    return make()


@pytest.fixture(scope="module")
def samples():
    return sample_captions(1, "train", seed=0)[:3]


def draw(pipe, samples, forced: int, token_maps) -> list[torch.Tensor]:
    generators = [torch.Generator().manual_seed(index) for index in range(len(samples))]
    return pipe(
        [sample.prompt.text for sample in samples],
        level=LEVEL,
        generator=generators,
        callback_on_step_end=force_first_scales(token_maps, forced),
        output_type="pt",
    ).image_tokens


def test_the_scene_codes_are_the_tokenizers_encoding_on_the_level_schedule(pipe, samples):
    token_maps = scene_token_maps(pipe, samples, LEVEL)
    assert [tuple(tokens.shape) for tokens in token_maps] == [(3, 1, 1), (3, 2, 2), (3, 3, 3), (3, 4, 4)]


@pytest.mark.parametrize("forced", [1, 3])
def test_the_first_scales_are_forced_and_the_rest_drawn(pipe, samples, forced):
    token_maps = scene_token_maps(pipe, samples, LEVEL)
    drawn = draw(pipe, samples, forced, token_maps)
    for scale in range(forced):
        assert torch.equal(drawn[scale], token_maps[scale])
    assert not torch.equal(drawn[-1], token_maps[-1])


def test_forcing_every_scale_draws_the_tokenizers_round_trip(pipe, samples):
    token_maps = scene_token_maps(pipe, samples, LEVEL)
    drawn = draw(pipe, samples, len(token_maps), token_maps)
    assert all(torch.equal(d, t) for d, t in zip(drawn, token_maps))


def test_forcing_no_scale_is_plain_generation(pipe, samples):
    plain = pipe(
        [sample.prompt.text for sample in samples],
        level=LEVEL,
        generator=[torch.Generator().manual_seed(index) for index in range(len(samples))],
    ).image_tokens
    forced_none = draw(pipe, samples, 0, scene_token_maps(pipe, samples, LEVEL))
    assert all(torch.equal(a, b) for a, b in zip(plain, forced_none))


def test_results_hold_one_verdict_per_sample_and_count_and_bad_counts_are_refused(pipe, samples):
    results = forced_scale_results(pipe, samples, [0, 4], level=LEVEL, batch_size=2)
    assert sorted(results) == [0, 4] and all(len(verdicts) == 3 for verdicts in results.values())
    with pytest.raises(ValueError, match=r"\[0, 4\] at level 16; got \[5\]"):
        forced_scale_results(pipe, samples, [0, 5], level=LEVEL)


def test_the_script_writes_a_pass_rate_per_forced_count(pipe, tmp_path):
    pipe.save_pretrained(tmp_path / "pipeline")
    flags = ["--forced", "0", "4", "--per-category", "1", "--level", str(LEVEL), "--out", str(tmp_path / "r")]
    rates = forced_scales_script.main(["--pipeline", str(tmp_path / "pipeline"), *flags])
    report = json.loads((tmp_path / "r.json").read_text())
    assert sorted(rates) == [0, 4] and all(0.0 <= rate <= 1.0 for rate in rates.values())
    assert report["results"]["GenEval pass rate"]["first 4 scales forced"] == rates[4]
