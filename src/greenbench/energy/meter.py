"""The energy meter: named, nestable measurement windows over a set of sources.

A *source* is one small object per way of getting joules (:mod:`.rapl`, :mod:`.nvml`,
:mod:`.estimate`, :mod:`.codecarbon_source`) with ``name``, ``components``, ``provenance``
(component -> string), ``begin() -> state``, ``end(state) -> {component: J}`` and ``close()``.
A window calls ``begin`` on every source when it opens and ``end`` when it closes, so windows nest
and overlap freely.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from greenbench.energy.measurement import IdleBaseline, Measurement
from greenbench.errors import GreenbenchError

#: Values accepted for ``EnergyMeter(meter=...)`` and ``--meter``.
METERS = ("auto", "rapl", "nvml", "estimate", "codecarbon")


class Window:
    """One open measurement window; :attr:`measurement` is set when it closes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.measurement: Measurement | None = None


def _build_sources(meter: str, pid: int | None, country: str | None) -> list[Any]:
    from greenbench.energy.estimate import EstimateSource

    if meter == "estimate":
        return [EstimateSource(pid)]
    if meter == "rapl":
        from greenbench.energy.rapl import RaplSource

        return [RaplSource()]
    if meter == "nvml":
        from greenbench.energy.nvml import NvmlSource

        return [NvmlSource()]
    if meter == "codecarbon":
        from greenbench.energy.codecarbon_source import CodeCarbonSource

        return [CodeCarbonSource(country)]
    # auto: every hardware source that works, the estimate for what none of them covers.
    sources: list[Any] = []
    for name in ("rapl", "nvml"):
        try:
            sources.extend(_build_sources(name, pid, country))
        except GreenbenchError:
            continue
    covered = {c for s in sources for c in s.components}
    missing = tuple(c for c, by in (("cpu", "cpu"), ("ram", "dram")) if by not in covered)
    if missing:
        sources.append(EstimateSource(pid, components=missing))
    return sources


class EnergyMeter:
    """Measures energy per component over named windows.

    Args:
        meter: ``"auto"`` (RAPL and NVML where they work, the estimate source for CPU when RAPL
            is missing and for RAM when RAPL has no DRAM zone), or exactly one of ``"rapl"``,
            ``"nvml"``, ``"estimate"``, ``"codecarbon"``; an explicit source that cannot work
            raises :class:`GreenbenchError` naming the fix.
        pid: root of the process tree the estimate source attributes (default: this process and
            its children). Hardware counters are device-wide whatever ``pid`` is.
        idle: idle baseline to subtract (default: none until :meth:`calibrate_idle`).
        country: ISO3 code handed to CodeCarbon's tracker (``meter="codecarbon"`` only).

    Example::

        meter = EnergyMeter()
        with meter.window("inference") as w:
            run_model()
        print(w.measurement.total_j, w.measurement.provenance)
    """

    def __init__(
        self,
        meter: str = "auto",
        pid: int | None = None,
        idle: IdleBaseline | None = None,
        *,
        country: str | None = None,
    ) -> None:
        if meter not in METERS:
            raise GreenbenchError(f"unknown meter {meter!r}: choose one of {', '.join(METERS)}")
        self.meter = meter
        self.idle = idle
        self._sources = _build_sources(meter, pid, country)

    @property
    def sources(self) -> list[Any]:
        """Active sources, each with ``.name`` and ``.components``."""
        return list(self._sources)

    @property
    def provenance(self) -> dict[str, str]:
        """Component -> provenance string, over all sources."""
        return {k: v for s in self._sources for k, v in s.provenance.items()}

    @contextmanager
    def window(self, name: str) -> Iterator[Window]:
        """Measure the enclosed block as ``name``; the measurement is set even if it raises."""
        win = Window(name)
        t0 = time.perf_counter()
        states = [s.begin() for s in self._sources]
        try:
            yield win
        finally:
            energy: dict[str, float] = {}
            for source, state in zip(self._sources, states, strict=True):
                energy.update(source.end(state))
            duration = time.perf_counter() - t0
            idle = self.idle.power_w if self.idle else {}
            win.measurement = Measurement(
                name=name,
                duration_s=duration,
                energy_j=energy,
                provenance=self.provenance,
                idle_energy_j={k: idle[k] * duration for k in energy if k in idle},
            )

    def calibrate_idle(self, seconds: float = 2.0) -> IdleBaseline:
        """Measure static power over ``seconds`` of sleep; store it on :attr:`idle` and return it.

        Run it when the machine is as quiet as it will be during the measurement; everything the
        sources see meanwhile (other processes, for device-wide counters) counts as idle.
        """
        if not seconds > 0:
            raise GreenbenchError(f"idle calibration needs seconds > 0 (got {seconds})")
        with self.window("idle") as win:
            time.sleep(seconds)
        m = win.measurement
        assert m is not None
        self.idle = IdleBaseline(
            power_w={k: v / m.duration_s for k, v in m.energy_j.items()},
            duration_s=m.duration_s,
            provenance=dict(m.provenance),
        )
        return self.idle

    def close(self) -> None:
        """Stop the sources' background threads and release devices."""
        for source in self._sources:
            source.close()

    def __enter__(self) -> EnergyMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def available_sources() -> list[tuple[str, bool, str]]:
    """``(name, available, reason)`` for every source on this machine (for ``greenbench meters``).

    ``reason`` says what the source reads when available and why not otherwise.
    """
    from greenbench.energy.cpu_tdp import this_cpu
    from greenbench.energy.estimate import RAM_W_PER_GIB

    found: list[tuple[str, bool, str]] = []
    for name in ("rapl", "nvml"):
        try:
            sources = _build_sources(name, None, None)
        except GreenbenchError as exc:
            found.append((name, False, str(exc)))
            continue
        parts = ", ".join(sources[0].components)
        found.append((name, True, f"measures {parts}"))
        sources[0].close()
    found.append(
        (
            "estimate",
            True,
            f"estimates cpu (cpu-time x {this_cpu().describe()}) and ram "
            f"(rss x {RAM_W_PER_GIB} W/GiB)",
        )
    )
    if importlib.util.find_spec("codecarbon") is None:
        found.append(("codecarbon", False, "not installed: pip install 'greenbench[codecarbon]'"))
    else:
        version = importlib.metadata.version("codecarbon")
        found.append(
            ("codecarbon", True, f"CodeCarbon {version} offline tracker (only with --meter)")
        )
    return found
