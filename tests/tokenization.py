"""A tiny word-level tokenizer for tests: the vocabulary of a small world of coloured shapes.

Its ids match `NextFlowConfig.tiny()`: `<|endoftext|>` 0 (bos), `<|im_end|>` 1 (eos), `<|pad|>` 2, a text
vocabulary of 96 tokens, then `<boi>` 96 and `<eoi>` 97, so vision code 0 is token 98.
"""

from transformers import PreTrainedTokenizerFast

from nextflow_hf.shapesworld.vocabulary import IMAGE_TOKENS, word_level_tokenizer

TEXT_VOCAB_SIZE = 96
WORDS = [
    *"red orange yellow green blue purple pink black".split(),
    *"circle square triangle star circles squares triangles stars".split(),
    *"small medium large left right above below of".split(),
    *"one two three four 0 1 2 3 4 5 6 7 8 9".split(),
    *"a an the is are there what which how many colour color shape image picture".split(),
    *"draw show describe yes no and with on in to user assistant system".split(),
]

__all__ = ["IMAGE_TOKENS", "TEXT_VOCAB_SIZE", "tiny_tokenizer"]


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Lower-cases, splits on whitespace and around every punctuation mark, and looks each piece up; unknown words
    become `[UNK]`. Reserved `<|extra_N|>` tokens fill the text vocabulary up to 96 ids."""
    return word_level_tokenizer(WORDS, TEXT_VOCAB_SIZE)
