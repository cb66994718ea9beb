"""Reference data shared by tasks and models without either importing the other (label lists)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def _imagenet_labels() -> tuple[str, ...]:
    text = files(__name__).joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k (ILSVRC-2012) class labels in class-index order.

    Each label is the class's WordNet synonyms joined by ", " (index 0: ``"tench, Tinca
    tinca"``, 281: ``"tabby, tabby cat"``); a classifier's output index ``i`` names
    ``imagenet_labels()[i]``.
    """
    return list(_imagenet_labels())
