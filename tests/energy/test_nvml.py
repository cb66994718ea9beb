"""The NVML source.

Most tests run against a FAKE of the few nvidia-ml-py (``pynvml``) calls the source makes,
installed in ``sys.modules``: this machine has no GPU. ``test_real_gpu`` runs the real library
and is skipped where no NVIDIA GPU is present.
"""

from __future__ import annotations

import sys
import time
import types
from dataclasses import dataclass

import pytest

from greenbench.energy import EnergyMeter
from greenbench.energy.nvml import gpu_inventory
from greenbench.errors import GreenbenchError


class FakeNVMLError(Exception):
    """Stands in for pynvml.NVMLError."""


@dataclass
class FakeGpu:
    uuid: str
    energy_mj: int | None = 0  # None: no energy counter (pre-Volta), power polling instead
    power_mw: int = 0


def fake_pynvml(gpus: list[FakeGpu], init_error: bool = False) -> types.ModuleType:
    """A module with the pynvml functions the NVML source calls, over ``gpus``."""
    mod = types.ModuleType("pynvml")
    mod.NVMLError = FakeNVMLError
    mod.calls = {"init": 0, "shutdown": 0}

    def init():
        if init_error:
            raise FakeNVMLError("NVML Shared Library Not Found")
        mod.calls["init"] += 1

    def energy(handle):
        if handle.energy_mj is None:
            raise FakeNVMLError("Not Supported")
        return handle.energy_mj

    mod.nvmlInit = init
    mod.nvmlShutdown = lambda: mod.calls.__setitem__("shutdown", mod.calls["shutdown"] + 1)
    mod.nvmlDeviceGetCount = lambda: len(gpus)
    mod.nvmlDeviceGetHandleByIndex = lambda i: gpus[i]
    mod.nvmlDeviceGetUUID = lambda h: h.uuid
    mod.nvmlDeviceGetName = lambda h: b"Fake GPU"
    mod.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(total=16 << 30)
    mod.nvmlDeviceGetTotalEnergyConsumption = energy
    mod.nvmlDeviceGetPowerUsage = lambda h: h.power_mw
    return mod


@pytest.fixture
def gpus(monkeypatch):
    """Three fake Volta-class GPUs behind a fake pynvml; CUDA_VISIBLE_DEVICES unset."""
    devices = [FakeGpu("GPU-aaaa-0000"), FakeGpu("GPU-bbbb-1111"), FakeGpu("GPU-cccc-2222")]
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(devices))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return devices


def test_energy_counter_per_gpu(gpus):
    with EnergyMeter("nvml") as meter, meter.window("w") as w:
        gpus[0].energy_mj += 5_000
        gpus[2].energy_mj += 1_500
    m = w.measurement
    assert m.energy_j == {"gpu:0": 5.0, "gpu:1": 0.0, "gpu:2": 1.5}
    assert set(m.provenance.values()) == {"measured:nvml"}
    assert m.total_j == pytest.approx(6.5)


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        ("1", ["GPU-bbbb-1111"]),
        ("2,0", ["GPU-cccc-2222", "GPU-aaaa-0000"]),
        ("GPU-cccc", ["GPU-cccc-2222"]),  # UUID prefix
        ("0,7,1", ["GPU-aaaa-0000"]),  # CUDA stops at the first invalid entry
    ],
)
def test_cuda_visible_devices(gpus, monkeypatch, visible, expected):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    with EnergyMeter("nvml") as meter, meter.window("w") as w:
        for gpu in gpus:
            gpu.energy_mj += 1_000 * (1 + int(gpu.uuid[-1]))  # GPU n uses n+1 J
    expected_j = {f"gpu:{i}": 1.0 + int(u[-1]) for i, u in enumerate(expected)}
    assert w.measurement.energy_j == expected_j


def test_no_visible_gpu_is_an_error(gpus, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(GreenbenchError, match="no NVIDIA GPU visible"):
        EnergyMeter("nvml")


def test_power_polling_for_gpus_without_energy_counter(monkeypatch):
    old = FakeGpu("GPU-old", energy_mj=None, power_mw=200_000)  # 200 W
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml([old]))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with EnergyMeter("nvml") as meter:
        assert meter.provenance["gpu:0"].startswith("measured:nvml(power sampled every")
        with meter.window("w") as w:
            time.sleep(0.35)
    m = w.measurement
    assert m.energy_j["gpu:0"] == pytest.approx(200.0 * m.duration_s, rel=0.1)


def test_torch_is_synchronised_before_reading(gpus, monkeypatch):
    synced = []
    cuda = types.SimpleNamespace(
        is_initialized=lambda: True, device_count=lambda: 2, synchronize=synced.append
    )
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    with EnergyMeter("nvml") as meter, meter.window("w"):
        pass
    assert synced == [0, 1, 0, 1]  # at open and at close


def test_missing_driver_explicit_vs_auto(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml([], init_error=True))
    with pytest.raises(GreenbenchError, match="NVML unavailable"):
        EnergyMeter("nvml")
    with EnergyMeter("auto") as meter:
        assert "nvml" not in [s.name for s in meter.sources]


def test_close_releases_nvml_and_inventory(gpus):
    meter = EnergyMeter("nvml")
    meter.close()
    nvml = sys.modules["pynvml"]
    assert nvml.calls["init"] == nvml.calls["shutdown"] == 1
    inventory = gpu_inventory()
    assert [g["uuid"] for g in inventory] == [g.uuid for g in gpus]
    assert inventory[0] == {
        "index": 0,
        "name": "Fake GPU",
        "uuid": "GPU-aaaa-0000",
        "memory_gib": 16.0,
    }


def _real_gpu_present() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return False
    try:
        return pynvml.nvmlDeviceGetCount() > 0
    finally:
        pynvml.nvmlShutdown()


@pytest.mark.gpu
@pytest.mark.skipif(not _real_gpu_present(), reason="no NVIDIA GPU")
def test_real_gpu():
    """Real nvidia-ml-py on a real GPU: a busy window reads positive, measured energy."""
    with EnergyMeter("nvml") as meter:
        with meter.window("w") as w:
            time.sleep(0.5)
        m = w.measurement
        assert m.energy_j and all(k.startswith("gpu:") for k in m.energy_j)
        assert all(p.startswith("measured:nvml") for p in m.provenance.values())
        assert m.total_j > 0  # an idle GPU still draws tens of watts
        assert gpu_inventory()[0]["name"]
