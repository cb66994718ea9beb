"""Overhead of one measurement window: greenbench's estimate and RAPL sources vs CodeCarbon.

Run: ``.venv/bin/python benchmarks/bench_meter_overhead.py [--windows N] [--cc-cycles M]``

For each meter it times N window open+close pairs around an empty block and prints the mean
milliseconds per pair, side by side with CodeCarbon's ``OfflineEmissionsTracker`` start+stop (its
first start, which detects the hardware, is timed separately), and RAPL with the host ledger a
sweep job uses to share host counters with co-located jobs. RAPL is read from a fake powercap
tree (GREENBENCH_POWERCAP_ROOT), so it runs anywhere; the file reads are the same as on sysfs,
though sysfs reads of real counters cost a few microseconds more.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from greenbench.energy import EnergyMeter
from greenbench.energy.host_ledger import HostLedger


def fake_powercap(root: Path) -> None:
    """Two packages with a dram zone each, like a dual-socket server."""
    for entry, name in [
        ("intel-rapl:0", "package-0"),
        ("intel-rapl:0:0", "dram"),
        ("intel-rapl:1", "package-1"),
        ("intel-rapl:1:0", "dram"),
    ]:
        zone = root / entry
        zone.mkdir(parents=True)
        (zone / "name").write_text(name + "\n")
        (zone / "energy_uj").write_text("123456789\n")
        (zone / "max_energy_range_uj").write_text("262143328850\n")


def time_windows(meter: EnergyMeter, n: int) -> float:
    """Mean milliseconds per window open+close over ``n`` windows."""
    for _ in range(min(n, 50)):  # warm caches
        with meter.window("warm-up"):
            pass
    start = time.perf_counter()
    for _ in range(n):
        with meter.window("bench"):
            pass
    return (time.perf_counter() - start) / n * 1e3


def time_codecarbon(cycles: int, out_dir: str) -> tuple[float, float]:
    """(first start+stop ms, mean ms of the next ``cycles`` start+stop) of fresh trackers."""
    from codecarbon import OfflineEmissionsTracker

    logging.getLogger("codecarbon").setLevel(logging.ERROR)

    def cycle() -> float:
        t0 = time.perf_counter()
        tracker = OfflineEmissionsTracker(
            country_iso_code="USA", output_methods=[], log_level="error", output_dir=out_dir
        )
        tracker.start()
        tracker.stop()
        return (time.perf_counter() - t0) * 1e3

    first = cycle()
    return first, sum(cycle() for _ in range(cycles)) / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=5000, help="windows per greenbench meter")
    parser.add_argument("--cc-cycles", type=int, default=20, help="CodeCarbon start/stop cycles")
    args = parser.parse_args()

    rows: list[tuple[str, float]] = []
    with EnergyMeter("estimate") as meter:
        rows.append(("greenbench estimate (cpu + ram)", time_windows(meter, args.windows)))
    with tempfile.TemporaryDirectory() as tmp:
        fake_powercap(Path(tmp) / "powercap")
        os.environ["GREENBENCH_POWERCAP_ROOT"] = str(Path(tmp) / "powercap")
        with EnergyMeter("rapl") as meter:
            rows.append(("greenbench rapl (2 packages + dram)", time_windows(meter, args.windows)))
        # What a sweep job pays: the host ledger is read under a lock at each end of a window.
        with EnergyMeter("rapl", host=HostLedger(directory=Path(tmp) / "ledger")) as meter:
            rows.append(
                ("greenbench rapl + host ledger (sweep job)", time_windows(meter, args.windows))
            )
        first, later = time_codecarbon(args.cc_cycles, tmp)
    rows.append(("codecarbon start+stop (first)", first))
    rows.append(("codecarbon start+stop (later)", later))

    table = Table(title=f"window open+close overhead ({os.cpu_count()} CPUs)")
    table.add_column("meter")
    table.add_column("ms per open+close", justify="right")
    table.add_column("x codecarbon (later)", justify="right")
    for name, ms in rows:
        table.add_row(name, f"{ms:.4f}", f"{ms / later:.4f}")
    Console().print(table)


if __name__ == "__main__":
    main()
