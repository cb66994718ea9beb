"""Joules per component over named windows: RAPL, NVML, an estimate source, a CodeCarbon adapter.

>>> from greenbench.energy import EnergyMeter
>>> with EnergyMeter("estimate") as meter, meter.window("work") as w:
...     _ = sum(range(10_000))
>>> sorted(w.measurement.energy_j)
['cpu', 'ram']
"""

from greenbench.energy.measurement import IdleBaseline, Measurement
from greenbench.energy.meter import METERS, EnergyMeter, Window, available_sources

__all__ = ["METERS", "EnergyMeter", "IdleBaseline", "Measurement", "Window", "available_sources"]
