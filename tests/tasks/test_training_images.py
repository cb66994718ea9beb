"""Labelled images to fine-tune an image classifier on: the task's own (offline ``data.train``,
the hub's train split) and an image folder read by ``datasets``' imagefolder loader."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
from PIL import Image

from greenbench.data import imagenet_labels
from greenbench.errors import GreenbenchError
from greenbench.tasks import load_task
from greenbench.tasks.image_folder import load_image_folder


def test_offline_training_images_are_never_evaluation_images():
    task = load_task("image-classification")
    pairs = task.training_images(100, seed=0)
    assert len(pairs) == 28  # 7 bundled photos x 4 training views
    evaluation = [np.asarray(s.image) for s in task.samples()]
    for image, _ in pairs:
        pixels = np.asarray(image)
        assert not any(e.shape == pixels.shape and np.array_equal(e, pixels) for e in evaluation)
    names = {name for _, name in pairs}
    assert names == {imagenet_labels()[s.reference[0]] for s in task.samples()}
    assert "tabby, tabby cat" in names
    # a seeded sample: the same seed gives the same images, another seed another order
    again = [name for _, name in task.training_images(5, seed=0)]
    assert again == [name for _, name in task.training_images(5, seed=0)]
    assert len(again) == 5


def test_hub_training_images_come_from_the_train_split(monkeypatch):
    """ImageNet is gated (a token), so its loader is mocked, as in test_tasks_hub."""
    seen = []

    def load_dataset(path, name=None, split=None, revision=None, streaming=False):
        seen.append((path, split))
        image = Image.new("RGB", (4, 4), "white")
        return datasets.Dataset.from_list([{"image": image, "label": 281}] * 3)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    pairs = load_task("image-classification", source="hub").training_images(2)
    assert seen == [("ILSVRC/imagenet-1k", "train")]
    assert [name for _, name in pairs] == ["tabby, tabby cat"] * 2


def test_a_text_task_has_no_training_images():
    with pytest.raises(GreenbenchError, match="not an image classification task"):
        load_task("sentiment").training_images(3)


def _write_folder(root, classes: dict[str, tuple[int, int, int]], per_class: int) -> None:
    for name, colour in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", (12, 10), colour).save(root / name / f"{i}.png")


def test_an_image_folder_loads_through_datasets_with_folder_names_as_classes(tmp_path):
    _write_folder(tmp_path, {"tabby": (200, 120, 40), "volcano": (90, 90, 90)}, 3)
    pairs = load_image_folder(tmp_path, 10, seed=0)
    assert sorted(name for _, name in pairs) == ["tabby"] * 3 + ["volcano"] * 3
    for image, name in pairs:
        assert image.mode == "RGB" and image.size == (12, 10)
        expected = (200, 120, 40) if name == "tabby" else (90, 90, 90)
        assert image.getpixel((0, 0)) == expected
    assert len(load_image_folder(tmp_path, 4, seed=1)) == 4


def test_a_single_class_folder_is_still_labelled(tmp_path):
    _write_folder(tmp_path, {"espresso": (60, 30, 10)}, 2)
    assert [name for _, name in load_image_folder(tmp_path, 5)] == ["espresso", "espresso"]


def test_an_image_folder_that_is_not_a_directory_is_named(tmp_path):
    with pytest.raises(GreenbenchError, match=r"finetune.data '.*nowhere': not a directory"):
        load_image_folder(tmp_path / "nowhere", 3)
