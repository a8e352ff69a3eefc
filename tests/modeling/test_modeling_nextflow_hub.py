"""Hub readiness: Auto classes, remote-code loading in a fresh process, and starting from a Qwen2-family model."""

import json
import subprocess
import sys

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForImageTextToText,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from nextflow_hf.modeling import (
    NextFlowForConditionalGeneration,
    NextFlowImageProcessor,
    NextFlowProcessor,
    NextFlowVQModel,
    tiny_vq_config,
)

from ..sequences import caption_then_image, random_codes, tiny_nextflow
from ..tokenization import tiny_tokenizer

TINY_TEXT_SHAPE = dict(
    vocab_size=96,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=256,
)
TEXT_IDS = torch.tensor([[0, 5, 9, 17, 33, 60, 95]])

LOAD_IN_FRESH_PROCESS = """
import sys, torch
from PIL import Image
from transformers import AutoModelForCausalLM, AutoProcessor
folder = sys.argv[1]
model = AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True).eval()
processor = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
assert "nextflow_hf" not in sys.modules, "the saved folder must not need the installed package"
batch = torch.load(sys.argv[2])
with torch.no_grad():
    logits = model(**batch).logits
torch.save(logits, sys.argv[3])
inputs = processor(text="draw a red circle")
drawn = model.generate_image(**inputs, level=16, generator=torch.Generator().manual_seed(0))
image = processor.postprocess(model.decode_image_tokens(drawn.image_tokens))["pixel_values"][0]
assert isinstance(image, Image.Image) and image.size == (16, 16)
print(type(model).__module__, type(processor).__module__)
"""


def test_auto_classes_build_nextflow_in_process(tmp_path):
    model = tiny_nextflow()
    model.save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)).__name__ == "NextFlowConfig"
    for auto_class in (AutoModelForCausalLM, AutoModelForImageTextToText):
        assert isinstance(auto_class.from_pretrained(tmp_path), NextFlowForConditionalGeneration)


def test_a_saved_folder_loads_with_remote_code_in_a_fresh_process(tmp_path):
    model = tiny_nextflow()
    model.save_pretrained(tmp_path / "model")
    NextFlowProcessor(
        NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16), tiny_tokenizer()
    ).save_pretrained(tmp_path / "model")
    auto_map = json.loads((tmp_path / "model" / "config.json").read_text())["auto_map"]
    assert auto_map["AutoModelForCausalLM"] == "modeling_nextflow.NextFlowForConditionalGeneration"
    assert (tmp_path / "model" / "sequence_layout.py").exists()

    schedule = model.config.vq_config.scale_table.get_schedule(32, 0.5)
    layout = model.model.image_layout(schedule, context=True)
    ids, _ = caption_then_image(model.config, [0, 10, 11], layout, random_codes(layout, seed=0))
    batch = {"input_ids": ids[None], "image_grids": torch.tensor([list(schedule[-1])])}
    torch.save(batch, tmp_path / "batch.pt")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_IN_FRESH_PROCESS,
            str(tmp_path / "model"),
            str(tmp_path / "batch.pt"),
            str(tmp_path / "logits.pt"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert [name.split(".")[0] for name in result.stdout.split()] == ["transformers_modules"] * 2
    with torch.no_grad():
        expected = model(**batch).logits
    torch.testing.assert_close(torch.load(tmp_path / "logits.pt"), expected)


def tiny_qwen2() -> Qwen2ForCausalLM:
    torch.manual_seed(1)
    return Qwen2ForCausalLM(Qwen2Config(**TINY_TEXT_SHAPE, tie_word_embeddings=False)).eval()


def test_from_text_model_keeps_a_qwen2_models_text_predictions(tmp_path):
    qwen = tiny_qwen2()
    qwen.save_pretrained(tmp_path)
    torch.manual_seed(2)
    vq_model = NextFlowVQModel(tiny_vq_config())
    model = NextFlowForConditionalGeneration.from_text_model(tmp_path, vq_model=vq_model, image_token_id=3).eval()
    config = model.config
    assert (config.text_vocab_size, config.boi_token_id, config.vocab_size) == (96, 96, 96 + 2 + 64)
    assert config.text_config.rope_parameters["mrope_section"] == [2, 3, 3]
    with torch.no_grad():
        torch.testing.assert_close(model(TEXT_IDS).logits[..., :96], qwen(TEXT_IDS).logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.vqmodel.quantizer.codebook(), vq_model.quantizer.codebook())
    code_rows = model.lm_head.weight[config.vision_token_offset :]
    adapted = model.model.vision_adapter(vq_model.quantizer.codebook())
    cosine = torch.nn.functional.cosine_similarity(code_rows, adapted, dim=1)
    torch.testing.assert_close(cosine, torch.ones_like(cosine))  # code rows follow the codebook through the adapter
    output = model.generate_image(TEXT_IDS, level=16, generator=torch.Generator().manual_seed(0))
    assert model.decode_image_tokens(output.image_tokens).shape == (1, 3, 16, 16)


def test_from_text_model_takes_the_language_model_of_a_qwen2_5_vl_checkpoint(tmp_path):
    torch.manual_seed(3)
    config = Qwen2_5_VLConfig(
        text_config=dict(
            **TINY_TEXT_SHAPE,
            rope_parameters={"rope_type": "default", "rope_theta": 1e4, "mrope_section": [2, 3, 3]},
        ),
        vision_config=dict(
            depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64, fullatt_block_indexes=[0]
        ),
        tie_word_embeddings=False,
    )
    qwen = Qwen2_5_VLForConditionalGeneration(config).eval()
    qwen.save_pretrained(tmp_path)
    model = NextFlowForConditionalGeneration.from_text_model(tmp_path, vq_config=tiny_vq_config()).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(TEXT_IDS).logits[..., :96], qwen(TEXT_IDS).logits, atol=1e-5, rtol=1e-5)


def test_from_text_model_refuses_other_model_families(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    LlamaForCausalLM(
        LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2)
    ).save_pretrained(tmp_path)
    import pytest

    with pytest.raises(ValueError, match="Qwen2-family.*'llama'"):
        NextFlowForConditionalGeneration.from_text_model(tmp_path, vq_config=tiny_vq_config())
