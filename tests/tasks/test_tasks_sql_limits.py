"""Hostile SQL from issue 13: each query ends within its time limit + 1 s, scores 0, and the
scoring process's memory stays bounded (peak RSS measured in a child process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from greenbench.metrics.quality.execution import QueryOutcome, results_match
from greenbench.tasks.sql_sandbox import SqlSandbox, settle
from greenbench.tasks.sqldb import shop_database

SRC = Path(__file__).resolve().parents[2] / "src"
#: Few VM steps (~15,000), each generating almost a megabyte of random bytes: 10 columns of 500
#: terms (SQLite caps an expression's depth at 1000).
_TERMS = " + ".join(["length(randomblob(999000))"] * 500)
HEAVY = "SELECT " + ", ".join([_TERMS] * 10)
#: The issue's query: blobs of 10 MB, 300 times.
BIG_BLOBS = "SELECT " + " + ".join(["length(randomblob(10000000))"] * 300)
#: 10,000 rows of 100 KB each (1 GB of results).
WIDE_ROWS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10000) "
    "SELECT randomblob(100000) FROM c"
)
#: Sorting an endless stream of 900 KB keys: temporary storage grows until stopped.
ENDLESS_SORT = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT x FROM c ORDER BY randomblob(900000) LIMIT 3"
)


@pytest.mark.parametrize("sql", [HEAVY, BIG_BLOBS, "SELECT zeroblob(999999999)", ENDLESS_SORT])
def test_a_hostile_query_ends_within_its_limit_and_fails(sql):
    limit = 0.5
    with SqlSandbox(shop_database(), timeout_s=limit) as box:
        start = time.monotonic()
        outcome = box.run(sql)
        elapsed = time.monotonic() - start
        assert outcome.rows is None and outcome.error
        assert elapsed < limit + 1.0, (elapsed, outcome.error)
        assert box.run("SELECT COUNT(*) FROM regions").rows == [(5,)]  # still usable


def test_after_a_killed_query_the_next_one_runs():
    with SqlSandbox(shop_database(), timeout_s=0.05) as box:
        for _ in range(3):
            assert box.run(HEAVY).error == "timed out"
            assert box.run("SELECT COUNT(*) FROM customers").rows == [(60,)]


def test_a_result_over_the_memory_cap_is_refused():
    with SqlSandbox(shop_database(), max_result_bytes=1 << 20) as box:
        outcome = box.run("SELECT randomblob(100000) FROM order_items")
    assert outcome.rows is None and outcome.error == "result larger than 1 MiB"


def _peak_rss_mib(code: str) -> tuple[dict, float]:
    """Run ``code`` (which prints one JSON line) in a fresh interpreter; its output and peak RSS."""
    probe = (
        f"{code}\nimport resource\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"  # KiB -> MiB
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *lines, peak = done.stdout.strip().splitlines()
    return json.loads(lines[-1]), float(peak)


def test_scoring_hostile_answers_keeps_memory_bounded():
    """Six samples answered with 1 GB results and a 1 GB blob score 0 in bounded memory (the
    rows of each sample are released before the next runs)."""
    baseline = _peak_rss_mib(
        "from greenbench.tasks import load_task; import json\n"
        "task = load_task('text-to-sql'); task.score(task.samples()[:1], {})\n"
        "print(json.dumps({}))"
    )[1]
    attacks = [WIDE_ROWS] * 5 + ["SELECT zeroblob(999999999)"]
    code = (
        "import json\nfrom greenbench.tasks import load_task\n"
        "task = load_task('text-to-sql')\nsamples = task.samples()[:6]\n"
        f"attacks = {attacks!r}\n"
        "preds = {s.id: a for s, a in zip(samples, attacks)}\n"
        "result = task.score(samples, preds)\n"
        "print(json.dumps([r['scores']['execution_accuracy'] for r in result.per_sample]))"
    )
    scores, peak = _peak_rss_mib(code)
    assert scores == [0.0] * 6
    assert peak - baseline < 512, (baseline, peak)  # documented bound: ~384 MiB


@pytest.mark.parametrize(
    ("pred", "gold", "ordered"),
    [
        ([(1,), (2,)], [(2,), (1,)], False),
        ([(1,), (2,)], [(2,), (1,)], True),
        ([(1.0000001,)], [(1.0,)], False),
        (None, [(1,)], False),
        ([(1,)], None, False),
        ([], [], True),
    ],
)
def test_released_outcomes_compare_as_the_rows_did(pred, gold, ordered):
    p = QueryOutcome(pred, 0.2, None if pred is not None else "no such table")
    g = QueryOutcome(gold, 0.1, None if gold is not None else "timed out")
    kept_p, kept_g = settle(p, g, ordered)
    assert results_match(kept_p, kept_g, ordered) == results_match(p, g, ordered)
    assert (kept_p.seconds, kept_g.seconds) == (0.2, 0.1)
    assert not (kept_p.rows or kept_g.rows)  # no rows are kept
    assert kept_g.error == g.error


def test_a_dead_worker_is_named_and_replaced():
    with SqlSandbox(shop_database()) as box:
        assert box.run("SELECT COUNT(*) FROM regions").rows == [(5,)]
        box._worker.kill()  # as the kernel would for a worker past its memory limit
        box._worker.wait()
        outcome = box.run("SELECT COUNT(*) FROM regions")
        assert outcome.rows is None and outcome.error == "query process died (exit status -9)"
        assert box.run("SELECT COUNT(*) FROM regions").rows == [(5,)]
