"""What an energy source is (:class:`Source`), and the catalogue of them (:data:`SOURCES`).

A source is one small object per way of getting joules. The meter calls :meth:`Source.begin`
on every source when a window opens and :meth:`Source.end` when it closes, so windows nest and
overlap freely. Built-in sources: ``rapl`` (:mod:`.rapl`), ``nvml`` (:mod:`.nvml`), ``estimate``
(:mod:`.cpu_time`) and ``codecarbon`` (:mod:`.codecarbon_source`); other packages add theirs
through the ``greenbench.energy_sources`` entry-point group (see ``docs/energy.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from greenbench.errors import GreenbenchError
from greenbench.plugins import Catalogue


@runtime_checkable
class Source(Protocol):
    """What the meter needs from a source of joules.

    Attributes:
        name: the source's name, as in :data:`SOURCES` (``"rapl"``, ``"estimate"``, …).
        components: component keys it reports (``"cpu"``, ``"dram"``, ``"gpu:0"``, ``"ram"``;
            ``"X:Y"`` is a breakdown of ``"X"``, see :mod:`greenbench.energy.measurement`).
        provenance: component -> ``"measured:<source>"`` for a hardware counter reading, or
            ``"estimated:<method and constants>"``; never a measurement label on an estimate.

    A source whose components read the whole host rather than the measured processes (RAPL
    sockets, CodeCarbon's machine mode) also lists them in an optional ``host_wide`` tuple; the
    meter then shares them between co-located jobs (:mod:`greenbench.energy.host_ledger`).
    """

    name: str
    components: list[str]
    provenance: dict[str, str]

    def begin(self) -> Any:
        """Read the state at window open (opaque to the meter: counters, a tracker, …).

        Must be cheap (well under a millisecond for counters) and safe to call while other
        windows are open.
        """

    def end(self, state: Any) -> dict[str, float]:
        """Joules per component (every key of :attr:`components`) since ``begin`` gave ``state``.

        Gross energy: idle power included; the meter subtracts an idle baseline itself.
        """

    def close(self) -> None:
        """Stop background threads and release devices; no window is open any more."""


@dataclass(frozen=True)
class SourceOptions:
    """What the meter hands every factory; a source uses what applies to it."""

    pid: int | None = None
    """Root of the process tree to attribute energy to (None: this process and its children);
    device-wide counters ignore it."""
    country: str | None = None
    """ISO3 code of the grid country, for sources that need one (CodeCarbon's tracker)."""


@dataclass(frozen=True)
class SourceFactory:
    """How to make one kind of source, and how ``greenbench meters`` describes it."""

    build: Callable[[SourceOptions], Source]
    """Create the source; raise :class:`GreenbenchError` naming the fix when it cannot work."""
    probe: Callable[[], str] | None = None
    """What the source would measure here, in words, without building it (for sources slow or
    costly to start); raise :class:`GreenbenchError` saying why when unavailable. None: build
    the source, list its components and close it."""

    def describe(self) -> str:
        """One line for ``greenbench meters``; GreenbenchError (with the reason) if unavailable."""
        if self.probe is not None:
            return self.probe()
        source = self.build(SourceOptions())
        try:
            return f"measures {', '.join(source.components)}"
        finally:
            source.close()


#: Source name -> ``"module:attribute"`` of its :class:`SourceFactory` (built-ins first, then
#: the ``greenbench.energy_sources`` entry points). A plugin may also register a plain callable
#: ``(SourceOptions) -> Source``; :func:`factory` wraps it.
SOURCES: Catalogue[SourceFactory | Callable[[SourceOptions], Source]] = Catalogue(
    "greenbench.energy_sources",
    {
        "rapl": "greenbench.energy.rapl:FACTORY",
        "nvml": "greenbench.energy.nvml:FACTORY",
        "estimate": "greenbench.energy.cpu_time:FACTORY",
        "codecarbon": "greenbench.energy.codecarbon_source:FACTORY",
    },
)
#: The meter that is no single source: hardware counters where they work, estimates elsewhere.
AUTO = "auto"


def meter_names() -> list[str]:
    """Values accepted for ``EnergyMeter(meter=...)``, ``--meter`` and a sweep's ``meter``."""
    return [AUTO, *SOURCES]


def factory(name: str) -> SourceFactory:
    """The factory of source ``name``; GreenbenchError naming the choices when unknown."""
    if name not in SOURCES:
        raise GreenbenchError(f"unknown meter {name!r}: choose one of {', '.join(meter_names())}")
    try:
        found = SOURCES.load(name)
    except ImportError as exc:
        raise GreenbenchError(f"energy source {name!r} cannot be imported: {exc}") from exc
    return found if isinstance(found, SourceFactory) else SourceFactory(build=found)
