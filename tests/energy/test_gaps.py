"""A job on CUDA whose GPU no source measures is flagged, never passed over (issue 12, item 2)."""

from __future__ import annotations

import sys
import types

import pytest

from greenbench.energy import EnergyMeter
from greenbench.energy.gaps import unmeasured


class NVMLError(Exception):
    """Stands in for pynvml.NVMLError."""


def _pynvml(*, init_error: str | None = None, uuids: tuple[str, ...] = ()) -> types.ModuleType:
    """The pynvml calls the NVML source makes, over GPUs with ``uuids`` and energy counters."""
    mod = types.ModuleType("pynvml")
    mod.NVMLError = NVMLError

    def init():
        if init_error:
            raise NVMLError(init_error)

    mod.nvmlInit = init
    mod.nvmlShutdown = lambda: None
    mod.nvmlDeviceGetCount = lambda: len(uuids)
    mod.nvmlDeviceGetHandleByIndex = lambda i: uuids[i]
    mod.nvmlDeviceGetUUID = lambda handle: handle
    mod.nvmlDeviceGetTotalEnergyConsumption = lambda handle: 0
    return mod


def test_a_cuda_job_with_nvml_unavailable_is_flagged(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _pynvml(init_error="Driver Not Loaded"))
    with EnergyMeter("estimate") as named, EnergyMeter("auto") as auto:
        assert unmeasured(auto, "cpu") == []  # no GPU used: nothing is missing
        (gap,) = unmeasured(auto, "cuda:0")
        assert gap.startswith("GPU energy not measured: NVML unavailable (Driver Not Loaded)")
        assert auto.skipped["nvml"] in gap  # the reason auto skipped NVML, not swallowed
        assert unmeasured(named, "cuda") == [
            "GPU energy not measured: meter 'estimate' reads no GPU; use meter auto or nvml"
        ]


def test_a_mig_instance_in_cuda_visible_devices_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _pynvml(uuids=("GPU-aaaa",)))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "MIG-1234-5678")
    with EnergyMeter("auto") as meter:
        (gap,) = unmeasured(meter, "cuda")
    assert "no NVIDIA GPU visible to NVML" in gap and "names a MIG instance" in gap


@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_a_measured_gpu_is_no_gap(monkeypatch, device):
    monkeypatch.setitem(sys.modules, "pynvml", _pynvml(uuids=("GPU-aaaa",)))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with EnergyMeter("auto") as meter:
        assert unmeasured(meter, device) == []
