"""Configurations: the paper-scale and tiny presets, the vocabulary layout, save/load, and refused settings."""

import pytest
import torch
from transformers import Qwen2_5_VLConfig, Qwen2_5_VLTextModel

from nextflow_hf.modeling import (
    NextFlowConfig,
    NextFlowForConditionalGeneration,
    NextFlowVQConfig,
    NextFlowVQModel,
    num_image_tokens,
    tiny_vq_config,
)


def test_7b_preset_has_the_papers_shape():
    config = NextFlowConfig.nextflow_7b()
    text = config.text_config
    assert (text.num_hidden_layers, text.hidden_size, text.intermediate_size) == (28, 3584, 18944)
    assert (text.num_attention_heads, text.num_key_value_heads) == (28, 4)
    assert text.rope_parameters["rope_theta"] == 1e6
    assert text.rope_parameters["mrope_section"] == [16, 24, 24]
    assert config.text_vocab_size == 152064
    vq = config.vq_config
    assert (vq.codebook_size, vq.semantic_code_dim, vq.pixel_code_dim, vq.code_dim) == (32768, 32, 8, 40)
    assert vq.downsample_factor == 16
    assert vq.scale_table.num_steps == 18
    assert num_image_tokens(vq.scale_table.get_schedule(1024)) == 10084
    assert vq.semantic_encoder_config.model_type == "siglip_vision_model"
    assert vq.semantic_encoder_config.patch_size == vq.downsample_factor


def test_vocabulary_is_text_then_boi_eoi_then_codes():
    config = NextFlowConfig.nextflow_7b()
    assert config.boi_token_id == 152064
    assert config.eoi_token_id == 152065
    assert config.vision_token_offset == 152066
    assert config.vocab_size == 152064 + 2 + 32768
    assert config.text_config.vocab_size == config.vocab_size


def test_qwen2_5_vl_text_config_loads_as_is():
    qwen_text = Qwen2_5_VLConfig().text_config.to_dict()
    config = NextFlowConfig(text_config=qwen_text, vq_config=tiny_vq_config())
    assert config.text_config.model_type == "qwen2_5_vl_text"
    assert config.text_vocab_size == qwen_text["vocab_size"]
    assert config.text_config.vocab_size == qwen_text["vocab_size"] + 2 + 64


@pytest.mark.parametrize("make", [NextFlowConfig.tiny, NextFlowConfig.nextflow_7b])
def test_save_load_round_trip(tmp_path, make):
    config = make()
    config.save_pretrained(tmp_path)
    loaded = NextFlowConfig.from_pretrained(tmp_path)
    assert loaded.to_dict() == config.to_dict()
    assert loaded.vocab_size == config.vocab_size
    assert loaded.vq_config.scale_table == config.vq_config.scale_table


def test_vq_config_save_load_round_trip(tmp_path):
    config = tiny_vq_config(codebook_size=32)
    config.save_pretrained(tmp_path)
    loaded = NextFlowVQConfig.from_pretrained(tmp_path)
    assert loaded.to_dict() == config.to_dict()
    assert loaded.semantic_encoder_config.hidden_size == 32


def test_tiny_preset_builds_and_runs_a_forward_on_cpu():
    config = NextFlowConfig.tiny()
    torch.manual_seed(0)
    tokenizer = NextFlowVQModel(config.vq_config).eval()
    language_model = Qwen2_5_VLTextModel(config.text_config).eval()
    with torch.no_grad():
        tokens = tokenizer.encode(torch.zeros(1, 3, 32, 32)).image_tokens
        hidden = language_model(input_ids=torch.tensor([[0, 5, config.boi_token_id]])).last_hidden_state
    assert [tuple(grid.shape[1:]) for grid in tokens] == config.vq_config.scale_table.get_schedule(32)
    assert hidden.shape == (1, 3, 64)


@pytest.mark.parametrize(
    ("preset", "decoder_millions"), [(NextFlowConfig.shapesworld, 6.6), (NextFlowConfig.shapesworld_large, 20.0)]
)
def test_shapesworld_presets_fit_the_shipped_checkpoint_budget(preset, decoder_millions):
    config = preset()
    model = NextFlowForConditionalGeneration(config)
    decoder = sum(p.numel() for name, p in model.named_parameters() if not name.startswith("model.vqmodel."))
    total = sum(p.numel() for p in model.parameters())
    assert decoder / 1e6 == pytest.approx(decoder_millions, abs=0.1)
    assert 2 * total <= 60e6  # fp16 bytes: the 60 MB limit, tokenizer included
    assert config.text_config.max_position_embeddings >= 5_800  # a five-image story at the 256 level
    assert config.text_config.num_attention_heads * 64 == config.text_config.hidden_size


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(norm_num_groups=5), "norm_num_groups=5"),
        (dict(self_correction_fraction=1.5), "self_correction_fraction"),
        (dict(self_correction_top_k=1), "self_correction_top_k"),
        (dict(codebook_size=1), "codebook_size"),
        (dict(scale_levels={"16": 9}), "Level 16 uses 9 steps"),
    ],
)
def test_vq_config_refuses_settings_that_cannot_work(settings, message):
    with pytest.raises(ValueError, match=message):
        tiny_vq_config(**settings)


def test_an_unknown_vision_input_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="'residual', 'accumulated'.*'summed'"):
        NextFlowConfig.tiny(vision_input="summed")


def test_negative_scale_loss_alpha_is_refused():
    with pytest.raises(ValueError, match="scale_loss_alpha"):
        NextFlowConfig.tiny(scale_loss_alpha=-1.0)
