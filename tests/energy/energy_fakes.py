"""Helpers of the energy tests: a fake powercap tree and a CPU-burning child command."""

from __future__ import annotations

import sys
from pathlib import Path

#: max_energy_range_uj of a real Intel package zone.
MAX_UJ = 262_143_328_850

#: Python one-liner burning SECONDS of its own CPU time (not wall time), for busy children.
BURN = (
    "import sys, time\n"
    "end = time.process_time() + float(sys.argv[1])\n"
    "while time.process_time() < end:\n"
    "    pass\n"
)


class FakePowercap:
    """A powercap tree under ``root`` laid out like /sys/class/powercap (flat zone entries)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "intel-rapl").mkdir(parents=True)  # the control-type entry, not a zone

    def zone(self, entry: str, name: str, energy_uj: int = 0, max_uj: int = MAX_UJ) -> Path:
        """Create zone ``entry`` (e.g. ``intel-rapl:0:0``) named ``name``."""
        path = self.root / entry
        path.mkdir()
        (path / "name").write_text(name + "\n")
        (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
        (path / "energy_uj").write_text(f"{energy_uj}\n")
        return path

    def set(self, entry: str, energy_uj: int) -> None:
        """Set the counter of zone ``entry``."""
        (self.root / entry / "energy_uj").write_text(f"{energy_uj}\n")

    def add(self, entry: str, joules: float) -> None:
        """Advance the counter of zone ``entry`` by ``joules`` (no wraparound)."""
        now = int((self.root / entry / "energy_uj").read_text())
        self.set(entry, now + int(joules * 1e6))


def burn_command(seconds: float) -> list[str]:
    """argv of a child process that burns ``seconds`` of CPU time and exits."""
    return [sys.executable, "-c", BURN, str(seconds)]
