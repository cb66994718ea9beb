"""The NVML source: energy of the visible NVIDIA GPUs through nvidia-ml-py (``pynvml``).

Volta and newer GPUs have a total-energy counter (``nvmlDeviceGetTotalEnergyConsumption``, mJ);
older ones only report power, which a daemon thread samples every :data:`POLL_S` seconds and
integrates. Components are ``gpu:<i>`` where ``i`` is the CUDA index after ``CUDA_VISIBLE_DEVICES``
(integers or ``GPU-<uuid>`` prefixes, read up to the first invalid entry as CUDA does); integer
entries are taken as NVML indices, which match CUDA's order when ``CUDA_DEVICE_ORDER=PCI_BUS_ID``.
Readings are device-wide: other processes on the same GPU are included. When torch is already
imported and has initialised CUDA, the GPUs are synchronised before each reading so that queued
kernels are charged to the window that launched them.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType
from typing import Any

from greenbench.energy.sampler import Integrator
from greenbench.energy.sources import SourceFactory, SourceOptions
from greenbench.errors import GreenbenchError

#: Seconds between power samples for GPUs without an energy counter.
POLL_S = 0.1


def _pynvml() -> ModuleType:
    try:
        return importlib.import_module("pynvml")
    except ImportError as exc:
        raise GreenbenchError(
            "nvidia-ml-py is not installed: `pip install nvidia-ml-py` to measure GPUs"
        ) from exc


def visible_devices(nvml: ModuleType) -> list[Any]:
    """NVML handles of the GPUs CUDA would use, in CUDA order (``CUDA_VISIBLE_DEVICES``)."""
    count = nvml.nvmlDeviceGetCount()
    handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is None:
        return handles
    uuids: list[str] | None = None
    chosen: list[Any] = []
    for token in (t.strip() for t in env.split(",")):
        if token.isdigit():
            if int(token) >= count:
                break
            chosen.append(handles[int(token)])
            continue
        if not token.startswith("GPU-"):
            break  # empty, MIG-... or garbage: CUDA stops at the first invalid entry
        if uuids is None:
            uuids = [_text(nvml.nvmlDeviceGetUUID(h)) for h in handles]
        matches = [h for h, u in zip(handles, uuids, strict=True) if u.startswith(token)]
        if len(matches) != 1:
            break
        chosen.append(matches[0])
    return chosen


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _sync_torch() -> None:
    """Wait for queued CUDA work when torch is already imported and using CUDA."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_initialized():
        for index in range(cuda.device_count()):
            cuda.synchronize(index)


class NvmlSource:
    """Measured energy of each visible GPU (``measured:nvml``)."""

    name = "nvml"

    def __init__(self) -> None:
        nvml = _pynvml()
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as exc:
            raise GreenbenchError(
                f"NVML unavailable ({exc}): needs an NVIDIA GPU and driver; use --meter estimate"
            ) from exc
        self._nvml = nvml
        try:
            handles = visible_devices(nvml)
        except nvml.NVMLError as exc:
            nvml.nvmlShutdown()
            raise GreenbenchError(f"NVML could not list GPUs: {exc}") from exc
        if not handles:
            nvml.nvmlShutdown()
            raise GreenbenchError(
                "no NVIDIA GPU visible to NVML (check CUDA_VISIBLE_DEVICES="
                f"{os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')!r})"
            )
        self._counted: dict[str, Any] = {}
        self._polled: dict[str, Any] = {}
        for index, handle in enumerate(handles):
            try:
                nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
                self._counted[f"gpu:{index}"] = handle
            except nvml.NVMLError:
                self._polled[f"gpu:{index}"] = handle
        self.components = [f"gpu:{i}" for i in range(len(handles))]
        self.provenance = dict.fromkeys(self._counted, "measured:nvml")
        self.provenance.update(
            dict.fromkeys(self._polled, f"measured:nvml(power sampled every {POLL_S} s)")
        )
        self._power = Integrator(self._read_power, POLL_S, "greenbench-nvml-power")
        if self._polled:
            self._power.start()

    def _read_power(self) -> dict[str, float]:
        return {k: self._nvml.nvmlDeviceGetPowerUsage(h) / 1000.0 for k, h in self._polled.items()}

    def read(self) -> dict[str, float]:
        """Energy per GPU in joules, from an arbitrary origin (differences are meaningful)."""
        _sync_torch()
        out = {
            k: self._nvml.nvmlDeviceGetTotalEnergyConsumption(h) / 1000.0
            for k, h in self._counted.items()
        }
        if self._polled:
            out.update(self._power.value())
        return out

    def begin(self) -> dict[str, float]:
        """State at window open: the counters."""
        return self.read()

    def end(self, state: dict[str, float]) -> dict[str, float]:
        """Joules per GPU since :meth:`begin` returned ``state``."""
        now = self.read()
        return {k: max(0.0, now[k] - state.get(k, 0.0)) for k in self.components}

    def close(self) -> None:
        """Stop power sampling and release NVML."""
        self._power.stop()
        self._nvml.nvmlShutdown()


def _build(options: SourceOptions) -> NvmlSource:
    return NvmlSource()  # device-wide: the process tree does not matter


#: The ``nvml`` entry of :data:`greenbench.energy.SOURCES`.
FACTORY = SourceFactory(build=_build)


def gpu_inventory() -> list[dict[str, Any]]:
    """Visible GPUs as ``[{"index", "name", "uuid", "memory_gib"}]``; empty without NVML."""
    try:
        nvml = importlib.import_module("pynvml")
        nvml.nvmlInit()
    except Exception:  # no library, no driver, no GPU: nothing to list
        return []
    try:
        gpus = []
        for index, handle in enumerate(visible_devices(nvml)):
            gpus.append(
                {
                    "index": index,
                    "name": _text(nvml.nvmlDeviceGetName(handle)),
                    "uuid": _text(nvml.nvmlDeviceGetUUID(handle)),
                    "memory_gib": round(nvml.nvmlDeviceGetMemoryInfo(handle).total / (1 << 30), 1),
                }
            )
        return gpus
    except nvml.NVMLError:
        return []
    finally:
        nvml.nvmlShutdown()
