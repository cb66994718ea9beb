"""Labelled training images from a folder with one sub-folder per class name.

Loaded by ``datasets``' ``imagefolder`` builder (the field's loader: the same one a Hugging
Face image-classification script uses), labels inferred from the sub-folder names
(``drop_labels=False``, so a single class folder is labelled too). Sub-folders named like
splits (``train``, ``test``, ``validation``…) are read by that builder as splits, not classes:
give the folder that holds the class folders.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image

from greenbench.errors import GreenbenchError


def load_image_folder(
    directory: str | Path, n: int, seed: int = 0
) -> list[tuple[Image.Image, str]]:
    """At most ``n`` ``(RGB image, class name)`` pairs of the folder, a seeded sample of its
    images in a seeded order. GreenbenchError naming ``directory`` when it is not a folder of
    class folders or ``datasets`` cannot read it."""
    path = Path(directory).expanduser()
    if not path.is_dir():
        raise GreenbenchError(f"finetune.data {str(directory)!r}: not a directory")
    try:
        import datasets
    except ImportError:
        raise GreenbenchError(
            f"finetune.data {str(directory)!r}: an image folder needs the 'datasets' package "
            "(pip install greenbench[tasks])"
        ) from None
    try:
        data = datasets.load_dataset(
            "imagefolder", data_dir=str(path), split="train", drop_labels=False
        )
    except Exception as exc:  # datasets raises many types for "no images / unreadable"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GreenbenchError(f"finetune.data {str(directory)!r}: cannot load ({first})") from None
    if "label" not in data.features or len(data) == 0:
        raise GreenbenchError(
            f"finetune.data {str(directory)!r}: no labelled images (expected "
            "<dir>/<class name>/<image files>)"
        )
    names = data.features["label"].names
    picked = random.Random(seed).sample(range(len(data)), min(n, len(data)))
    rows = data.select(picked)
    return [(row["image"].convert("RGB"), names[row["label"]]) for row in rows]
