"""A tiny word-level tokenizer for tests, built offline: the vocabulary of a small world of coloured shapes.

Its ids match `NextFlowConfig.tiny()`: `<|endoftext|>` 0 (bos), `<|im_end|>` 1 (eos), `<|pad|>` 2, a text
vocabulary of 96 tokens, then `<boi>` 96 and `<eoi>` 97, so vision code 0 is token 98.
"""

from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers
from transformers import PreTrainedTokenizerFast

TEXT_VOCAB_SIZE = 96

# Ids 0-5, in this order.
CONTROL_TOKENS = ["<|endoftext|>", "<|im_end|>", "<|pad|>", "<|image_pad|>", "<|im_start|>", "[UNK]"]
WORDS = [
    *"red orange yellow green blue purple pink black".split(),
    *"circle square triangle star circles squares triangles stars".split(),
    *"small medium large left right above below of".split(),
    *"one two three four 0 1 2 3 4 5 6 7 8 9".split(),
    *"a an the is are there what which how many colour color shape image picture".split(),
    *"draw show describe yes no and with on in to user assistant system".split(),
    *". , ? : !".split(),
]
# A token of its own, so chat turns keep their line breaks through encode and decode.
NEWLINE = "\n"
IMAGE_TOKENS = {"image_token": "<|image_pad|>", "boi_token": "<boi>", "eoi_token": "<eoi>"}


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Lower-cases, splits on whitespace and around every punctuation mark, and looks each piece up; unknown words
    become `[UNK]`. Reserved `<|extra_N|>` tokens fill the text vocabulary up to 96 ids."""
    vocab = [*CONTROL_TOKENS, *WORDS, NEWLINE]
    extras = [f"<|extra_{index}|>" for index in range(TEXT_VOCAB_SIZE - len(vocab))]
    vocab += [*extras, IMAGE_TOKENS["boi_token"], IMAGE_TOKENS["eoi_token"]]
    backend = Tokenizer(models.WordLevel({token: index for index, token in enumerate(vocab)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    specials = [*CONTROL_TOKENS, *extras, IMAGE_TOKENS["boi_token"], IMAGE_TOKENS["eoi_token"]]
    backend.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in specials])
    backend.add_tokens([AddedToken(NEWLINE, normalized=False)])
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        unk_token="[UNK]",
        padding_side="left",
        extra_special_tokens=IMAGE_TOKENS,
    )
