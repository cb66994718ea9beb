"""Where a job runs: the one place ``device: auto`` becomes ``cpu`` or ``cuda[:N]``, and why.

:func:`resolve_device` is asked by the cheap checks (:mod:`greenbench.models.validation`), by
every built-in backend (hf, torch, onnx, llama.cpp) and by the Ray executor's GPU request
(:mod:`greenbench.sweep.executors.placement`), so a job is validated, placed and run for the same
device. Two probes feed it, each patchable alone in tests:

- :func:`cuda_available`: whether this process sees a CUDA device at all;
- :func:`engine_has_cuda`: whether the engine that runs the job was built to use one
  (onnxruntime's CUDA execution provider, llama.cpp's GPU offload; torch needs nothing more).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from greenbench.errors import GreenbenchError
from greenbench.models.backends import backend_kind

if TYPE_CHECKING:
    from greenbench.models.spec import ModelSpec, Variant

#: Engines whose CUDA support depends on how they were built, and the fix to name when absent.
_ENGINE_CUDA_FIX = {
    "onnx": "onnxruntime has no CUDA execution provider here (install onnxruntime-gpu)",
    "llamacpp": "this llama-cpp-python was built without GPU offload (rebuild it with "
    "CMAKE_ARGS=-DGGML_CUDA=on)",
}


@dataclass(frozen=True)
class DeviceChoice:
    """The device one job runs on, and the rule that chose it."""

    device: str
    """``"cpu"``, ``"cuda"`` (the first visible GPU) or ``"cuda:N"``."""
    reason: str
    """One line: which rule decided (shown in the record's backend description)."""

    @property
    def on_cuda(self) -> bool:
        """Whether the job runs on a CUDA GPU."""
        return self.device.startswith("cuda")

    @property
    def index(self) -> int:
        """The CUDA device index (0 for plain ``cuda``); meaningless on the CPU."""
        return int(self.device.partition(":")[2] or 0)


def cuda_available() -> bool:
    """True when this process sees a CUDA device.

    Asks torch when installed (it honours ``CUDA_VISIBLE_DEVICES``); without torch (e.g. a
    llama.cpp-only install) asks NVML for a device count, with ``CUDA_VISIBLE_DEVICES`` empty
    or ``-1`` meaning none is visible, as CUDA reads it.
    """
    if importlib.util.find_spec("torch") is not None:
        import torch

        return torch.cuda.is_available()
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):
        return False
    if importlib.util.find_spec("pynvml") is None:
        return False
    import pynvml

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no NVIDIA driver
        return False
    try:
        return pynvml.nvmlDeviceGetCount() > 0
    finally:
        pynvml.nvmlShutdown()


@functools.cache
def engine_has_cuda(engine: str) -> bool:
    """Whether ``engine`` (a backend kind) can run on a CUDA GPU as installed here.

    torch-based engines (``hf``, ``torch``, plugins) always can; ``onnx`` needs onnxruntime's
    CUDA execution provider; ``llamacpp`` a llama.cpp built with GPU offload; ``estimate`` runs
    nothing locally. An engine that is not installed cannot.
    """
    if engine == "estimate":
        return False
    if engine == "onnx":
        if importlib.util.find_spec("onnxruntime") is None:
            return False
        import onnxruntime

        return "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    if engine == "llamacpp":
        if importlib.util.find_spec("llama_cpp") is None:
            return False
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    return True


def resolve_device(
    model: ModelSpec,
    variant: Variant,
    engine: str | None = None,
    *,
    cuda_visible: bool | None = None,
) -> DeviceChoice:
    """The device ``variant`` of ``model`` runs on under ``engine``, and why.

    Args:
        model, variant: the job.
        engine: the backend kind that runs it (None: :func:`backend_kind` of the job).
        cuda_visible: whether a CUDA device is visible (None: :func:`cuda_available` here; the
            Ray driver passes whether the cluster has GPUs).

    Rules, in order:

    - ``kind: estimate`` runs nothing locally: ``cpu``;
    - ``quantization: int8-dynamic`` / ``int8-weight-only`` are CPU-only (the int8 kernels
      used are the CPU ones): ``cpu`` whatever the device (an explicit ``cuda`` is refused by
      :func:`greenbench.models.check_variant`);
    - ``device: auto`` is ``cuda`` when a CUDA device is visible and the engine can use it,
      else ``cpu``;
    - an explicit ``cpu``/``cuda``/``cuda:N`` is kept.

    Raises:
        GreenbenchError: an explicit ``cuda``/``cuda:N`` with no visible GPU, or with an engine
            built without CUDA, naming ``variant.device``.
    """
    engine = engine or backend_kind(model, variant)
    if engine == "estimate":
        return DeviceChoice("cpu", "an estimate model runs nothing locally")
    from greenbench.models.spec import CPU_INT8

    if variant.quantization in CPU_INT8:
        return DeviceChoice("cpu", f"{variant.quantization} kernels are CPU-only")
    visible = cuda_available() if cuda_visible is None else cuda_visible
    engine_cuda = engine_has_cuda(engine)
    if variant.device == "auto":
        if not visible:
            return DeviceChoice("cpu", "device auto: no CUDA device visible")
        if not engine_cuda:
            why = _ENGINE_CUDA_FIX[engine].split(" (")[0]
            return DeviceChoice("cpu", f"device auto: {why}")
        return DeviceChoice("cuda", f"device auto: a CUDA device is visible to {engine}")
    if variant.device.startswith("cuda"):
        if not visible:
            raise GreenbenchError(
                f"variant.device {variant.device!r}: no CUDA GPU is visible; use 'cpu' or 'auto'"
            )
        if not engine_cuda:
            raise GreenbenchError(
                f"variant.device {variant.device!r}: {_ENGINE_CUDA_FIX[engine]}; use cpu or auto"
            )
    return DeviceChoice(variant.device, f"device {variant.device} set in the variant")
