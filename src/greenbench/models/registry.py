"""From a backend kind to a loaded model: look the class up in :data:`BACKENDS`, import it, load.

:func:`load_backend` first runs the cheap checks (:func:`greenbench.models.check_variant`, which
loads nothing), then imports the backend module lazily (each engine's dependencies stay
optional) and constructs the backend, which loads the model.
"""

from __future__ import annotations

from greenbench.errors import GreenbenchError
from greenbench.models.backends import BACKENDS, backend_kind
from greenbench.models.base import Backend
from greenbench.models.spec import ModelSpec, Variant
from greenbench.models.validation import check_variant

__all__ = ["BACKENDS", "backend_class", "backend_kind", "load_backend"]


def backend_class(kind: str) -> type[Backend]:
    """Import and return the backend class registered for ``kind``."""
    if kind not in BACKENDS:
        raise GreenbenchError(f"unknown backend {kind!r}; known: {', '.join(BACKENDS)}")
    try:
        return BACKENDS.load(kind)
    except ImportError as exc:
        raise GreenbenchError(
            f"backend {kind!r} needs a package that is not installed ({exc.name}); "
            "install greenbench with the extra for it, e.g. pip install 'greenbench[models]'"
        ) from exc


def load_backend(spec: ModelSpec, variant: Variant) -> Backend:
    """Validate (:func:`check_variant`), then construct the backend, which loads the model."""
    check_variant(spec, variant)
    return backend_class(backend_kind(spec, variant))(spec, variant)
