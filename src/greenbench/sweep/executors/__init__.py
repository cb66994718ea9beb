"""Executors: where a sweep's jobs run. ``local`` (one process per job, here) or ``ray``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.base import Executor, OnResult, Preparing, Progress

if TYPE_CHECKING:
    from greenbench.sweep.config import SweepConfig

#: Executor name -> ``module:class``; the class is imported only when asked for.
EXECUTORS = {
    "local": "greenbench.sweep.executors.local:LocalExecutor",
    "ray": "greenbench.sweep.executors.ray_executor:RayExecutor",
}

__all__ = [
    "EXECUTORS",
    "Executor",
    "OnResult",
    "Preparing",
    "Progress",
    "build_executor",
    "get_executor",
]


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


def build_executor(name: str, config: SweepConfig, out_dir: str | Path, **options: Any) -> Executor:
    """Executor ``name`` with the config's idle calibration, cool-down and per-job timeout,
    worker logs in ``out_dir/logs``, plus ``options`` (where the local executor calibrates idle
    power once, the Ray executor calibrates each node)."""
    settings: dict[str, Any] = {
        "idle_seconds": config.idle_seconds,
        "cooldown_s": config.cooldown_s,
        "timeout_s": config.job_timeout_s,
        "log_dir": Path(out_dir) / "logs",
    }
    return get_executor(name, **settings, **options)
