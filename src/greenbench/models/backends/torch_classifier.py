"""Plain PyTorch image classifiers from the offline zoo (EfficientNet-Lite0), outside transformers.

The zoo entry says how to build the network (``builder``: a factory in an installed package),
where its weights are, and how to preprocess an image (``preprocess``: shorter side resized to
``resize`` pixels, square center crop of ``crop`` pixels, RGB scaled to [0, 1], then
``(x - mean) / std`` per channel). Labels are the ImageNet-1k classes of
:func:`greenbench.data.imagenet_labels`.

Variants: ``dtype`` fp32 (default), bf16 or fp16; ``quantization`` ``none`` or ``int8-dynamic``
(``torch.ao.quantization.quantize_dynamic`` on ``nn.Linear``, CPU only). For a convolutional
network dynamic int8 quantizes only the classifier head (one Linear layer, ~1.28 M of ~4.65 M
weights); the convolutions stay fp32, and :meth:`TorchClassifierBackend.describe` says so.
Static int8 of the convolutions would need calibration images and torch's FX / PT2E flow, which
a variant cannot express yet, so it is not offered.

Fine-tuning (``finetune.method`` ``head`` or ``full``, on unquantized weights):
:meth:`TorchClassifierBackend.finetune`, the loop in :mod:`greenbench.models.finetune_image`.
"""

from __future__ import annotations

import importlib
import warnings
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from greenbench.data import imagenet_labels
from greenbench.errors import GreenbenchError
from greenbench.models import zoo
from greenbench.models.base import Backend, FineTuneResult, ParamCounts
from greenbench.models.device import resolve_device
from greenbench.models.spec import FineTune, ModelSpec, Variant

if TYPE_CHECKING:
    import torch

#: Images per forward pass when the variant says ``batch_size: auto``.
AUTO_BATCH_SIZE = 32
_TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


@dataclass(frozen=True)
class Preprocess:
    """How an image becomes the classifier's input tensor, and what its outputs mean."""

    resize: int
    """Length of the shorter image side after resizing (pixels, bicubic)."""
    crop: int
    """Side of the square center crop fed to the network (pixels)."""
    mean: tuple[float, float, float]
    """Per-channel RGB mean subtracted after scaling to [0, 1]."""
    std: tuple[float, float, float]
    """Per-channel RGB divisor applied after subtracting ``mean``."""
    labels: tuple[str, ...]
    """Class names in output-index order."""

    @classmethod
    def from_zoo(cls, name: str) -> Preprocess:
        """The preprocessing stated by zoo entry ``name``."""
        cfg = zoo.entry(name)["preprocess"]
        if cfg["labels"] != "imagenet-1k":
            raise GreenbenchError(f"zoo model {name!r}: unknown label set {cfg['labels']!r}")
        return cls(
            resize=int(cfg["resize"]),
            crop=int(cfg["crop"]),
            mean=tuple(float(v) for v in cfg["mean"]),
            std=tuple(float(v) for v in cfg["std"]),
            labels=tuple(imagenet_labels()),
        )

    def __call__(self, images: Sequence[Any]) -> np.ndarray:
        """PIL images (or HxWx3 uint8 arrays) -> float32 array of shape (N, 3, crop, crop)."""
        from PIL import Image

        batch = np.empty((len(images), 3, self.crop, self.crop), dtype=np.float32)
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        for i, image in enumerate(images):
            img = Image.fromarray(np.asarray(image)) if isinstance(image, np.ndarray) else image
            img = img.convert("RGB")
            scale = self.resize / min(img.size)
            width, height = max(1, round(img.width * scale)), max(1, round(img.height * scale))
            img = img.resize((width, height), Image.Resampling.BICUBIC)
            left, top = (width - self.crop) // 2, (height - self.crop) // 2
            img = img.crop((left, top, left + self.crop, top + self.crop))
            pixels = np.asarray(img, dtype=np.float32) / 255.0
            batch[i] = ((pixels - mean) / std).transpose(2, 0, 1)
        return batch

    def top_k(self, logits: np.ndarray, k: int) -> list[list[str]]:
        """Names of the ``k`` highest-scoring classes per row of ``logits`` (N, classes)."""
        k = min(k, logits.shape[1])
        best = np.argsort(-logits, axis=1, kind="stable")[:, :k]
        return [[self.labels[j] for j in row] for row in best]


def zoo_classifier_name(spec: ModelSpec, backend: str) -> str:
    """The zoo name in ``spec.source`` (``zoo:<name>`` or ``<name>``) if it is an image
    classifier the ``backend`` can run; GreenbenchError naming ``source`` otherwise."""
    name = spec.source.removeprefix("zoo:")
    runnable = [
        item["name"]
        for item in zoo.list_zoo()
        if item["architecture"] == "image-classifier" and backend in item["backends"]
    ]
    if name not in runnable:
        raise GreenbenchError(
            f"model {spec.name!r}: source {spec.source!r} is not a zoo image classifier; "
            f"the {backend} backend runs: {', '.join('zoo:' + n for n in runnable)}"
        )
    return name


def build_zoo_classifier(name: str) -> torch.nn.Module:
    """Zoo classifier ``name`` as an fp32 ``torch.nn.Module`` on the CPU, in eval mode."""
    import torch

    resolved = zoo.resolve(name, "torch")
    builder = zoo.entry(name)["builder"]
    try:
        factory: Any = importlib.import_module(builder["module"])
    except ModuleNotFoundError as exc:
        raise GreenbenchError(
            f"zoo model {name!r} needs the package {builder['distribution']}: "
            f"pip install {builder['distribution']} (or greenbench[models])"
        ) from exc
    for attr in builder["factory"].split("."):
        factory = getattr(factory, attr)
    model = factory(*builder.get("args", []))
    state = torch.load(resolved.path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


class ZooClassifierBackend(Backend):
    """Shared by the zoo image-classifier backends: batching, preprocessing and top-k labels.

    Subclasses set ``self.preprocess`` when loading and implement :meth:`_forward`.
    """

    preprocess: Preprocess

    @abstractmethod
    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """Class scores, float32 (n, classes), for one preprocessed batch (n, 3, crop, crop)."""

    def logits(self, images: Sequence[Any]) -> np.ndarray:
        """Raw class scores, float32 array of shape (N, classes), in input order."""
        size = AUTO_BATCH_SIZE if self.variant.batch_size == "auto" else self.variant.batch_size
        chunks = []
        for start in range(0, len(images), size):
            chunks.append(self._forward(self.preprocess(images[start : start + size])))
            self.advance(len(chunks[-1]))
        return np.concatenate(chunks) if chunks else np.empty((0, len(self.preprocess.labels)))

    def classify(self, images: Sequence[Any], *, top_k: int = 5) -> list[list[str]]:
        """For each image (PIL or HxWx3 uint8 array), the ``top_k`` ImageNet labels, best first."""
        return self.preprocess.top_k(self.logits(images), top_k)


class TorchClassifierBackend(ZooClassifierBackend):
    """A zoo image classifier run by PyTorch; ``classify`` returns ImageNet label strings."""

    kind = "torch"

    def __init__(self, spec: ModelSpec, variant: Variant) -> None:
        super().__init__(spec, variant)
        import torch

        name = zoo_classifier_name(spec, "torch")
        if variant.quantization not in ("none", "int8-dynamic"):
            raise GreenbenchError(
                f"variant.quantization {variant.quantization!r} is not available on the torch "
                "backend; use none or int8-dynamic"
            )
        self.device_choice = resolve_device(spec, variant)
        self.device = self.device_choice.device
        quantized = variant.quantization == "int8-dynamic"
        if quantized and (variant.device.startswith("cuda") or variant.dtype != "fp32"):
            raise GreenbenchError(
                "variant.quantization int8-dynamic runs on the CPU in fp32 only; "
                "set device: cpu and dtype: fp32"
            )
        self.preprocess = Preprocess.from_zoo(name)
        self._resolved = zoo.resolve(name, "torch")
        model = build_zoo_classifier(name)
        self._total = sum(p.numel() for p in model.parameters())
        self._dtype = getattr(torch, _TORCH_DTYPES[variant.dtype])
        if quantized:
            with warnings.catch_warnings():  # torch.ao.quantization is deprecated, still shipped
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(
                    model, {torch.nn.Linear}, dtype=torch.qint8
                )
        self.model = model.to(device=self.device, dtype=self._dtype)
        self._trained: FineTuneResult | None = None

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(batch).to(device=self.device, dtype=self._dtype))
        return out.float().cpu().numpy()

    def finetune(
        self,
        pairs: Sequence[tuple[Any, str]],
        config: FineTune,
        output_dir: str | None = None,
    ) -> FineTuneResult:
        """Train on ``(image, class name)`` pairs, ``head`` or ``full``
        (:mod:`greenbench.models.finetune_image`), with this backend's preprocessing;
        afterwards :meth:`classify` serves the trained network."""
        import torch

        from greenbench.models.finetune_image import finetune_classifier

        def to_pixels(images: Sequence[Any]) -> torch.Tensor:
            batch = torch.from_numpy(self.preprocess(images))
            return batch.to(device=self.device, dtype=self._dtype)

        self._trained = finetune_classifier(
            self.model,
            pairs,
            config,
            labels=self.preprocess.labels,
            to_pixels=to_pixels,
            forward=self.model,
            output_dir=output_dir,
            on_step=self.advance,
        )
        return self._trained

    def params(self) -> ParamCounts:
        """All weights counted unpacked (int8 ones included); trainable: what fine-tuning
        trained, else 0 (inference only)."""
        trained = self._trained.trainable_params if self._trained else 0
        return ParamCounts(total=self._total, trainable=trained)

    def describe(self) -> dict[str, Any]:
        import torch

        info: dict[str, Any] = {
            "backend": self.kind,
            "engine": f"torch {torch.__version__}",
            "device": self.device,
            "device_reason": self.device_choice.reason,
            "dtype": self.variant.dtype,
            "quantization": self.variant.quantization,
            "note": self._resolved.note,
            "license": self._resolved.license,
        }
        if self.variant.quantization == "int8-dynamic":
            info["quantization_note"] = (
                "dynamic int8 quantizes nn.Linear only: for this conv net that is the classifier "
                "head; the convolutions run in fp32"
            )
        return info

    def close(self) -> None:
        self.model = None
