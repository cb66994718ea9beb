"""An image classifier's class names, and the checks a fine-tuning of it passes before loading.

A training image carries a class name (an ImageNet label of the task, or the name of the image
folder's sub-folder it sits in); it is matched to the model's own labels by
:func:`greenbench.data.label_table` (a whole label or one of its comma-separated synonyms,
case-insensitive), so ``tabby``, ``tabby cat`` and ``tabby, tabby cat`` all name ImageNet
class 281, and a hf model's ``config.id2label`` is matched the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from greenbench.data import label_table
from greenbench.errors import GreenbenchError
from greenbench.models.spec import ModelSpec, Variant

#: Fine-tuning methods an image classifier takes: ``head`` (linear probe) or ``full``.
IMAGE_METHODS = ("head", "full")


def label_ids(names: Sequence[str], labels: Sequence[str], where: str) -> list[int]:
    """The index in ``labels`` of each class name; GreenbenchError naming the first class that
    is not among them (``where`` says whose classes they are)."""
    table = label_table(labels)
    ids = []
    for name in names:
        found = table.get(str(name).strip().lower())
        if found is None:
            example = str(labels[0]).split(",")[0] if labels else ""
            raise GreenbenchError(
                f"{where}: class {name!r} is not among the model's {len(labels)} labels "
                f"(a label or one of its comma-separated synonyms, e.g. {example!r})"
            )
        ids.append(found)
    return ids


def folder_classes(directory: str | Path) -> list[str]:
    """The class names of an image folder: its sub-folders' names, sorted (as the
    ``imagefolder`` loader of ``datasets`` names its labels); GreenbenchError when it has none."""
    path = Path(directory).expanduser()
    if not path.is_dir():
        raise GreenbenchError(
            f"variant.finetune.data {str(directory)!r}: not a directory; an image classifier "
            "trains on 'task', 'task:<name>' or an image folder with one sub-folder per class"
        )
    names = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise GreenbenchError(
            f"variant.finetune.data {str(directory)!r}: no class sub-folders (expected "
            "<dir>/<class name>/<image files>)"
        )
    return names


def known_labels(spec: ModelSpec, kind: str) -> list[str] | None:
    """The model's labels when they can be read without loading it: a zoo classifier's label
    set, or ``id2label`` in a local hf directory's ``config.json``; None otherwise (a hub id:
    its labels are checked once loaded)."""
    if kind == "torch" and spec.source.startswith("zoo:"):
        from greenbench.models.backends.torch_classifier import Preprocess

        return list(Preprocess.from_zoo(spec.source[4:]).labels)
    config = Path(spec.source).expanduser() / "config.json"
    if kind == "hf" and config.is_file():
        id2label = json.loads(config.read_text(encoding="utf-8")).get("id2label") or {}
        return [str(id2label[k]) for k in sorted(id2label, key=int)] or None
    return None


def check_image_finetune(spec: ModelSpec, variant: Variant, kind: str) -> None:
    """Refuse a fine-tuning an image classifier cannot take: a method other than ``head`` or
    ``full``, a backend that cannot train it, a JSONL file of text pairs, an image folder whose
    classes the model does not have (when its labels are known before loading)."""
    config = variant.finetune
    assert config is not None
    if config.method not in IMAGE_METHODS:
        raise GreenbenchError(
            f"variant.finetune.method {config.method!r}: model {spec.name!r} is an image "
            "classifier; use 'head' (linear probe) or 'full'"
        )
    if kind not in ("hf", "torch"):
        raise GreenbenchError(
            f"variant.finetune: an image classifier trains on backend 'hf' or 'torch', not {kind!r}"
        )
    if variant.quantization != "none":
        raise GreenbenchError(
            f"variant.finetune: an image classifier trains on unquantized weights; set "
            f"variant.quantization 'none' (got {variant.quantization!r})"
        )
    if variant.dtype == "fp16":
        raise GreenbenchError(
            "variant.finetune in fp16 overflows without loss scaling; set variant.dtype "
            "'fp32' or 'bf16'"
        )
    if config.data == "task" or config.data.startswith("task:"):
        return
    classes = folder_classes(config.data)
    labels = known_labels(spec, kind)
    if labels is not None:
        label_ids(classes, labels, f"variant.finetune.data {config.data!r}")
