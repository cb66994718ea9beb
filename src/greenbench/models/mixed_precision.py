"""Mixed precision for fine-tuning: bf16 autocast around the forward pass, or none.

``finetune.mixed_precision`` (accelerate's and ``TrainingArguments``' notion, spelled as
accelerate spells it):

- ``no`` (default): every operation in the model's dtype.
- ``bf16``: the forward pass runs under ``torch.autocast`` in bfloat16 — matrix products and
  attention in bf16, reductions, norms and the loss in fp32 (autocast's own op lists) — while
  the weights, their gradients and the optimizer state stay in the model's dtype. This is how
  LoRA and full fine-tunes are usually trained (``bf16=True`` in transformers' Trainer); the
  adapter or weights saved, and the model evaluated afterwards, keep their dtype.
- ``auto``: ``bf16`` where the device computes bf16 natively — a CUDA GPU that reports bf16
  support, a CPU for which oneDNN has bf16 kernels (AVX-512 or AMX) — else ``no``; the record
  says which was used.

On a CPU with AVX-512 bf16, a LoRA step of the quickstart (SmolLM2-135M, 4 text-to-SQL pairs of
~320 tokens) takes ~1.5 s instead of ~2.6 s, with the loss curve within 1 % of fp32's
(docs/models.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

import torch

MixedPrecision = Literal["no", "bf16"]


def native_bf16(device: torch.device | str) -> bool:
    """Whether ``device`` computes bf16 natively: CUDA's own report, or oneDNN's bf16 kernels
    on a CPU (a private torch op; absent in a build means no)."""
    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        try:
            return bool(probe()) if probe is not None else False
        except RuntimeError:
            return False
    return False


def resolve(requested: str, device: torch.device | str) -> MixedPrecision:
    """The mixed precision a run uses: ``requested`` (``no``/``bf16``), or for ``auto`` ``bf16``
    where :func:`native_bf16` holds, else ``no``."""
    if requested == "auto":
        return "bf16" if native_bf16(device) else "no"
    if requested not in ("no", "bf16"):
        raise ValueError(f"mixed_precision {requested!r}: expected no, bf16 or auto")
    return requested  # type: ignore[return-value]


@contextlib.contextmanager
def autocast(choice: MixedPrecision, device: torch.device | str) -> Iterator[None]:
    """The forward pass's context: bf16 autocast on ``device``'s type, or nothing for ``no``."""
    if choice == "no":
        yield
        return
    with torch.autocast(torch.device(device).type, dtype=torch.bfloat16):
        yield
