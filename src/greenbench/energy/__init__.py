"""Joules per component over named windows: RAPL, NVML, a CPU-time estimate, a CodeCarbon adapter.

>>> from greenbench.energy import EnergyMeter
>>> with EnergyMeter("estimate") as meter, meter.window("work") as w:
...     _ = sum(range(10_000))
>>> sorted(w.measurement.energy_j)
['cpu', 'ram']

Sources implement :class:`Source` and are listed in :data:`SOURCES` (``docs/energy.md``).
"""

from greenbench.energy.measurement import IdleBaseline, Measurement
from greenbench.energy.meter import EnergyMeter, Window, available_sources
from greenbench.energy.sources import (
    SOURCES,
    Source,
    SourceFactory,
    SourceOptions,
    meter_names,
)

__all__ = [
    "SOURCES",
    "EnergyMeter",
    "IdleBaseline",
    "Measurement",
    "Source",
    "SourceFactory",
    "SourceOptions",
    "Window",
    "available_sources",
    "meter_names",
]
