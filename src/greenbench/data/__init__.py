"""Reference data shared by tasks and models without either importing the other (label lists)."""

from __future__ import annotations

from collections.abc import Sequence
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


def label_table(labels: Sequence[str]) -> dict[str, int]:
    """Lower-cased label or synonym -> index into ``labels``.

    A label is its synonyms joined by ", " (ImageNet's ``"tabby, tabby cat"``): each synonym
    and the whole label name the class. Whole labels win over synonyms; the first class to use a
    synonym keeps it. The one rule by which a class name (a predicted label, an image folder's
    sub-folder) is matched to a model's or ImageNet's labels.
    """
    table: dict[str, int] = {}
    for i, line in enumerate(labels):
        for synonym in (s.strip().lower() for s in line.split(",")):
            table.setdefault(synonym, i)
    for i, line in enumerate(labels):
        table[line.lower()] = i
    return table
