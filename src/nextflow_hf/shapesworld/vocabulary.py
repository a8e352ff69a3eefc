"""The text tokenizer of ShapesWorld models: word level, with Qwen-style chat and image special tokens.

ShapesWorld's language is small and closed, so every word is one token and nothing is ever split; the ids are
stable, so a checkpoint's embeddings line up with the tokenizer forever. The text vocabulary is padded with reserved
`<|extra_N|>` tokens to a fixed size, and `<boi>`, `<eoi>` follow it, as `NextFlowConfig` lays the vocabulary out.
"""

from collections.abc import Sequence

from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers
from transformers import PreTrainedTokenizerFast

# Bos, eos, pad, the image placeholder, the chat turn opener and the unknown word, in this order (ids 0-5).
CONTROL_TOKENS = ("<|endoftext|>", "<|im_end|>", "<|pad|>", "<|image_pad|>", "<|im_start|>", "[UNK]")
IMAGE_TOKENS = {"image_token": "<|image_pad|>", "boi_token": "<boi>", "eoi_token": "<eoi>"}
# A token of its own, so chat turns keep their line breaks through encode and decode.
NEWLINE = "\n"
PUNCTUATION = (".", ",", "?", "!", ":", ";", "'")
# Every word ShapesWorld's captions, questions, answers, edits, stories, videos and knowledge prompts use (a test
# checks this on samples of every task and split), plus the chat roles.
SHAPESWORLD_WORDS = (
    "a above across add an and appears are banana becomes beginning begins below beneath black blue bubblegum can "
    "change changes circle circles clip coal color colour coloured compared contain contains count delete describe "
    "disappears does down drawing drifts eggplant exactly exists find flamingo four get gliding grass green has have "
    "higher how image in insert is large left lemon like lime longer make many me medium move moves name next night "
    "no now nowhere object ocean of on one orange out paint photo picture pink plum pops position pumpkin purple put "
    "recolour red relation relative remove repainted resize rid right ripe see shape shift short showing shows "
    "single size sky slide small so square squares star stars start story strawberry tell than that the then there "
    "three to together tomato travels triangle triangles turns two under up vanishes we what where which with "
    "yellow yes you zero user assistant system draw bigger smaller"
).split()
SHAPESWORLD_TEXT_VOCAB_SIZE = 256


def word_level_tokenizer(words: Sequence[str], text_vocab_size: int) -> PreTrainedTokenizerFast:
    """A lower-casing word-level tokenizer that splits on whitespace and around punctuation: the control tokens,
    `words`, punctuation and the newline, reserved tokens up to `text_vocab_size`, then `<boi>` and `<eoi>`.
    Unknown words become `[UNK]`."""
    vocab = list(dict.fromkeys([*CONTROL_TOKENS, *words, *PUNCTUATION, NEWLINE]))
    if len(vocab) > text_vocab_size:
        raise ValueError(f"{len(vocab)} tokens do not fit a text vocabulary of {text_vocab_size}; raise the size.")
    extras = [f"<|extra_{index}|>" for index in range(text_vocab_size - len(vocab))]
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


def shapesworld_tokenizer() -> PreTrainedTokenizerFast:
    """The tokenizer of the ShapesWorld checkpoints: 256 text ids, `<boi>` 256, `<eoi>` 257, vision code 0 at 258."""
    return word_level_tokenizer(SHAPESWORLD_WORDS, SHAPESWORLD_TEXT_VOCAB_SIZE)
