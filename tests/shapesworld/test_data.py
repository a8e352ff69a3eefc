"""`datasets` builders: tiny datasets build streaming and on disk with identical rows per seed, images included."""

import numpy as np
import PIL.Image
import pytest
from datasets import Dataset, IterableDataset, load_from_disk

from nextflow_hf.shapesworld import render
from nextflow_hf.shapesworld.data import BUILDERS, build_dataset, caption_dataset, edit_dataset, question_dataset
from nextflow_hf.shapesworld.serialization import prompt_from_json, scene_from_json

from .checks import satisfies

SIZE = {"height": 32, "width": 32}
IMAGE_COLUMNS = {
    "captions": ["image"],
    "knowledge": ["image"],
    "qa": ["image"],
    "edits": ["source_image", "target_image"],
    "stories": ["images"],
    "videos": ["frames"],
}
SCENE_COLUMNS = {"edits": ["source_scene", "target_scene"], "stories": ["scenes"], "videos": ["scenes"]}


def plain(value):
    """A row value with images as arrays, so rows compare with ==."""
    if isinstance(value, PIL.Image.Image):
        return np.asarray(value).tolist()
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def plain_rows(dataset):
    return [{key: plain(value) for key, value in row.items()} for row in dataset]


@pytest.mark.parametrize("task", BUILDERS)
def test_streaming_and_on_disk_rows_are_identical_for_a_seed(task, tmp_path):
    on_disk = build_dataset(task, 3, seed=7, cache_dir=str(tmp_path / "cache"), **SIZE)
    streaming = build_dataset(task, 3, seed=7, streaming=True, **SIZE)
    assert isinstance(on_disk, Dataset) and isinstance(streaming, IterableDataset)
    on_disk.save_to_disk(str(tmp_path / "saved"))
    rows = plain_rows(on_disk)
    assert len(rows) == 3
    assert plain_rows(streaming) == rows
    assert plain_rows(load_from_disk(str(tmp_path / "saved"))) == rows
    assert plain_rows(build_dataset(task, 3, seed=8, streaming=True, **SIZE)) != rows


@pytest.mark.parametrize("task", BUILDERS)
def test_images_are_the_rendered_scenes_at_the_requested_size(task):
    row = next(iter(build_dataset(task, 1, seed=1, height=24, width=48, streaming=True)))
    scene_column = SCENE_COLUMNS.get(task, ["scene"])
    for scene_name, image_name in zip(scene_column, IMAGE_COLUMNS[task]):
        scenes = row[scene_name] if isinstance(row[scene_name], list) else [row[scene_name]]
        images = row[image_name] if isinstance(row[image_name], list) else [row[image_name]]
        assert len(scenes) == len(images) >= 1
        for text, image in zip(scenes, images):
            scene = scene_from_json(text)
            assert image.size == (48, 24) and scene.aspect_ratio == 0.5
            assert np.array_equal(np.asarray(image), np.asarray(render(scene, 24, 48)))


def test_caption_rows_cycle_through_categories_and_store_their_prompts():
    rows = list(caption_dataset(12, split="test", streaming=True, **SIZE))
    assert [row["category"] for row in rows[:6]] == [row["category"] for row in rows[6:]]
    assert len({row["category"] for row in rows}) == 6
    for row in rows:
        prompt = prompt_from_json(row["drawing_prompt"])
        assert prompt.text == row["prompt"] and satisfies(prompt, scene_from_json(row["scene"]))


def test_kinds_can_be_chosen():
    assert {row["kind"] for row in question_dataset(4, kinds=["count"], streaming=True, **SIZE)} == {"count"}
    assert [row["kind"] for row in edit_dataset(4, kinds=("add", "move"), streaming=True, **SIZE)] == [
        "add",
        "move",
        "add",
        "move",
    ]


def test_streaming_without_a_size_is_endless():
    rows = caption_dataset(streaming=True, **SIZE).take(8)
    assert len(list(rows)) == 8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "captions", "num_rows": None}, "needs num_rows"),
        ({"task": "captions", "num_rows": -1}, "rows -1"),
        ({"task": "captioning", "num_rows": 1}, "'captioning'"),
        ({"task": "captions", "num_rows": 1, "split": "dev"}, "'dev'"),
        ({"task": "captions", "num_rows": 1, "height": 32, "width": 256}, "aspect ratio 0.125"),
        ({"task": "captions", "num_rows": 1, "height": 0, "width": 32}, "0×32"),
        ({"task": "captions", "num_rows": 1, "categories": ["shapes"]}, "'shapes'"),
        ({"task": "qa", "num_rows": 1, "kinds": []}, "At least one"),
        ({"task": "edits", "num_rows": 1, "kinds": ["flip"]}, "'flip'"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_dataset(**kwargs)
