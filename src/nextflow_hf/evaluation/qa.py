"""Question-answering accuracy by normalised exact match.

Replies are first put in ShapesWorld's canonical answer form (`shapesworld.normalize_answer`: relation phrasings
such as "to the left of" become "left of", a leading article goes), then normalised further so that form does not
matter: lower case, punctuation removed, every article ("a", "an", "the") dropped, number words from "zero" to
"twenty" written as digits ("two" and "2" both become "2"), whitespace collapsed. Prediction and reference are
equal when their normalised forms are.
"""

import re
from collections.abc import Sequence

from ..shapesworld import normalize_answer as canonical_answer

ARTICLES = frozenset({"a", "an", "the"})
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty"
).split()
DIGITS = {word: str(value) for value, word in enumerate(NUMBER_WORDS)}


def normalize_answer(text: str) -> str:
    """`text` in the form answers are compared in (see the module docstring): "The Two." → "2"."""
    words = re.sub(r"[^\w\s]", " ", canonical_answer(text)).split()
    return " ".join(DIGITS.get(word, word) for word in words if word not in ARTICLES)


def answers_match(prediction: str, reference: str) -> bool:
    """Whether `prediction` and `reference` are the same answer after normalisation."""
    return normalize_answer(prediction) == normalize_answer(reference)


def qa_accuracy(predictions: Sequence[str], references: Sequence[str]) -> float:
    """The fraction of predictions that match their reference."""
    if len(predictions) != len(references):
        raise ValueError(f"Got {len(predictions)} predictions for {len(references)} references.")
    if not predictions:
        raise ValueError("Cannot score an empty set of answers.")
    return sum(map(answers_match, predictions, references)) / len(predictions)
