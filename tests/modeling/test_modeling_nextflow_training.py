"""NextFlow under the training stack: transformers.Trainer with SFT label masking, and PEFT LoRA on the decoder."""

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file
from transformers import Trainer, TrainingArguments

from nextflow_hf.modeling.sequence_layout import IGNORE_INDEX

from ..sequences import caption_then_image, random_codes, tiny_nextflow

DECODER_LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


def sft_examples(model) -> list[dict]:
    """Two chat-like samples: a prompt (masked), an answer and an image (trained), with pre-extracted codes."""
    schedule = model.config.vq_config.scale_table.get_schedule(16)
    layout = model.model.image_layout(schedule, context=False)
    examples = []
    for seed, (prompt, answer) in enumerate([([0, 10, 11], [40, 41]), ([0, 20, 21, 22], [50])]):
        ids, labels = caption_then_image(model.config, prompt + answer, layout, random_codes(layout, seed))
        labels[len(prompt) : len(prompt) + len(answer)] = torch.tensor(answer)
        examples.append({"input_ids": ids, "labels": labels, "image_grids": torch.tensor([list(schedule[-1])])})
    return examples


def collate(examples: list[dict]) -> dict:
    """Right-pads ids (pad 2), labels (ignored) and the attention mask; concatenates the image grids."""
    length = max(len(example["input_ids"]) for example in examples)

    def pad(tensor: torch.Tensor, value: int) -> torch.Tensor:
        return torch.nn.functional.pad(tensor, (0, length - len(tensor)), value=value)

    return {
        "input_ids": torch.stack([pad(example["input_ids"], 2) for example in examples]),
        "labels": torch.stack([pad(example["labels"], IGNORE_INDEX) for example in examples]),
        "attention_mask": torch.stack([pad(torch.ones_like(example["input_ids"]), 0) for example in examples]),
        "image_grids": torch.cat([example["image_grids"] for example in examples]),
    }


def test_trainer_trains_text_and_image_with_the_prompt_masked(tmp_path):
    model = tiny_nextflow().train()
    examples = sft_examples(model)
    batch = collate(examples)
    with torch.no_grad():
        before = model(**batch).loss
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=2,
        max_steps=120,
        learning_rate=3e-3,
        lr_scheduler_type="constant",
        report_to=[],
        save_strategy="no",
        logging_steps=40,
        use_cpu=True,
        disable_tqdm=True,
    )
    Trainer(model=model, args=args, train_dataset=examples, data_collator=collate).train()
    model.eval()
    with torch.no_grad():
        after = model(**batch)
    assert after.loss < 0.25 * before
    offset = model.config.vision_token_offset
    predicted = after.logits[:, :-1, :offset].argmax(dim=-1)
    answer = (batch["labels"][:, 1:] >= 0) & (batch["labels"][:, 1:] < offset)
    assert torch.equal(predicted[answer], batch["labels"][:, 1:][answer])


def test_lora_scoped_to_the_decoder_trains_and_saves(tmp_path):
    model = tiny_nextflow().train()
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=DECODER_LORA_TARGETS))
    trainable = [name for name, parameter in peft_model.named_parameters() if parameter.requires_grad]
    assert trainable and all("lora_" in name and ".language_model." in name for name in trainable)
    assert not any("lora" in name for name, _ in peft_model.base_model.model.model.vqmodel.named_parameters())

    batch = collate(sft_examples(model))
    optimizer = torch.optim.Adam([p for p in peft_model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(15):
        loss = peft_model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]

    peft_model.eval().save_pretrained(tmp_path)
    saved = load_file(tmp_path / "adapter_model.safetensors")
    assert saved and all(".language_model." in key and "lora_" in key for key in saved)
    reloaded = PeftModel.from_pretrained(tiny_nextflow(), tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch).logits, peft_model(**batch).logits)
