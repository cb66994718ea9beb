"""Executors: where a sweep's jobs run. ``local`` (one process per job, here) or ``ray``."""

from __future__ import annotations

import importlib
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.base import Executor, OnResult, Progress

#: Executor name -> ``module:class``; the class is imported only when asked for.
EXECUTORS = {
    "local": "greenbench.sweep.executors.local:LocalExecutor",
    "ray": "greenbench.sweep.executors.ray_executor:RayExecutor",
}

__all__ = ["EXECUTORS", "Executor", "OnResult", "Progress", "get_executor"]


def get_executor(name: str, **options: Any) -> Executor:
    """Build the executor called ``name`` with ``options`` (its constructor's keywords)."""
    if name not in EXECUTORS:
        raise GreenbenchError(f"--executor: unknown executor {name!r}; allowed: local, ray")
    module, _, cls = EXECUTORS[name].partition(":")
    try:
        factory = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        extra = " (install greenbench[ray])" if name == "ray" else ""
        raise GreenbenchError(f"--executor {name}: cannot import {module}: {exc}{extra}") from None
    return factory(**options)
