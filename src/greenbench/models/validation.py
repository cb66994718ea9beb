"""The cheap checks run before any model is loaded: :func:`check_variant`.

They look only at the spec, the variant, the file system and the device (:mod:`.device`): never
at weights, so a sweep can reject a bad job in milliseconds. Errors name the offending field.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from greenbench.errors import GreenbenchError
from greenbench.models.backends import BACKENDS, backend_kind
from greenbench.models.classifier_labels import check_image_finetune
from greenbench.models.device import resolve_device
from greenbench.models.spec import CPU_INT8, ModelSpec, Variant

#: File suffixes a local source may have, per backend (a directory suits ``hf`` and ``llamacpp``).
FILE_SUFFIXES = {
    "hf": (".gguf",),
    "llamacpp": (".gguf",),
    "onnx": (".onnx",),
    "torch": (".pt", ".pth", ".safetensors"),
}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_GPU_ONLY = ("bnb-8bit", "bnb-4bit-nf4")


def check_variant(spec: ModelSpec, variant: Variant) -> None:
    """Raise :class:`GreenbenchError` naming the field if this job cannot run here.

    Cheap: reads the spec, the variant, the file system and whether CUDA is visible; loads no
    model (LoRA target modules are checked by the ``hf`` backend right after loading).
    Decisions: ``fp16`` needs a GPU (CPU kernels for half precision are slow or missing);
    ``bf16`` is allowed on CPU (supported by torch's CPU kernels, fast where the CPU has bf16
    instructions); ``int8-dynamic`` is CPU-only and starts from ``fp32`` weights.
    """
    kind = backend_kind(spec, variant)
    _check_source(spec, kind, variant)
    _check_device_name(variant)
    on_cuda = resolve_device(spec, variant, kind).on_cuda  # raises for cuda without a GPU
    _check_quantization(spec, variant, kind, on_cuda)
    if variant.dtype == "fp16" and not on_cuda:
        raise GreenbenchError(
            "variant.dtype 'fp16' needs a CUDA GPU (half precision on CPU is slow or unsupported); "
            "on CPU use 'fp32' or 'bf16'"
        )
    if variant.finetune is not None:
        _check_finetune(spec, variant, kind, on_cuda)
    if isinstance(variant.batch_size, int) and variant.batch_size < 1:
        raise GreenbenchError(
            f"variant.batch_size {variant.batch_size}: use an integer >= 1 or 'auto'"
        )


def _check_device_name(variant: Variant) -> None:
    if variant.device not in ("auto", "cpu") and not re.fullmatch(r"cuda(:\d+)?", variant.device):
        raise GreenbenchError(f"variant.device {variant.device!r}: use auto, cpu, cuda or cuda:N")


def _is_local_path(source: str) -> bool:
    return (
        source.startswith(("/", ".", "~"))
        or Path(source).suffix.lower() in {".gguf", ".onnx", ".pt", ".pth", ".safetensors"}
        or Path(source).expanduser().exists()
    )


def _check_source(spec: ModelSpec, kind: str, variant: Variant) -> None:
    source = spec.source
    if kind not in BACKENDS:
        raise GreenbenchError(f"variant.backend {kind!r}: known backends are {', '.join(BACKENDS)}")
    if kind == "estimate":
        return  # not run locally: the external backend validates predictions / endpoint
    if kind not in BACKENDS.builtin():
        return  # a plugin's backend: only it knows what sources it takes
    if source.startswith("zoo:"):
        if len(source) == 4:
            raise GreenbenchError("model source 'zoo:' names no model; use zoo:<name>")
        _check_zoo(source[4:], kind, variant)
        return
    if _is_local_path(source):
        path = Path(source).expanduser()
        if not path.exists():
            raise GreenbenchError(f"model {spec.name!r}: source {source!r} does not exist")
        suffixes = FILE_SUFFIXES.get(kind, ())
        if path.is_file() and path.suffix.lower() not in suffixes:
            allowed = ", ".join(suffixes) or "no single file"
            raise GreenbenchError(
                f"model {spec.name!r}: backend {kind!r} cannot load {path.name!r} "
                f"(files it takes: {allowed}{'; or a directory' if kind == 'hf' else ''})"
            )
        if path.is_dir() and kind in ("onnx", "torch"):
            raise GreenbenchError(
                f"model {spec.name!r}: backend {kind!r} needs a model file, not directory "
                f"{source!r}"
            )
        return
    if not _HUB_ID.match(source):
        raise GreenbenchError(
            f"model {spec.name!r}: source {source!r} is neither an existing path, a hub id "
            "(org/name) nor zoo:<name>"
        )
    if kind != "hf":
        raise GreenbenchError(
            f"model {spec.name!r}: backend {kind!r} cannot load hub id {source!r}; "
            "use backend 'hf', or a local file / zoo:<name>"
        )


def _check_zoo(name: str, kind: str, variant: Variant) -> None:
    """Zoo name known, backend listed for it, GGUF level valid for that backend.

    llama.cpp can requantize the shipped GGUF to any other level (labelled as such by the
    backend); every other backend takes only the level the zoo ships.
    """
    from greenbench.models import zoo

    entry = zoo.entry(name)  # reads zoo.yaml only; raises for an unknown name
    if kind not in entry["backends"]:
        raise GreenbenchError(
            f"variant.backend {kind!r}: zoo model {name!r} runs on {', '.join(entry['backends'])}"
        )
    level = entry.get("gguf_level")
    quant = variant.quantization
    if kind == "llamacpp" and level is not None:
        return
    if quant.startswith("gguf:") and (level is None or quant[5:].lower() != str(level).lower()):
        shipped = f"'gguf:{level}'" if level else "none (not a GGUF model)"
        raise GreenbenchError(
            f"variant.quantization {quant!r}: zoo model {name!r} ships GGUF level {shipped}"
        )


def _check_quantization(spec: ModelSpec, variant: Variant, kind: str, on_cuda: bool) -> None:
    quant = variant.quantization
    if quant in _GPU_ONLY:
        if kind != "hf":
            raise GreenbenchError(
                f"variant.quantization {quant!r} needs backend 'hf', not {kind!r}"
            )
        if not on_cuda or importlib.util.find_spec("bitsandbytes") is None:
            raise GreenbenchError(
                f"variant.quantization {quant!r} needs a CUDA GPU and bitsandbytes; "
                "on CPU use 'int8-dynamic'"
            )
    elif quant in CPU_INT8:
        if quant == "int8-weight-only" and kind != "hf":
            raise GreenbenchError(
                f"variant.quantization {quant!r} needs backend 'hf', not {kind!r}"
            )
        if kind == "hf" and variant.dtype != "fp32":
            raise GreenbenchError(
                f"variant.quantization {quant!r} quantizes fp32 weights; set variant.dtype "
                f"'fp32' (got {variant.dtype!r})"
            )
        if variant.device.startswith("cuda"):
            raise GreenbenchError(
                f"variant.quantization {quant!r} runs on CPU; set variant.device 'cpu' or "
                "'auto', or use 'bnb-8bit' on a GPU"
            )
    elif quant.startswith("gguf:"):
        if kind not in ("hf", "llamacpp"):
            raise GreenbenchError(
                f"variant.quantization {quant!r} needs backend 'llamacpp' or 'hf', not {kind!r}"
            )
        _check_gguf_source(spec, quant)


def _check_gguf_source(spec: ModelSpec, quant: str) -> None:
    source = spec.source
    if source.startswith("zoo:") or not _is_local_path(source):
        return  # zoo entries and hub repos are checked when resolved
    path = Path(source).expanduser()
    if path.is_dir():
        if not any(path.glob("*.gguf")):
            raise GreenbenchError(
                f"variant.quantization {quant!r} needs a GGUF source; {source!r} holds no "
                ".gguf file"
            )
    elif path.suffix.lower() != ".gguf":
        raise GreenbenchError(
            f"variant.quantization {quant!r} needs a GGUF source (a .gguf file or a directory "
            f"of them); got {source!r}"
        )


def _check_finetune(spec: ModelSpec, variant: Variant, kind: str, on_cuda: bool) -> None:
    config = variant.finetune
    if spec.architecture == "image-classifier":
        check_image_finetune(spec, variant, kind)
        return
    if kind != "hf":
        raise GreenbenchError(f"variant.finetune needs backend 'hf' (transformers), not {kind!r}")
    if spec.architecture not in ("causal", "seq2seq"):
        raise GreenbenchError(
            f"variant.finetune: model {spec.name!r} is {spec.architecture}; fine-tuning supports "
            "causal and seq2seq language models and image classifiers"
        )
    if config.method == "head":
        raise GreenbenchError(
            f"variant.finetune.method 'head' trains an image classifier's head; model "
            f"{spec.name!r} is {spec.architecture}: use 'lora', 'qlora' or 'full'"
        )
    if config.method == "qlora":
        if not on_cuda or importlib.util.find_spec("bitsandbytes") is None:
            raise GreenbenchError(
                "variant.finetune.method 'qlora' needs a CUDA GPU and bitsandbytes (4-bit base); "
                "on CPU use 'lora'"
            )
        if variant.quantization not in ("none", "bnb-4bit-nf4"):
            raise GreenbenchError(
                f"variant.finetune.method 'qlora' trains on a 4-bit NF4 base; set "
                f"variant.quantization 'bnb-4bit-nf4' or 'none' (got {variant.quantization!r})"
            )
    elif variant.quantization in _GPU_ONLY:
        raise GreenbenchError(
            f"variant.finetune.method {config.method!r} cannot train on {variant.quantization!r} "
            "weights; use method 'qlora' or variant.quantization 'none'"
        )
    if config.method == "full" and variant.dtype == "fp16":
        raise GreenbenchError(
            "variant.finetune.method 'full' in fp16 overflows without loss scaling; "
            "set variant.dtype 'fp32' or 'bf16'"
        )
    data = config.data
    if data != "task" and not data.startswith("task:") and not Path(data).expanduser().is_file():
        raise GreenbenchError(
            f"variant.finetune.data {data!r}: not a file; use 'task', 'task:<name>' or a JSONL path"
        )
