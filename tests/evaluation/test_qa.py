"""Question answering: normalised exact match."""

import pytest

from nextflow_hf.evaluation import answers_match, normalize_answer, qa_accuracy


@pytest.mark.parametrize(
    "prediction, reference",
    [
        ("2", "two"),
        ("Two.", "2"),
        ("There are THE two", "there are 2"),
        ("To the left of.", "left of"),
        ("Yes!", "yes"),
        ("The red circle", "red circle"),
        ("  blue  ", "blue"),
        ("seventeen", "17"),
    ],
)
def test_equal_answers_match(prediction, reference):
    assert answers_match(prediction, reference)


@pytest.mark.parametrize(
    "prediction, reference", [("3", "two"), ("no", "yes"), ("right of", "left of"), ("red square", "red circle")]
)
def test_different_answers_do_not_match(prediction, reference):
    assert not answers_match(prediction, reference)


def test_normal_form():
    assert normalize_answer("The Two.") == "2"
    assert normalize_answer("An orange, star!") == "orange star"


def test_accuracy_is_the_fraction_matched():
    assert qa_accuracy(["two", "blue", "no"], ["2", "blue", "yes"]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="2 predictions for 1 references"):
        qa_accuracy(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="empty"):
        qa_accuracy([], [])
