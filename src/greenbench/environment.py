"""Host metadata stored with every result: machine, CPU, memory, GPUs, Python and key libraries.

Library versions are read from installed distribution metadata (``importlib.metadata``); the
libraries themselves are never imported, so describing the environment stays cheap.
"""

from __future__ import annotations

import importlib.metadata
import platform
import socket
from typing import Any

import psutil

from greenbench import __version__
from greenbench.energy.cpu_tdp import cpu_model
from greenbench.energy.nvml import gpu_inventory

#: Distributions whose versions are recorded (when installed).
PACKAGES = (
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "onnxruntime",
    "llama_cpp_python",
    "codecarbon",
    "ray",
    "nvidia-ml-py",
)


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """``{distribution: version}`` for the installed ones among ``names``."""
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def describe() -> dict[str, Any]:
    """This machine and software, JSON-ready.

    Keys: ``host``, ``os``, ``machine``, ``cpu_model``, ``cpu_cores_physical``,
    ``cpu_cores_logical``, ``ram_gib``, ``gpus`` (list of ``{index, name, uuid, memory_gib}``,
    empty without NVIDIA GPUs), ``python``, ``greenbench``, ``packages`` (name -> version).
    """
    return {
        "host": socket.gethostname(),
        "os": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_cores_physical": psutil.cpu_count(logical=False),
        "cpu_cores_logical": psutil.cpu_count(logical=True),
        "ram_gib": round(psutil.virtual_memory().total / (1 << 30), 1),
        "gpus": gpu_inventory(),
        "python": platform.python_version(),
        "greenbench": __version__,
        "packages": package_versions(),
    }
