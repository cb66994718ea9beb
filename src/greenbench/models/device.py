"""Where a variant runs: the one place ``device: auto`` becomes ``cpu`` or ``cuda``.

The cheap checks (:mod:`greenbench.models.validation`) and every torch backend ask
:func:`resolve_device`, so a job is validated for the device it will really use.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from greenbench.errors import GreenbenchError

if TYPE_CHECKING:
    from greenbench.models.spec import Variant


def cuda_available() -> bool:
    """True when torch is installed and sees a CUDA device (torch is not imported otherwise)."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return torch.cuda.is_available()


def resolve_device(variant: Variant) -> str:
    """The torch device string a variant runs on: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    - ``quantization: int8-dynamic`` / ``int8-weight-only`` run on the CPU whatever ``device``
      says (the int8 kernels used are the CPU ones; :func:`greenbench.models.check_variant`
      refuses an explicit ``cuda`` for them);
    - ``device: auto`` is ``cuda`` when a CUDA device is visible, else ``cpu``;
    - an explicit device is kept; ``cuda``/``cuda:N`` without a visible GPU raises
      :class:`GreenbenchError` naming the field.
    """
    from greenbench.models.spec import CPU_INT8

    if variant.quantization in CPU_INT8:
        return "cpu"
    if variant.device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if variant.device.startswith("cuda") and not cuda_available():
        raise GreenbenchError(
            f"variant.device {variant.device!r}: no CUDA GPU is visible; use 'cpu' or 'auto'"
        )
    return variant.device
