"""NextFlowVQModel: multi-scale residual quantisation, self-correction, decoding, losses, save/load, bad input."""

import copy
import os
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F

from nextflow_hf.modeling import NextFlowVQModel, tiny_vq_config, vision_patch_features
from nextflow_hf.modeling.modeling_nextflow_vq import MultiScaleResidualQuantizer

from ..scenes import render_scenes

SCHEDULE_32 = [(1, 1), (2, 2), (3, 3), (4, 4), (6, 6), (8, 8)]


def reconstruction_error(model: NextFlowVQModel, images: torch.Tensor) -> float:
    with torch.no_grad():
        return F.mse_loss(model.decode(model.encode(images).image_tokens), images).item()


def test_encode_gives_one_index_grid_per_scale(tiny_vq):
    encoded = tiny_vq.encode(render_scenes(2))
    assert [tuple(grid.shape) for grid in encoded.image_tokens] == [(2, h, w) for h, w in SCHEDULE_32]
    assert all(grid.dtype == torch.int64 for grid in encoded.image_tokens)
    assert encoded.features.shape == (2, tiny_vq.config.code_dim, 8, 8)


def test_non_square_images_use_their_aspect_ratio_bucket(tiny_vq):
    encoded = tiny_vq.encode(render_scenes(1, height=16, width=32))
    assert [tuple(grid.shape[1:]) for grid in encoded.image_tokens] == tiny_vq.config.scale_table.get_schedule(32, 0.5)
    assert tiny_vq.decode(encoded.image_tokens).shape == (1, 3, 16, 32)


def test_features_are_l2_normalised_per_branch(tiny_vq):
    features = tiny_vq.encode(render_scenes(2)).features
    semantic, pixel = features.split(tiny_vq.code_split, dim=1)
    assert torch.allclose(semantic.norm(dim=1), torch.ones(2, 8, 8), atol=1e-5)
    assert torch.allclose(pixel.norm(dim=1), torch.ones(2, 8, 8), atol=1e-5)


def test_first_scale_captures_the_mean():
    torch.manual_seed(0)
    quantizer = MultiScaleResidualQuantizer(tiny_vq_config())
    features = torch.randn(1, 12, 4, 4)
    mean = features.mean(dim=(2, 3))[0]
    with torch.no_grad():
        quantizer.semantic_codebook.copy_(torch.randn(64, 8) * 3)
        quantizer.pixel_codebook.copy_(torch.randn(64, 4) * 3)
        quantizer.semantic_codebook[17], quantizer.pixel_codebook[17] = mean[:8], mean[8:]
    encoded = quantizer(features, [(1, 1)])
    assert encoded.image_tokens[0].item() == 17
    assert torch.allclose(encoded.quantized_features, mean[None, :, None, None].expand(1, 12, 4, 4), atol=1e-6)


def test_code_choice_is_the_shared_weighted_distance():
    quantizer = MultiScaleResidualQuantizer(tiny_vq_config(pixel_distance_weight=4.0))
    with torch.no_grad():
        quantizer.semantic_codebook.zero_()
        quantizer.pixel_codebook.zero_()
        quantizer.semantic_codebook[1, 0] = 1.0  # semantic part matches, pixel part misses by 1
        quantizer.pixel_codebook[2, 0] = 1.0  # pixel part matches, semantic part misses by 1
    vector = torch.zeros(1, 12)
    vector[0, 0], vector[0, 8] = 1.0, 1.0
    # code 1 costs w·1 = 4, code 2 costs 1: the pixel distance is weighted by w
    assert quantizer.distances(vector).argmin().item() == 2


def test_residual_norm_falls_scale_by_scale(trained_tiny_vq):
    norms = trained_tiny_vq.encode(render_scenes(4, seed=7)).residual_norms
    assert len(norms) == len(SCHEDULE_32) + 1
    assert all(later < earlier for earlier, later in zip(norms, norms[1:])), norms


def test_a_briefly_trained_tokenizer_reconstructs_better_than_an_untrained_one(tiny_vq, trained_tiny_vq):
    held_out = render_scenes(8, seed=123)
    assert reconstruction_error(trained_tiny_vq, held_out) < 0.5 * reconstruction_error(tiny_vq, held_out)


def test_self_correction_replaces_about_60_percent_of_input_indices_per_scale(trained_tiny_vq):
    images = render_scenes(16, seed=5)
    encoded = trained_tiny_vq.encode(images, self_correction=True, generator=torch.Generator().manual_seed(0))
    for targets, inputs in zip(encoded.image_tokens[2:], encoded.input_image_tokens[2:]):  # scales of >= 9 tokens
        changed = (targets != inputs).float().mean().item()
        assert 0.45 < changed < 0.75, changed


def test_self_correction_targets_stay_top1_of_the_perturbed_residual_chain(trained_tiny_vq):
    model = trained_tiny_vq
    images = render_scenes(4, seed=9)
    encoded = model.encode(images, self_correction=True, generator=torch.Generator().manual_seed(1))
    residual = encoded.features
    top_k = model.config.self_correction_top_k
    for targets, inputs in zip(encoded.image_tokens, encoded.input_image_tokens):
        grid = tuple(targets.shape[1:])
        vectors = F.interpolate(residual, size=grid, mode="area").permute(0, 2, 3, 1).reshape(-1, residual.shape[1])
        distances = model.quantizer.distances(vectors)
        assert torch.equal(targets.flatten(), distances.argmin(dim=1))
        near = distances.topk(top_k, dim=1, largest=False).indices
        assert (near == inputs.flatten()[:, None]).any(dim=1).all()  # inputs are among the k nearest
        codes = model.embed_codes(inputs)
        residual = residual - F.interpolate(codes, size=residual.shape[-2:], mode="bicubic", align_corners=False)


def test_without_self_correction_inputs_are_the_targets(tiny_vq):
    encoded = tiny_vq.encode(render_scenes(2))
    assert all(torch.equal(a, b) for a, b in zip(encoded.image_tokens, encoded.input_image_tokens))


def test_self_correction_is_reproducible_with_a_generator(tiny_vq):
    images = render_scenes(2)
    first, second = (
        tiny_vq.encode(images, self_correction=True, generator=torch.Generator().manual_seed(3)) for _ in range(2)
    )
    assert all(torch.equal(a, b) for a, b in zip(first.input_image_tokens, second.input_image_tokens))


def test_one_generator_per_image_gives_each_image_its_codes_alone(trained_tiny_vq):
    images = render_scenes(5, seed=3)

    def generators() -> list[torch.Generator]:
        return [torch.Generator().manual_seed(100 + i) for i in range(len(images))]

    with torch.no_grad():
        batched = trained_tiny_vq.encode(images, self_correction=True, generator=generators())
        alone = [
            trained_tiny_vq.encode(image[None], self_correction=True, generator=generator)
            for image, generator in zip(images, generators())
        ]
        for scale, (inputs, targets) in enumerate(zip(batched.input_image_tokens, batched.image_tokens)):
            assert torch.equal(inputs, torch.cat([one.input_image_tokens[scale] for one in alone]))
            assert torch.equal(targets, torch.cat([one.image_tokens[scale] for one in alone]))
        with pytest.raises(ValueError, match="Got 2 generators for a batch of 5 images"):
            trained_tiny_vq.encode(images, self_correction=True, generator=generators()[:2])


def test_embed_codes_concatenates_the_semantic_and_pixel_entries(tiny_vq):
    indices = torch.tensor([[[3, 5], [7, 63]]])
    codes = tiny_vq.embed_codes(indices)
    assert codes.shape == (1, 12, 2, 2)
    expected = torch.cat([tiny_vq.quantizer.semantic_codebook[63], tiny_vq.quantizer.pixel_codebook[63]])
    assert torch.allclose(codes[0, :, 1, 1], expected)


def test_decode_is_the_decoder_of_the_summed_upsampled_codes(tiny_vq):
    encoded = tiny_vq.encode(render_scenes(2))
    with torch.no_grad():
        from_tokens = tiny_vq.decode(encoded.image_tokens)
        from_features = tiny_vq.decode_features(encoded.quantized_features)  # features + (sum - features): rounding
    assert torch.allclose(from_tokens, from_features, atol=1e-5)


def test_forward_exposes_every_training_loss_and_trains_codebook_and_encoders(tiny_vq):
    images = render_scenes(2)
    teacher = vision_patch_features(tiny_vq.semantic_encoder.vision_model, images, (8, 8)).detach()
    output = tiny_vq.train()(images, teacher_features=teacher)
    for name in ("reconstruction_loss", "semantic_loss", "codebook_loss", "commitment_loss"):
        assert torch.isfinite(output[name]) and output[name] > 0, name
    assert 0 < output.codebook_usage <= 1
    output.loss.backward()
    for parameter in (
        tiny_vq.quantizer.semantic_codebook,
        tiny_vq.quantizer.pixel_codebook,
        tiny_vq.quant_conv.weight,
        tiny_vq.semantic_encoder.to_codes[0].weight,
        tiny_vq.semantic_decoder.to_teacher[-1].weight,
        tiny_vq.pixel_decoder.conv_out.weight,
    ):
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0


def test_semantic_loss_only_with_teacher_features_of_the_right_shape(tiny_vq):
    images = render_scenes(2)
    assert tiny_vq(images).semantic_loss is None
    with pytest.raises(ValueError, match=r"teacher_features has shape \(2, 32, 4, 4\)"):
        tiny_vq(images, teacher_features=torch.zeros(2, 32, 4, 4))


def test_quantisation_runs_in_fp32_under_a_bf16_model():
    torch.manual_seed(0)
    model = NextFlowVQModel(tiny_vq_config()).to(torch.bfloat16).eval()
    encoded = model.encode(render_scenes(1).to(torch.bfloat16))
    assert encoded.features.dtype == torch.float32
    assert encoded.quantized_features.dtype == torch.float32
    assert model.decode(encoded.image_tokens).dtype == torch.bfloat16


def test_gradient_checkpointing_trains(tiny_vq):
    tiny_vq.activation_checkpointing_enable()
    assert tiny_vq.pixel_encoder.gradient_checkpointing and tiny_vq.pixel_decoder.gradient_checkpointing
    tiny_vq.train()(render_scenes(2)).loss.backward()
    assert tiny_vq.pixel_encoder.conv_in.weight.grad is not None


def test_save_load_gives_identical_outputs(tmp_path, trained_tiny_vq):
    trained_tiny_vq.save_pretrained(tmp_path)
    loaded = NextFlowVQModel.from_pretrained(tmp_path).eval()
    images = render_scenes(2, seed=11)
    with torch.no_grad():
        tokens, loaded_tokens = trained_tiny_vq.encode(images).image_tokens, loaded.encode(images).image_tokens
        assert all(torch.equal(a, b) for a, b in zip(tokens, loaded_tokens))
        assert torch.equal(trained_tiny_vq.decode(tokens), loaded.decode(tokens))


@pytest.mark.parametrize("dtype", ["auto", torch.float16, torch.bfloat16])
def test_a_half_precision_checkpoint_loads_in_fp32_whatever_dtype_is_asked(tmp_path, trained_tiny_vq, dtype):
    copy.deepcopy(trained_tiny_vq).to(torch.float16).save_pretrained(tmp_path)
    loaded = NextFlowVQModel.from_pretrained(tmp_path, dtype=dtype)
    assert {parameter.dtype for parameter in loaded.parameters()} == {torch.float32}
    assert {buffer.dtype for buffer in loaded.buffers() if buffer.is_floating_point()} <= {torch.float32}


def test_saved_folder_loads_with_trust_remote_code_in_a_fresh_process(tmp_path, trained_tiny_vq):
    trained_tiny_vq.save_pretrained(tmp_path / "vq")
    images = render_scenes(1, seed=11)
    torch.save(images, tmp_path / "images.pt")
    expected = [grid.tolist() for grid in trained_tiny_vq.encode(images).image_tokens]
    script = textwrap.dedent(
        f"""
        import sys, torch
        from transformers import AutoModel
        model = AutoModel.from_pretrained({str(tmp_path / "vq")!r}, trust_remote_code=True)
        assert "nextflow_hf" not in sys.modules, "loaded through the package, not the saved code"
        tokens = model.eval().encode(torch.load({str(tmp_path / "images.pt")!r})).image_tokens
        print([grid.tolist() for grid in tokens])
        """
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(expected)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.zeros(1, 1, 32, 32), "1 channels"),
        (torch.zeros(1, 3, 30, 32), r"30×32 is not divisible by .* 4"),
        (torch.full((1, 3, 32, 32), float("nan")), "NaN"),
        (torch.zeros(3, 32, 32), r"\(3, 32, 32\)"),
        (torch.zeros(1, 3, 20, 20), r"token grid \(5, 5\)"),
    ],
)
def test_bad_images_raise_value_errors_naming_the_problem(tiny_vq, images, message):
    with pytest.raises(ValueError, match=message):
        tiny_vq.encode(images)


def test_a_schedule_that_does_not_end_at_the_image_grid_is_refused(tiny_vq):
    with pytest.raises(ValueError, match=r"ends at grid \(4, 4\).*token grid is \(8, 8\)"):
        tiny_vq.encode(render_scenes(1), schedule=[(1, 1), (2, 2), (4, 4)])


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ([torch.tensor([[[64]]])], r"outside \[0, 64\)"),
        ([torch.tensor([[[-1]]])], r"outside \[0, 64\)"),
        ([torch.zeros(1, 2, 2, dtype=torch.long), torch.zeros(1, 1, 1, dtype=torch.long)], "coarse to fine"),
        ([torch.zeros(1, 1, 1)], "integer"),
        ([], "at least one scale"),
    ],
)
def test_bad_image_tokens_raise_value_errors(tiny_vq, tokens, message):
    with pytest.raises(ValueError, match=message):
        tiny_vq.decode(tokens)
