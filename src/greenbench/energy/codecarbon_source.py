"""The CodeCarbon source: CodeCarbon's own energy figures, for CodeCarbon-comparable results.

Only ``codecarbon.OfflineEmissionsTracker`` is used (the online tracker probes the network), in
``machine`` tracking mode, with no output files and CodeCarbon's logging at ERROR. Each window runs
one tracker start/stop; CodeCarbon's hardware detection makes the first start slow (over a
second), which is why this source is never picked by ``meter="auto"``. Its emissions are ignored:
greenbench converts joules to CO2e itself (:mod:`greenbench.carbon`).

Provenance is honest about CodeCarbon's mode: ``measured:codecarbon(...)`` only for CPU energy
read from RAPL (CodeCarbon's ``Intel Rapl`` mode) and GPU energy read from NVML, otherwise
``estimated:codecarbon(<mode>)``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import tempfile
from typing import Any

from greenbench.energy.sources import SourceFactory, SourceOptions
from greenbench.errors import GreenbenchError
from greenbench.units import J_PER_KWH


def _tracker_class() -> Any:
    try:
        from codecarbon import OfflineEmissionsTracker
    except ImportError as exc:
        raise GreenbenchError(
            "--meter codecarbon needs CodeCarbon: `pip install 'greenbench[codecarbon]'`"
        ) from exc
    return OfflineEmissionsTracker


class CodeCarbonSource:
    """``cpu``, ``gpu`` and ``ram`` energy as CodeCarbon's offline tracker reports it.

    Args:
        country: ISO3 code handed to the tracker, which requires one; it affects only CodeCarbon's
            own emissions, which are not used (default ``"USA"``).
    """

    name = "codecarbon"

    def __init__(self, country: str | None = None) -> None:
        self._cls = _tracker_class()
        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        self._country = country or "USA"
        self._dir = tempfile.TemporaryDirectory(prefix="greenbench-codecarbon-")
        probe = self._tracker()
        hardware = probe.get_detected_hardware()
        descriptions = list(getattr(probe, "_conf", {}).get("hardware", []))
        cpu_mode = next((d for d in descriptions if d.startswith("CPU")), "CPU(unknown)")
        self.components = ["cpu", "ram"]
        self.provenance = {
            "cpu": ("measured" if "Rapl" in cpu_mode else "estimated") + f":codecarbon({cpu_mode})",
            "ram": "estimated:codecarbon(RAM power model)",
        }
        self.host_wide = ("cpu", "ram")  # machine tracking mode: the whole host's CPU and RAM
        if hardware.get("gpu_count"):
            self.components.insert(1, "gpu")
            self.provenance["gpu"] = "measured:codecarbon(nvml)"

    def _tracker(self) -> Any:
        options = {
            "country_iso_code": self._country,
            "log_level": "error",
            "output_dir": self._dir.name,
            "measure_power_secs": 15,
        }
        try:
            return self._cls(output_methods=[], **options)
        except TypeError:  # CodeCarbon < 3 has no output_methods
            return self._cls(save_to_file=False, **options)

    def begin(self) -> Any:
        """Start a fresh tracker for the window."""
        tracker = self._tracker()
        tracker.start()
        return tracker

    def end(self, tracker: Any) -> dict[str, float]:
        """Stop the window's tracker; joules per component."""
        tracker.stop()
        data = tracker.final_emissions_data
        out = {"cpu": data.cpu_energy * J_PER_KWH, "ram": data.ram_energy * J_PER_KWH}
        if "gpu" in self.components:
            out["gpu"] = data.gpu_energy * J_PER_KWH
        return out

    def close(self) -> None:
        """Remove the tracker's scratch directory."""
        self._dir.cleanup()


def _build(options: SourceOptions) -> CodeCarbonSource:
    return CodeCarbonSource(options.country)


def _probe() -> str:
    """Installed or not, without starting CodeCarbon's slow hardware detection."""
    if importlib.util.find_spec("codecarbon") is None:
        raise GreenbenchError("not installed: pip install 'greenbench[codecarbon]'")
    version = importlib.metadata.version("codecarbon")
    return f"CodeCarbon {version} offline tracker (only with --meter)"


#: The ``codecarbon`` entry of :data:`greenbench.energy.SOURCES`.
FACTORY = SourceFactory(build=_build, probe=_probe)
