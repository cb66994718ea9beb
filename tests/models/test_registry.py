"""registry: backend lookup and the cheap checks that reject a job before any model loads."""

from __future__ import annotations

import typing

import pytest

from greenbench.errors import GreenbenchError
from greenbench.models import FineTune, ModelSpec, Variant, check_variant, load_backend, registry
from greenbench.models.backends.hf import HFBackend
from greenbench.models.device import cuda_available
from greenbench.models.spec import BackendKind

NO_CUDA = pytest.mark.skipif(cuda_available(), reason="checks the CPU-only errors")


@pytest.fixture()
def no_loading(monkeypatch):
    """Fail the test if a backend class is even imported (the checks must come first)."""

    def forbidden(kind):
        raise AssertionError(f"backend {kind!r} was loaded before the checks")

    monkeypatch.setattr(registry, "backend_class", forbidden)


def _spec(source, **kw):
    return ModelSpec(name="m", source=str(source), **kw)


def test_every_backend_kind_is_registered():
    assert set(registry.BACKENDS) == set(typing.get_args(BackendKind))
    assert registry.backend_class("hf") is HFBackend


def test_unknown_backend_kind_is_refused():
    with pytest.raises(GreenbenchError, match="unknown backend 'tf'"):
        registry.backend_class("tf")


@NO_CUDA
@pytest.mark.parametrize("quant", ["bnb-4bit-nf4", "bnb-8bit"])
def test_bitsandbytes_on_cpu_names_the_field_and_the_cpu_option(causal_dir, no_loading, quant):
    with pytest.raises(GreenbenchError) as err:
        load_backend(_spec(causal_dir), Variant(quantization=quant))
    assert f"variant.quantization {quant!r} needs a CUDA GPU" in str(err.value)
    assert "int8-dynamic" in str(err.value)


@NO_CUDA
def test_qlora_on_cpu_is_refused(causal_dir, no_loading):
    with pytest.raises(GreenbenchError, match=r"variant\.finetune\.method 'qlora'.*'lora'"):
        load_backend(_spec(causal_dir), Variant(finetune=FineTune(method="qlora")))


@NO_CUDA
def test_fp16_on_cpu_is_refused_bf16_allowed(causal_dir):
    with pytest.raises(GreenbenchError, match=r"variant\.dtype 'fp16'.*'bf16'"):
        check_variant(_spec(causal_dir), Variant(dtype="fp16"))
    check_variant(_spec(causal_dir), Variant(dtype="bf16"))


@NO_CUDA
def test_cuda_device_without_gpu_is_refused(causal_dir):
    with pytest.raises(GreenbenchError, match=r"variant\.device 'cuda'"):
        check_variant(_spec(causal_dir), Variant(device="cuda"))


def test_missing_local_path_is_refused(tmp_path, no_loading):
    with pytest.raises(GreenbenchError, match="does not exist"):
        load_backend(_spec(tmp_path / "nowhere"), Variant())
    with pytest.raises(GreenbenchError, match=r"model\.gguf' does not exist"):
        check_variant(_spec("model.gguf", kind="llamacpp"), Variant())


def test_gguf_level_needs_a_gguf_source(causal_dir, tmp_path):
    with pytest.raises(GreenbenchError, match=r"'gguf:Q4_K_M' needs a GGUF source.*no \.gguf"):
        check_variant(_spec(causal_dir), Variant(quantization="gguf:Q4_K_M"))
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"")
    with pytest.raises(GreenbenchError, match=r"backend 'hf' cannot load 'model\.safetensors'"):
        check_variant(_spec(weights), Variant())
    exported = tmp_path / "model.onnx"
    exported.write_bytes(b"")
    with pytest.raises(GreenbenchError, match="needs backend 'llamacpp' or 'hf'"):
        check_variant(_spec(exported, kind="onnx"), Variant(quantization="gguf:Q8_0"))


def test_hub_id_only_goes_to_hf():
    check_variant(_spec("Qwen/Qwen2.5-0.5B-Instruct"), Variant())
    with pytest.raises(GreenbenchError, match="backend 'onnx' cannot load hub id"):
        check_variant(_spec("Qwen/Qwen2.5-0.5B-Instruct"), Variant(backend="onnx"))
    with pytest.raises(GreenbenchError, match="neither an existing path"):
        check_variant(_spec("not a model!"), Variant())


def test_int8_dynamic_needs_fp32_on_cpu(causal_dir):
    with pytest.raises(GreenbenchError, match=r"'int8-dynamic' quantizes fp32.*variant\.dtype"):
        check_variant(_spec(causal_dir), Variant(quantization="int8-dynamic", dtype="bf16"))
    with pytest.raises(GreenbenchError, match="'int8-dynamic' runs on CPU"):
        check_variant(_spec(causal_dir), Variant(quantization="int8-dynamic", device="cuda"))


def test_zoo_names_and_backends_are_checked_without_fetching():
    with pytest.raises(GreenbenchError, match="unknown zoo model"):
        check_variant(_spec("zoo:no-such-model"), Variant())
    with pytest.raises(GreenbenchError, match=r"variant\.backend 'hf'.*efficientnet-lite0"):
        check_variant(_spec("zoo:efficientnet-lite0"), Variant())
    with pytest.raises(GreenbenchError, match="ships GGUF level 'gguf:Q4_1'"):
        check_variant(_spec("zoo:smollm2-135m-instruct"), Variant(quantization="gguf:Q8_0"))
    check_variant(_spec("zoo:smollm2-135m-instruct"), Variant(quantization="gguf:Q4_1"))
    # llama.cpp requantizes the shipped Q4_1 to other levels (the backend labels it so).
    check_variant(
        _spec("zoo:smollm2-135m-instruct"), Variant(backend="llamacpp", quantization="gguf:Q8_0")
    )


def test_finetune_checks(causal_dir, tmp_path):
    with pytest.raises(GreenbenchError, match=r"variant\.finetune needs backend 'hf'"):
        check_variant(_spec(causal_dir, kind="llamacpp"), Variant(finetune=FineTune()))
    with pytest.raises(GreenbenchError, match=r"variant\.finetune\.data .*not a file"):
        check_variant(_spec(causal_dir), Variant(finetune=FineTune(data=str(tmp_path / "x"))))
    check_variant(_spec(causal_dir), Variant(finetune=FineTune(data="task:text-to-sql")))


def test_batch_size_must_be_positive(causal_dir):
    with pytest.raises(GreenbenchError, match=r"variant\.batch_size 0"):
        check_variant(_spec(causal_dir), Variant(batch_size=0))
