"""English for ShapesWorld: articles, number words, object lists and unambiguous references."""

import pytest

from nextflow_hf.shapesworld import Scene, ShapeObject
from nextflow_hf.shapesworld.words import list_objects, number_word, reference, with_article


def obj(shape, color, x):
    return ShapeObject(shape, color, "small", x, 0.5)


def test_articles_follow_the_next_word():
    assert with_article("circle") == "a circle" and with_article("orange star") == "an orange star"


def test_number_words_stop_at_four():
    assert number_word(0) == "zero" and number_word(4) == "four"
    with pytest.raises(ValueError, match="count 5"):
        number_word(5)


def test_alike_objects_are_counted_in_lists():
    objects = [obj("star", "pink", 0.2), obj("circle", "red", 0.5), obj("star", "pink", 0.8)]
    assert list_objects(objects) == "two pink stars and a red circle"
    assert list_objects(objects[:1]) == "a pink star"


def test_references_are_the_shortest_unambiguous_names():
    scene = Scene(
        (obj("star", "pink", 0.2), obj("star", "red", 0.5), obj("star", "pink", 0.8), obj("square", "red", 0.1))
    )
    assert [reference(scene, i) for i in range(4)] == [None, "red star", None, "square"]
