"""The ``hf`` backend's image classifiers: top-k labels, and fine-tuning on labelled images.

Both preprocess with the model's own image processor (:func:`.hf_inputs.pixel_values`), so a
fine-tuned model trains on the inputs it is evaluated on; labels are ``config.id2label``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from greenbench.models.backends import hf_inputs
from greenbench.models.backends.hf_generate import CPU_AUTO_BATCH, GPU_AUTO_BATCH_MAX
from greenbench.models.base import FineTuneResult
from greenbench.models.spec import FineTune

if TYPE_CHECKING:
    from greenbench.models.backends.hf import HFBackend


def labels(backend: HFBackend) -> list[str]:
    """The model's class names in output order (``config.id2label``)."""
    id2label = backend.model.config.id2label
    return [str(id2label[i]) for i in range(len(id2label))]


def classify(backend: HFBackend, images: Sequence[Any], top_k: int) -> list[list[str]]:
    """Top ``top_k`` label names per PIL image, best first, in batches of the variant's size
    (``auto``: :data:`CPU_AUTO_BATCH` on CPU, :data:`GPU_AUTO_BATCH_MAX` on CUDA)."""
    names = labels(backend)
    k = min(top_k, len(names))
    if backend.variant.batch_size == "auto":
        on_cuda = backend.loaded.device.type == "cuda"
        batch_size = GPU_AUTO_BATCH_MAX if on_cuda else CPU_AUTO_BATCH
    else:
        batch_size = backend.variant.batch_size
    out: list[list[str]] = []
    for start in range(0, len(images), batch_size):
        pixels = hf_inputs.pixel_values(backend.loaded, images[start : start + batch_size])
        with torch.inference_mode():
            logits = backend.model(pixel_values=pixels).logits
        for row in logits.topk(k, dim=-1).indices.tolist():
            out.append([names[i] for i in row])
        backend.advance(len(logits))
    return out


def finetune(
    backend: HFBackend,
    pairs: Sequence[tuple[Any, str]],
    config: FineTune,
    output_dir: str | None,
) -> FineTuneResult:
    """Train on ``(image, class name)`` pairs, ``head`` or ``full``
    (:mod:`greenbench.models.finetune_image`)."""
    from greenbench.models.finetune_image import finetune_classifier

    model = backend.model
    return finetune_classifier(
        model,
        pairs,
        config,
        labels=labels(backend),
        to_pixels=lambda images: hf_inputs.pixel_values(backend.loaded, images),
        forward=lambda pixels: model(pixel_values=pixels).logits,
        output_dir=output_dir,
        on_step=backend.advance,
    )
