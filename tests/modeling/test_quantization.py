"""Quantised loading: bitsandbytes 8-bit and 4-bit turn the decoder's linear layers into quantised ones and leave
the tokenizer (and the shared head) in full precision. Loading only, on CPU: bitsandbytes' CPU kernels cannot run
the tiny model's narrow layers, the GPU benchmark times generation."""

import bitsandbytes as bnb
import pytest
import torch
from torch import nn
from transformers import AutoModel, BitsAndBytesConfig

from nextflow_hf.modeling import NextFlowForConditionalGeneration

from ..sequences import tiny_nextflow

QUANTISED = (bnb.nn.Linear4bit, bnb.nn.Linear8bitLt)
SETTINGS = {
    "4-bit": BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.float32),
    "8-bit": BitsAndBytesConfig(load_in_8bit=True),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("tiny")
    tiny_nextflow().save_pretrained(folder)
    return folder


@pytest.mark.parametrize("bits", SETTINGS)
@pytest.mark.parametrize("loader", [NextFlowForConditionalGeneration, AutoModel], ids=["for-generation", "base"])
def test_quantised_loading_keeps_the_tokenizer_in_full_precision(saved, bits, loader):
    model = loader.from_pretrained(saved, quantization_config=SETTINGS[bits], device_map="cpu")
    linears = {name: module for name, module in model.named_modules() if isinstance(module, nn.Linear)}
    decoder = {name: module for name, module in linears.items() if ".layers." in name and "vqmodel" not in name}
    tokenizer = {name: module for name, module in linears.items() if "vqmodel" in name}
    assert decoder and all(isinstance(module, QUANTISED) for module in decoder.values())
    assert tokenizer and not any(isinstance(module, QUANTISED) for module in tokenizer.values())
    vqmodel = model.vqmodel if loader is AutoModel else model.model.vqmodel
    assert {parameter.dtype for parameter in vqmodel.parameters()} == {torch.float32}
    if loader is NextFlowForConditionalGeneration:
        assert type(model.lm_head) is nn.Linear  # the shared text + vision head stays whole
