"""resolve_device: the one device rule, on a simulated CUDA host, for every backend x quantization.

A visible GPU is simulated by patching the two probes (:func:`cuda_available`, and
:func:`engine_has_cuda` for how each engine was built); nothing here needs a GPU.
"""

from __future__ import annotations

import pytest

from greenbench.errors import GreenbenchError
from greenbench.models import ModelSpec, Variant, check_variant, resolve_device
from greenbench.models import device as device_module
from greenbench.models.backends.llamacpp import LlamaCppBackend
from greenbench.models.backends.onnx import _providers
from greenbench.models.device import DeviceChoice

SPECS = {
    "hf": ModelSpec(name="m", source="org/model", kind="hf"),
    "torch": ModelSpec(
        name="e", source="zoo:efficientnet-lite0", kind="torch", architecture="image-classifier"
    ),
    "onnx": ModelSpec(
        name="e", source="zoo:efficientnet-lite0", kind="onnx", architecture="image-classifier"
    ),
    "llamacpp": ModelSpec(name="s", source="zoo:smollm2-135m-instruct", kind="llamacpp"),
    "estimate": ModelSpec(name="x", source="remote", kind="estimate", active_params=1e9),
}


@pytest.fixture
def gpu_host(monkeypatch):
    """A host that sees a CUDA device; ``gpu_host(onnx=False)`` makes that engine CPU-only."""

    def simulate(**engine_cuda: bool) -> None:
        monkeypatch.setattr(device_module, "cuda_available", lambda: True)
        monkeypatch.setattr(
            device_module, "engine_has_cuda", lambda engine: engine_cuda.get(engine, True)
        )

    simulate()
    return simulate


# backend, quantization -> device under `auto` on a CUDA host whose engines all have CUDA
AUTO_ON_GPU_HOST = [
    ("hf", "none", "cuda"),
    ("hf", "int8-dynamic", "cpu"),
    ("hf", "bnb-8bit", "cuda"),
    ("hf", "bnb-4bit-nf4", "cuda"),
    ("hf", "gguf:Q4_K_M", "cuda"),
    ("torch", "none", "cuda"),
    ("torch", "int8-dynamic", "cpu"),
    ("onnx", "none", "cuda"),
    ("onnx", "int8-dynamic", "cpu"),
    ("llamacpp", "none", "cuda"),
    ("llamacpp", "gguf:Q4_K_M", "cuda"),
    ("estimate", "none", "cpu"),
]


@pytest.mark.parametrize(("backend", "quantization", "expected"), AUTO_ON_GPU_HOST)
def test_auto_on_a_cuda_host_for_every_backend_and_quantization(
    gpu_host, backend, quantization, expected
):
    choice = resolve_device(SPECS[backend], Variant(quantization=quantization))
    assert choice.device == expected
    assert choice.reason  # says which rule decided


@pytest.mark.parametrize(
    ("backend", "quantization"), [(b, q) for b, q, device in AUTO_ON_GPU_HOST if device == "cuda"]
)
def test_cuda_n_is_kept_by_every_backend_that_runs_on_a_gpu(gpu_host, backend, quantization):
    assert resolve_device(SPECS[backend], Variant(quantization=quantization, device="cuda:1")) == (
        DeviceChoice("cuda:1", "device cuda:1 set in the variant")
    )


@pytest.mark.parametrize("backend", ["hf", "torch", "onnx", "llamacpp"])
def test_auto_without_a_visible_gpu_is_the_cpu(monkeypatch, backend):
    monkeypatch.setattr(device_module, "cuda_available", lambda: False)
    assert resolve_device(SPECS[backend], Variant()).device == "cpu"


@pytest.mark.parametrize(
    ("backend", "why", "fix"),
    [
        ("onnx", "no CUDA execution provider", "onnxruntime-gpu"),
        ("llamacpp", "without GPU offload", "GGML_CUDA"),
    ],
)
def test_an_engine_built_without_cuda_runs_auto_on_the_cpu_and_refuses_cuda(
    gpu_host, backend, why, fix
):
    gpu_host(**{backend: False})
    choice = resolve_device(SPECS[backend], Variant())
    assert choice.device == "cpu" and why in choice.reason
    with pytest.raises(GreenbenchError, match=rf"variant\.device 'cuda:1': .*{fix}"):
        resolve_device(SPECS[backend], Variant(device="cuda:1"))


def test_an_explicit_cuda_without_a_visible_gpu_is_refused(monkeypatch):
    monkeypatch.setattr(device_module, "cuda_available", lambda: False)
    with pytest.raises(GreenbenchError, match=r"variant\.device 'cuda:1': no CUDA GPU"):
        resolve_device(SPECS["hf"], Variant(device="cuda:1"))
    assert resolve_device(SPECS["hf"], Variant(device="cpu")).device == "cpu"


def test_the_check_accepts_int8_dynamic_under_auto_on_a_cuda_host(gpu_host):
    """efficientnet-lite0 int8-dynamic, device auto: accepted, and run on the CPU."""
    for backend in ("torch", "onnx"):
        variant = Variant(quantization="int8-dynamic")
        check_variant(SPECS[backend], variant)  # raises if the rule and the check disagree
        assert resolve_device(SPECS[backend], variant).device == "cpu"


def test_onnx_runs_cuda_n_on_that_device_id(gpu_host):
    choice = resolve_device(SPECS["onnx"], Variant(device="cuda:1"))
    assert _providers(choice) == [
        ("CUDAExecutionProvider", {"device_id": 1}),
        "CPUExecutionProvider",
    ]
    assert _providers(resolve_device(SPECS["onnx"], Variant(device="cpu"))) == [
        "CPUExecutionProvider"
    ]


def test_llamacpp_runs_cuda_n_on_that_gpu_alone(gpu_host):
    import llama_cpp

    choice = resolve_device(SPECS["llamacpp"], Variant(device="cuda:1"))
    assert LlamaCppBackend._gpu_options(llama_cpp, choice) == {
        "n_gpu_layers": -1,
        "split_mode": llama_cpp.LLAMA_SPLIT_MODE_NONE,
        "main_gpu": 1,
    }
    gpu_host(llamacpp=False)
    cpu = resolve_device(SPECS["llamacpp"], Variant())
    assert LlamaCppBackend._gpu_options(llama_cpp, cpu) == {"n_gpu_layers": 0}


@pytest.mark.parametrize(("visible", "expected"), [(None, True), ("", False), ("-1", False)])
def test_without_torch_nvml_is_asked_after_cuda_visible_devices(monkeypatch, visible, expected):
    """A llama.cpp-only install has no torch: one NVIDIA device counts unless hidden."""
    import importlib.util
    import sys
    import types

    specs = {"torch": None, "pynvml": "installed"}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: specs[name])
    nvml = types.SimpleNamespace(
        NVMLError=RuntimeError,
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetCount=lambda: 1,
    )
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert device_module.cuda_available() is expected
