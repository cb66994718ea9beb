"""Models: specs and variants, backends (hf, torch, llamacpp, onnx, estimate), fine-tuning, zoo.

``load_backend(spec, variant)`` validates the pair (:func:`check_variant`, cheap) and returns a
loaded :class:`Backend`; :func:`resolve_device` says where a variant runs. See ``docs/models.md``.
"""

from __future__ import annotations

from greenbench.models.base import Backend, FineTuneResult, Generation, ParamCounts
from greenbench.models.device import resolve_device
from greenbench.models.registry import load_backend
from greenbench.models.spec import FineTune, ModelSpec, Variant
from greenbench.models.validation import check_variant

__all__ = [
    "Backend",
    "FineTune",
    "FineTuneResult",
    "Generation",
    "ModelSpec",
    "ParamCounts",
    "Variant",
    "check_variant",
    "load_backend",
    "resolve_device",
]
