"""The energy meter: named, nestable measurement windows over a set of sources.

Sources (:class:`greenbench.energy.Source`) come from the :data:`greenbench.energy.SOURCES`
catalogue; ``meter="auto"`` composes the hardware ones with the CPU-time estimate.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from greenbench.energy.host_ledger import SHARE_SUFFIX, HostLedger, Share
from greenbench.energy.measurement import IdleBaseline, Measurement
from greenbench.energy.sources import AUTO, SOURCES, Source, SourceOptions, factory
from greenbench.energy.windows import NamedWindows
from greenbench.errors import GreenbenchError

#: Sources ``meter="auto"`` tries, in order: hardware counters, each skipped where it fails.
AUTO_HARDWARE = ("rapl", "nvml")


class Window:
    """One open measurement window; :attr:`measurement` is set when it closes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.measurement: Measurement | None = None


def _auto_sources(options: SourceOptions, skipped: dict[str, str]) -> list[Source]:
    """Every hardware source that works, the CPU-time estimate for what none of them covers;
    each hardware source that failed goes into ``skipped`` (name -> why)."""
    from greenbench.energy.cpu_time import CpuTimeSource

    sources: list[Source] = []
    for name in AUTO_HARDWARE:
        try:
            sources.append(factory(name).build(options))
        except GreenbenchError as exc:
            skipped[name] = str(exc)
    covered = {c for s in sources for c in s.components}
    missing = tuple(c for c, by in (("cpu", "cpu"), ("ram", "dram")) if by not in covered)
    if missing:
        sources.append(CpuTimeSource(options.pid, components=missing))
    return sources


class EnergyMeter(NamedWindows):
    """Measures energy per component over named windows: ``with meter.window(name)``, or
    Zeus-style ``meter.begin_window(name)`` … ``meter.end_window(name)`` (``windows.py``).

    Args:
        meter: ``"auto"`` (RAPL and NVML where they work, the estimate source for CPU when RAPL
            is missing and for RAM when RAPL has no DRAM zone), or exactly one of ``"rapl"``,
            ``"nvml"``, ``"estimate"``, ``"codecarbon"`` or a plugin's source (the names of
            :func:`greenbench.energy.meter_names`); an explicit source that cannot work raises
            :class:`GreenbenchError` naming the fix.
        pid: root of the process tree the estimate source attributes (default: this process and
            its children). Hardware counters are device-wide whatever ``pid`` is.
        idle: idle baseline to subtract (default: none until :meth:`calibrate_idle`).
        country: ISO3 code handed to CodeCarbon's tracker (``meter="codecarbon"`` only).
        host: the host's ledger of metered jobs (:mod:`greenbench.energy.host_ledger`). With
            one, host-wide components (a source's ``host_wide``: RAPL's ``cpu``/``dram``) are
            charged this job's share of the host's CPU time whenever another metered job
            overlaps a window (provenance ``…×cpu-share``), and ``host.exclusive`` makes the
            meter wait until it is the host's only exclusive meter. None (the default): every
            window gets the whole counter, as a lone job on the host should.

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
        host: HostLedger | None = None,
    ) -> None:
        options = SourceOptions(pid=pid, country=country)
        self.meter = meter
        self.idle = idle
        self.skipped: dict[str, str] = {}
        """Hardware source -> why ``auto`` could not use it (empty for a named meter)."""
        self._sources = (
            _auto_sources(options, self.skipped)
            if meter == AUTO
            else [factory(meter).build(options)]
        )
        self.host_wide = {c for s in self._sources for c in getattr(s, "host_wide", ())}
        """Components that read the whole host rather than the measured processes."""
        self._host = host if host is not None and (self.host_wide or host.exclusive) else None
        if self._host is not None:
            try:
                self._host.register()
            except GreenbenchError:
                self._host = None
                self.close()
                raise

    @property
    def sources(self) -> list[Source]:
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
        host = self._host.open_window() if self._host is not None and self.host_wide else None
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
            win.measurement = self._shared(
                Measurement(
                    name=name,
                    duration_s=duration,
                    energy_j=energy,
                    provenance=self.provenance,
                    idle_energy_j={k: idle[k] * duration for k in energy if k in idle},
                ),
                self._host.close_window(host) if host is not None else None,
            )

    def _shared(self, m: Measurement, share: Share | None) -> Measurement:
        """``m`` with its host-wide components (and their idle energy) scaled by ``share``."""
        if share is None or not share.shared:
            return m
        scaled = {k for k in m.energy_j if k in self.host_wide}
        m.energy_j = {k: v * share.fraction if k in scaled else v for k, v in m.energy_j.items()}
        m.idle_energy_j = {
            k: v * share.fraction if k in scaled else v for k, v in m.idle_energy_j.items()
        }
        m.provenance = {
            k: f"{v}{SHARE_SUFFIX}" if k in scaled else v for k, v in m.provenance.items()
        }
        m.cpu_share = share.fraction
        return m

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
        if self._host is not None:
            self._host.leave()
            self._host = None

    def __enter__(self) -> EnergyMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def available_sources() -> list[tuple[str, bool, str]]:
    """``(name, available, reason)`` for every source of :data:`SOURCES` (``greenbench meters``).

    ``reason`` says what the source reads when available and why not otherwise.
    """
    found: list[tuple[str, bool, str]] = []
    for name in SOURCES:
        try:
            found.append((name, True, factory(name).describe()))
        except GreenbenchError as exc:
            found.append((name, False, str(exc)))
    return found
