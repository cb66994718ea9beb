"""How uncertain an estimated energy is: a low-high range from the uncertainty of its constants.

The ``estimate`` source (:mod:`greenbench.energy.cpu_time`) multiplies what it counts (CPU
seconds, GiB-seconds of resident memory) by a constant; the constant, not the count, is what is
uncertain. Each constant gets a range, and an estimated component's joules scale with it:

- **cpu**, watts per hardware thread:

  - CPU model in the table: from ``tdp_w / threads`` (every hardware thread busy at the sustained
    power: the central value) to ``max_power_w / cores`` (one busy thread per core, its SMT
    sibling idle, at the vendor's maximum; ``tdp_w`` where none is published). A single-threaded
    job draws near the high end, a job that fills every thread near the low end.
  - CPU model not in the table (the 4 W/thread default): from the lowest to the highest of those
    bounds over every row of the table, because nothing says which CPU it is like.

- **ram**, watts per GiB: from 5 W per 64 GB module to 5 W per 8 GB module (CodeCarbon 3's
  5 W per DIMM over the module sizes it assumes), around the central 0.375 W/GiB of eco2AI and
  CodeCarbon <= 2.

Measured components (``measured:…``) carry no constant and keep their value at both ends. An
estimated component whose method has no range here (e.g. an adapter's own estimate) leaves the
phase without a range, with a note saying why: never a range that looks tighter than it is.
Workloads that keep the CPU below its sustained power (memory-bound ones) can fall below the low
end; the range covers the constants' uncertainty, not the model's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from greenbench.energy.cpu_tdp import CpuPower, table, this_cpu
from greenbench.energy.cpu_time import RAM_W_PER_GIB

#: 5 W per DIMM (CodeCarbon 3's x86 figure) over the largest and smallest module it assumes, W/GiB.
RAM_W_PER_GIB_LOW = 5.0 / 64
RAM_W_PER_GIB_HIGH = 5.0 / 8
#: Provenance prefixes of the estimate source's components, the ones this module knows.
_CPU_PREFIX = "estimated:cpu-time"
_RAM_PREFIX = "estimated:rss"


@dataclass(frozen=True)
class ConstantRange:
    """The range of one estimate constant around the value the estimate used."""

    low: float
    central: float
    high: float
    unit: str
    """``W/thread`` or ``W/GiB``."""
    why: str
    """Where the ends come from, in a few words."""

    def factors(self) -> tuple[float, float]:
        """``(low / central, high / central)``: what an estimated joule figure is multiplied by."""
        return self.low / self.central, self.high / self.central

    def describe(self) -> str:
        """e.g. ``3.75 W/thread (3.75-7.5: TDP/threads to TDP/cores)``."""
        return f"{self.central:.3g} {self.unit} ({self.low:.3g}-{self.high:.3g}: {self.why})"


def _row_bounds(row: Mapping[str, str]) -> tuple[float, float]:
    tdp = float(row["tdp_w"])
    peak = float(row["max_power_w"]) if row.get("max_power_w") else tdp
    return tdp / int(row["threads"]), peak / int(row["cores"])


@functools.cache
def _table_span() -> tuple[float, float]:
    bounds = [_row_bounds(row) for row in table()]
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


def cpu_range(cpu: CpuPower) -> ConstantRange:
    """The W/thread range of ``cpu`` (see the module docstring)."""
    if cpu.in_table and cpu.tdp_w and cpu.threads and cpu.cores:
        peak = cpu.max_power_w or cpu.tdp_w
        high = max(cpu.w_per_thread, peak / cpu.cores)
        why = f"{'max power' if cpu.max_power_w else 'TDP'} {peak:g} W / {cpu.cores} cores"
        return ConstantRange(cpu.w_per_thread, cpu.w_per_thread, high, "W/thread", why)
    low, high = _table_span()
    low, high = min(low, cpu.w_per_thread), max(high, cpu.w_per_thread)
    why = "CPU not in the table: the span of every CPU in it"
    return ConstantRange(low, cpu.w_per_thread, high, "W/thread", why)


RAM_RANGE = ConstantRange(
    RAM_W_PER_GIB_LOW,
    RAM_W_PER_GIB,
    RAM_W_PER_GIB_HIGH,
    "W/GiB",
    "5 W per 64 GB to per 8 GB module",
)


@dataclass(frozen=True)
class PhaseRange:
    """Low-high energy of one phase, gross and net, from its constants' ranges."""

    energy_j: dict[str, list[float]]
    """Component and ``total`` -> ``[low, high]`` of the gross energy, J."""
    net_energy_j: dict[str, list[float]]
    """The same for the energy above the idle baseline, J."""
    basis: str
    """The constants and their ranges, e.g. ``cpu 3.75 W/thread (3.75-7.5: …)``."""


def _constant(provenance: str, cpu: CpuPower) -> ConstantRange | None:
    if provenance.startswith(_CPU_PREFIX):
        return cpu_range(cpu)
    if provenance.startswith(_RAM_PREFIX):
        return RAM_RANGE
    return None


def _scaled(values: Mapping[str, float | None], factors: Mapping[str, tuple[float, float]]):
    """``values`` with each factored component at its low and high end, and the total shifted
    by the same joules."""
    out: dict[str, list[float]] = {}
    shift_low = shift_high = 0.0
    for key, value in values.items():
        if key == "total" or value is None:
            continue
        low_f, high_f = factors.get(key, (1.0, 1.0))
        out[key] = [value * low_f, value * high_f]
        shift_low += value * (low_f - 1.0)
        shift_high += value * (high_f - 1.0)
    total = values.get("total")
    if total is not None:
        out["total"] = [total + shift_low, total + shift_high]
    return out


def phase_range(
    energy_j: Mapping[str, float | None],
    net_energy_j: Mapping[str, float | None],
    provenance: Mapping[str, str | None],
    cpu: CpuPower | None = None,
) -> PhaseRange | str | None:
    """The range of a phase's energy, a note when it has estimated components without a known
    range, or None when nothing in it is estimated (measured energy has no constant).

    Args:
        energy_j, net_energy_j: the phase's gross and net joules per component and ``total``.
        provenance: component -> provenance string.
        cpu: the CPU whose constants the estimate used (default: this machine's, where the
            estimate ran).
    """
    estimated = {k: str(p) for k, p in provenance.items() if str(p).startswith("estimated")}
    if not estimated:
        return None
    cpu = cpu or this_cpu()
    constants = {k: _constant(p, cpu) for k, p in estimated.items()}
    unknown = sorted(p for k, p in estimated.items() if constants[k] is None)
    if unknown:
        return f"no range for {', '.join(unknown)}: its constants' uncertainty is not known"
    factors = {k: c.factors() for k, c in constants.items() if c is not None}
    basis = "; ".join(f"{k} {c.describe()}" for k, c in sorted(constants.items()) if c)
    return PhaseRange(_scaled(energy_j, factors), _scaled(net_energy_j, factors), basis)
