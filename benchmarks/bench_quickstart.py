"""The quickstart sweep, this checkout against an earlier one, back to back on one machine.

    .venv/bin/python benchmarks/bench_quickstart.py --before /path/to/old/checkout
    .venv/bin/python benchmarks/bench_quickstart.py --before OLD --repeats 2 --limit 6

Each side runs ``greenbench run --out DIR`` (the built-in quickstart, models already cached) with
its own interpreter — ``OLD/.venv/bin/python``, and this one for this checkout — into a fresh
directory, timed from process start to exit; with ``--repeats`` > 1 the two sides alternate, so
drift in the machine's speed hits both. Machines of this kind vary 2–3× from day to day: only
pairs from one run compare.

Printed: wall time per side (best of the repeats) and the ratio, then per side the seconds each
phase took summed over the sweep's jobs (load, finetune, inference) and the rest (process
start, imports, scoring, idle calibration, cool-down), and whether the two sides' answers agree
job by job (same primary metric value).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def run_side(python: Path, cwd: Path, out: Path, limit: int | None) -> float:
    """Wall seconds of one quickstart sweep by ``python`` run in ``cwd`` into ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(python), "-m", "greenbench.cli.main", "run", "--out", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def phase_seconds(out: Path) -> dict[str, float]:
    """Seconds per phase summed over the sweep's records."""
    sums: dict[str, float] = {}
    for record in json.loads((out / "results.json").read_text()):
        for name, phase in (record.get("phases") or {}).items():
            sums[name] = sums.get(name, 0.0) + (phase.get("duration_s") or 0.0)
    return sums


def answers(out: Path) -> dict[tuple[str, str, str], float | None]:
    """Primary metric value per (model, variant, task)."""
    result = {}
    for record in json.loads((out / "results.json").read_text()):
        key = (record["model"]["name"], record["variant"]["name"], record["task"])
        metric = record.get("primary_metric")
        result[key] = (record.get("quality") or {}).get(metric, {}).get("value")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="earlier checkout with .venv")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="samples per task (quicker)")
    args = parser.parse_args()
    sides = {
        "before": (args.before / ".venv" / "bin" / "python", args.before),
        "after": (Path(sys.executable), HERE),
    }
    work = Path(tempfile.mkdtemp(prefix="bench-quickstart-"))
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, (python, cwd) in sides.items():
            wall = run_side(python, cwd, work / name, args.limit)
            best[name] = min(wall, best.get(name, wall))
            print(f"{name}: {wall:.1f} s", flush=True)
    print(
        f"\nwall time, best of {args.repeats}: before {best['before']:.1f} s, "
        f"after {best['after']:.1f} s, {best['before'] / best['after']:.2f}x faster"
    )
    for name in sides:
        phases = phase_seconds(work / name)
        rest = best[name] - sum(phases.values())
        listed = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(phases.items()))
        print(f"{name}: {listed}, everything else {rest:.1f} s (last run)")
    before, after = answers(work / "before"), answers(work / "after")
    both = before.keys() & after.keys()
    differ = sorted(k for k in both if before[k] != after[k])
    print(f"jobs with a different primary metric: {len(differ)} of {len(both)}")
    for key in differ:
        print(f"  {'/'.join(key)}: {before[key]} -> {after[key]}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
