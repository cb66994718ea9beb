"""resolve_device: the one place ``device: auto`` becomes cpu or cuda."""

from __future__ import annotations

import pytest

from greenbench.errors import GreenbenchError
from greenbench.models import Variant, resolve_device
from greenbench.models import device as device_module


@pytest.mark.parametrize("gpu", [True, False])
def test_auto_follows_cuda(monkeypatch, gpu):
    monkeypatch.setattr(device_module, "cuda_available", lambda: gpu)
    assert resolve_device(Variant()) == ("cuda" if gpu else "cpu")


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda"])
def test_int8_dynamic_runs_on_cpu_whatever_the_device(monkeypatch, device):
    monkeypatch.setattr(device_module, "cuda_available", lambda: True)
    assert resolve_device(Variant(quantization="int8-dynamic", device=device)) == "cpu"


def test_an_explicit_device_is_kept_or_refused(monkeypatch):
    monkeypatch.setattr(device_module, "cuda_available", lambda: True)
    assert resolve_device(Variant(device="cuda:1")) == "cuda:1"
    assert resolve_device(Variant(device="cpu")) == "cpu"
    monkeypatch.setattr(device_module, "cuda_available", lambda: False)
    with pytest.raises(GreenbenchError, match=r"variant\.device 'cuda:1': no CUDA GPU"):
        resolve_device(Variant(device="cuda:1"))
