"""CPU model detection and the bundled TDP table (``cpu_tdp.csv``) behind the estimate source.

Each table row gives a CPU model's sustained all-core power ``tdp_w``: the vendor's TDP (AMD's
default TDP, Intel's TDP or "processor base power"), except Intel's 12th-14th generation K-series,
whose default profile sustains the "maximum turbo power" (PL1 = PL2), about 1.2-2x the base power,
so that is the row's figure; ``max_power_w`` is the vendor's maximum where it publishes one (the
upper end of :mod:`greenbench.energy.uncertainty`'s range), with physical cores and hardware
threads, and where the figures come from. The estimate source
turns it into watts per *hardware thread*, because CPU time accrues per logical CPU: a chip that
runs all of its threads flat out accrues ``threads`` CPU-seconds per second and draws about its TDP.
"""

from __future__ import annotations

import csv
import functools
import platform
import re
import subprocess
from dataclasses import dataclass
from importlib import resources

#: Watts per hardware thread used when the CPU model is not in the table. The table's median is
#: 3.5 W/thread (server parts 1-3 W, desktop parts 4-8 W); 4 W rounds it up so that an unknown CPU
#: is not made to look frugal.
DEFAULT_W_PER_THREAD = 4.0

#: ARM ``CPU part`` codes in /proc/cpuinfo -> core names (Linux on ARM has no "model name").
_ARM_PARTS = {"0xd0c": "ARM Neoverse-N1", "0xd40": "ARM Neoverse-V1", "0xd4f": "ARM Neoverse-V2"}


@dataclass(frozen=True)
class CpuPower:
    """Per-thread active power of one CPU model, and how it was found."""

    model: str
    """CPU model string as reported by the OS (``"unknown"`` when none)."""
    w_per_thread: float
    """Active power per hardware thread, in watts (TDP / threads, or the default)."""
    tdp_w: float | None = None
    """The table's TDP, in watts; None when the model is not in the table."""
    threads: int | None = None
    """Hardware threads of the table's model; None when not in the table."""
    cores: int | None = None
    """Physical cores of the table's model; None when not in the table."""
    max_power_w: float | None = None
    """The vendor's maximum (e.g. Intel's maximum turbo power), W; None when not published."""
    matched: str = ""
    """The table row's model name (empty when not in the table)."""
    source: str = ""
    """Where the table row's TDP comes from."""

    @property
    def in_table(self) -> bool:
        """True when the model matched a row of the bundled table."""
        return self.tdp_w is not None

    def describe(self) -> str:
        """Constants in words, e.g. ``3.75 W/thread (TDP 150 W / 40 threads, Xeon Gold 6248)``."""
        if self.in_table:
            return (
                f"{self.w_per_thread:.3g} W/thread (TDP {self.tdp_w:g} W / {self.threads} threads, "
                f"{self.matched})"
            )
        return f"{self.w_per_thread:.3g} W/thread (default: CPU model not in the TDP table)"


def _normalise(name: str) -> str:
    """Lower-case, drop trademarks, 'CPU', 'Processor', clock speeds and extra spaces."""
    name = re.sub(r"\((r|tm|c)\)|®|™", " ", name, flags=re.IGNORECASE)
    name = re.sub(r"@.*$", " ", name)
    name = re.sub(r"\b(cpu|processor|\d+-core)\b", " ", name, flags=re.IGNORECASE)
    return " ".join(name.lower().split())


@functools.lru_cache(maxsize=1)
def table() -> list[dict[str, str]]:
    """Rows of the bundled table: model, tdp_w, max_power_w (may be empty), cores, threads,
    source (all strings)."""
    text = resources.files("greenbench.energy").joinpath("cpu_tdp.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


def lookup(model: str) -> CpuPower:
    """Per-thread power of ``model``: the longest table entry found in it as whole words."""
    norm = _normalise(model)
    best: dict[str, str] | None = None
    for row in table():
        key = _normalise(row["model"])
        if re.search(rf"(?<![\w+-]){re.escape(key)}(?![\w+-])", norm) and (
            best is None or len(key) > len(_normalise(best["model"]))
        ):
            best = row
    if best is None:
        return CpuPower(model=model or "unknown", w_per_thread=DEFAULT_W_PER_THREAD)
    tdp, threads = float(best["tdp_w"]), int(best["threads"])
    return CpuPower(
        model=model,
        w_per_thread=tdp / threads,
        tdp_w=tdp,
        threads=threads,
        cores=int(best["cores"]),
        max_power_w=float(best["max_power_w"]) if best["max_power_w"] else None,
        matched=best["model"],
        source=best["source"],
    )


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU model string of this machine, e.g. ``"Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"``."""
    system = platform.system()
    if system == "Linux":
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
                info = fh.read()
        except OSError:
            info = ""
        found = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
        if found:
            return found.group(1).strip()
        part = re.search(r"^CPU part\s*:\s*(\S+)$", info, re.MULTILINE)
        if part and part.group(1).lower() in _ARM_PARTS:
            return _ARM_PARTS[part.group(1).lower()]
    elif system == "Darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
            if out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or "unknown"


def this_cpu() -> CpuPower:
    """Per-thread power of this machine's CPU."""
    return lookup(cpu_model())
