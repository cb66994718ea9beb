"""Zoo image classifiers exported to ONNX and run by onnxruntime.

The torch model of the zoo entry is exported once (``torch.onnx.export``, opset
:data:`OPSET`, dynamic batch axis) into ``<zoo cache>/<name>/onnx/<name>-<key>.onnx``, where
``key`` hashes the weights file, the opset and the torch version, so a new source or exporter
gives a new file. ``quantization: int8-dynamic`` adds a copy quantized by
``onnxruntime.quantization.quantize_dynamic`` (int8 weights for Conv -> ConvInteger and the
head -> MatMulInteger; activations quantized per batch at run time).

Sessions use the CUDA execution provider when it is available and the variant's device allows,
else the CPU provider. Preprocessing and labels are those of the torch backend, so both return
the same ``classify`` output for the same images.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from greenbench.errors import GreenbenchError
from greenbench.models import zoo
from greenbench.models.backends.torch_classifier import (
    Preprocess,
    ZooClassifierBackend,
    build_zoo_classifier,
    zoo_classifier_name,
)
from greenbench.models.base import ParamCounts
from greenbench.models.device import DeviceChoice, resolve_device
from greenbench.models.spec import ModelSpec, Variant

#: ONNX opset used for export.
OPSET = 17
INPUT_NAME = "pixel_values"
OUTPUT_NAME = "logits"


def export_onnx(name: str, crop: int) -> Path:
    """The fp32 ONNX export of zoo classifier ``name`` (input (N, 3, crop, crop)), cached."""
    import torch

    weights = Path(zoo.resolve(name, "onnx").path)
    digest = hashlib.sha256(weights.read_bytes())
    digest.update(f"opset={OPSET};torch={torch.__version__}".encode())
    directory = zoo.cache_dir() / name / "onnx"
    target = directory / f"{name}-{digest.hexdigest()[:16]}.onnx"
    if target.is_file():
        return target
    with zoo.locked(directory):
        if target.is_file():
            return target
        partial = target.with_suffix(".partial")
        # The TorchScript exporter (dynamo=False): the dynamo exporter needs onnxscript, which
        # greenbench does not depend on. Its constant-folding and deprecation warnings are not
        # actionable here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                build_zoo_classifier(name),
                (torch.zeros(1, 3, crop, crop),),
                str(partial),
                dynamo=False,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            )
        os.replace(partial, target)
    return target


def quantize_int8(fp32_path: Path) -> Path:
    """A dynamic-int8 copy of ``fp32_path`` beside it (``*.int8-dynamic.onnx``), cached."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = fp32_path.with_name(fp32_path.stem + ".int8-dynamic.onnx")
    if target.is_file():
        return target
    with zoo.locked(fp32_path.parent):
        if not target.is_file():
            partial = target.with_suffix(".partial")
            with _quiet_root_logger():  # it logs a warning per tensor it cannot type-infer
                quantize_dynamic(fp32_path, partial, weight_type=QuantType.QInt8)
            os.replace(partial, target)
    return target


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def initializer_count(path: Path) -> int:
    """Number of values in the initializers (weights) of the ONNX graph at ``path``."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return sum(int(np.prod(init.dims, dtype=np.int64)) for init in graph.initializer)


def _providers(choice: DeviceChoice) -> list[str | tuple[str, dict[str, int]]]:
    """onnxruntime providers for ``choice``: the CUDA provider on its ``device_id`` first (CPU
    as onnxruntime's fallback for operators CUDA lacks), or the CPU alone."""
    if choice.on_cuda:
        return [("CUDAExecutionProvider", {"device_id": choice.index}), "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxBackend(ZooClassifierBackend):
    """A zoo image classifier exported to ONNX, run by onnxruntime; fp32 or dynamic int8."""

    kind = "onnx"

    def __init__(self, spec: ModelSpec, variant: Variant) -> None:
        super().__init__(spec, variant)
        import onnxruntime

        name = zoo_classifier_name(spec, "onnx")
        if variant.quantization not in ("none", "int8-dynamic"):
            raise GreenbenchError(
                f"variant.quantization {variant.quantization!r} is not available on the onnx "
                "backend; use none or int8-dynamic"
            )
        if variant.dtype != "fp32":
            raise GreenbenchError(
                f"variant.dtype {variant.dtype!r}: the onnx backend runs fp32 exports; "
                "use dtype fp32 (quantization int8-dynamic for int8)"
            )
        self.device_choice = resolve_device(spec, variant)
        providers = _providers(self.device_choice)
        self.preprocess = Preprocess.from_zoo(name)
        self._resolved = zoo.resolve(name, "onnx")
        fp32_path = export_onnx(name, self.preprocess.crop)
        int8 = variant.quantization == "int8-dynamic"
        self.path = quantize_int8(fp32_path) if int8 else fp32_path
        self._total = initializer_count(fp32_path)
        self.session = onnxruntime.InferenceSession(str(self.path), providers=providers)
        started = self.session.get_providers()
        if self.device_choice.on_cuda and "CUDAExecutionProvider" not in started:
            raise GreenbenchError(  # onnxruntime falls back to the CPU silently otherwise
                f"variant.device {variant.device!r}: onnxruntime could not start its CUDA "
                f"provider on {self.device_choice.device} (see its log); use device cpu"
            )

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0]

    def params(self) -> ParamCounts:
        """Values in the fp32 export's initializers. The exporter folds BatchNorm into the
        convolutions, so this is slightly below the torch module's count."""
        return ParamCounts(total=self._total, trainable=0)

    def describe(self) -> dict[str, Any]:
        import onnxruntime

        info: dict[str, Any] = {
            "backend": self.kind,
            "engine": f"onnxruntime {onnxruntime.__version__}",
            "providers": self.session.get_providers(),
            "device": self.device_choice.device,
            "device_reason": self.device_choice.reason,
            "dtype": "fp32",
            "quantization": self.variant.quantization,
            "onnx_file": str(self.path),
            "opset": OPSET,
            "note": self._resolved.note,
            "license": self._resolved.license,
        }
        if self.variant.quantization == "int8-dynamic":
            info["quantization_note"] = (
                "onnxruntime dynamic int8: int8 weights for the convolutions (ConvInteger) and "
                "the head (MatMulInteger); activations quantized per batch at run time"
            )
        return info

    def close(self) -> None:
        self.session = None
