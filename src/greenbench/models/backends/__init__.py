"""Backends, one module each, and their catalogue :data:`BACKENDS`.

A backend is a :class:`greenbench.models.Backend` subclass; ``kind: <name>`` in a model spec (or
``backend: <name>`` in a variant) picks it. Other packages add backends through the
``greenbench.backends`` entry-point group (see ``docs/models.md``); nothing is imported until a
job needs it, so each engine's dependencies stay optional.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greenbench.plugins import Catalogue

if TYPE_CHECKING:
    from greenbench.models.base import Backend
    from greenbench.models.spec import ModelSpec, Variant

#: Backend kind -> ``"module:Class"`` (built-ins first, then entry points), imported on use.
BACKENDS: Catalogue[type[Backend]] = Catalogue(
    "greenbench.backends",
    {
        "hf": "greenbench.models.backends.hf:HFBackend",
        "torch": "greenbench.models.backends.torch_classifier:TorchClassifierBackend",
        "llamacpp": "greenbench.models.backends.llamacpp:LlamaCppBackend",
        "onnx": "greenbench.models.backends.onnx:OnnxBackend",
        "estimate": "greenbench.models.backends.external:ExternalBackend",
    },
)


def backend_kind(spec: ModelSpec, variant: Variant) -> str:
    """The backend that runs this variant: ``variant.backend`` if set, else ``spec.kind``."""
    return variant.backend or spec.kind
