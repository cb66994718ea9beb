"""The SQLite results store: round trips, concurrency, crashes, migrations, bad files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import greenbench
from greenbench.errors import GreenbenchError
from greenbench.store import SCHEMA_VERSION, ResultsStore

WRITER = Path(__file__).with_name("store_writer.py")
MEASUREMENT = {
    "name": "command",
    "duration_s": 1.5,
    "energy_j": {"total": 12.0, "cpu": 10.0, "ram": 2.0},
    "net_energy_j": {"total": 12.0, "cpu": 10.0, "ram": 2.0},
    "provenance": {"cpu": "estimated:cpu-time", "ram": "estimated:rss"},
}
CARBON = {"country": "FRA", "intensity_g_per_kwh": 56.0, "pue": 1.0, "is_default": False}


def _writer(*args: str) -> subprocess.Popen:
    env = dict(os.environ)
    src = str(Path(greenbench.__file__).parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, str(WRITER), *args], env=env)


def test_measurement_round_trip(tmp_path):
    db = tmp_path / "sub" / "runs.db"
    with ResultsStore(db) as store:
        first = store.add_measurement(["sleep", "1"], MEASUREMENT, CARBON, {"host": "h"}, 0)
        second = store.add_measurement(None, MEASUREMENT, CARBON, {"host": "h"}, None, 0.5)
    with ResultsStore(db) as store:
        rows = store.measurements()
        assert store.schema_version == SCHEMA_VERSION and store.integrity_ok()
    assert [r["id"] for r in rows] == [first, second]
    assert rows[0]["command"] == ["sleep", "1"] and rows[1]["command"] is None
    assert rows[0]["measurement"] == MEASUREMENT and rows[0]["carbon"] == CARBON
    assert rows[0]["environment"] == {"host": "h"} and rows[0]["exit_status"] == 0
    assert rows[0]["emissions_g"] == pytest.approx(12.0 / 3.6e6 * 56.0)
    assert rows[1]["emissions_g"] == 0.5
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_jobs_upsert_keep_order_and_replace_samples(tmp_path):
    sample = {
        "id": "s1",
        "prompt": "p1",
        "prediction": "y",
        "reference": ["r", "r2"],
        "scores": {"acc": 1.0},
        "generated_tokens": 3,  # not a sample column: kept all the same
    }
    with ResultsStore(tmp_path / "r.db") as store:
        store.put_job({"job_id": "a", "status": "failed", "error": "x"}, [{"id": 1, "prompt": "p"}])
        store.put_job({"job_id": "b", "status": "ok"})
        quality = {"acc": {"value": 1.0}}
        store.put_job({"job_id": "a", "status": "ok", "quality": quality}, [dict(sample)])
        store.put_job({"job_id": "b", "status": "ok", "cegi": 0.1})  # no samples: keep them
        assert [j["job_id"] for j in store.jobs()] == ["a", "b"]
        assert store.job("a") == {"schema": 3, "job_id": "a", "status": "ok", "quality": quality}
        assert store.job("b")["cegi"] == 0.1 and store.job("zzz") is None
        assert store.done_job_ids() == {"a", "b"}
        assert store.jobs(status="failed") == []
        assert store.samples("a") == [sample]  # the first sample set replaced
        assert store.samples("b") == []
        with pytest.raises(GreenbenchError, match="job_id"):
            store.put_job({"status": "ok"})
        with pytest.raises(GreenbenchError, match=r"'c': invalid record field quality\.acc"):
            store.put_job({"job_id": "c", "quality": {"acc": 1.0}})


def test_meta_round_trip(tmp_path):
    with ResultsStore(tmp_path / "r.db") as store:
        store.set_meta("config", {"name": "quickstart", "tasks": [1, 2]})
        store.set_meta("config", {"name": "again"})
        store.set_meta("idle", {"power_w": {"cpu": 1.5}})
        assert store.meta() == {"config": {"name": "again"}, "idle": {"power_w": {"cpu": 1.5}}}


def test_concurrent_appends_from_two_processes(tmp_path):
    db = str(tmp_path / "shared.db")
    procs = [_writer(db, "measurements", "60", label) for label in ("left", "right")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with ResultsStore(db) as store:
        rows = store.measurements()
        assert store.integrity_ok()
    for label in ("left", "right"):
        mine = [r["command"][1] for r in rows if r["command"][0] == label]
        assert mine == [str(i) for i in range(60)]  # all there, in each writer's order


def test_sigkill_mid_write_leaves_a_consistent_store(tmp_path):
    db = str(tmp_path / "killed.db")
    proc = _writer(db, "jobs", "0", "k")
    deadline = time.monotonic() + 60
    while not os.path.exists(db + ".started") and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # let it commit a few more big transactions
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with ResultsStore(db) as store:
        assert store.integrity_ok()
        jobs = store.jobs()
        assert jobs and all(j["status"] == "ok" for j in jobs)
        for job in jobs:
            assert len(store.samples(job["job_id"])) == 50  # never a half-replaced sample set


def test_migrates_an_older_schema(tmp_path):
    db = tmp_path / "old.db"
    with ResultsStore(db, target_version=1) as old:
        assert old.schema_version == 1
        old.add_measurement(["true"], MEASUREMENT, CARBON, {}, 0)
        assert {r[0] for r in old._conn.execute("SELECT name FROM sqlite_master")} >= {
            "measurements",
            "meta",
        }
    with ResultsStore(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [r["command"] for r in store.measurements()] == [["true"]]
        store.put_job({"job_id": "j", "status": "ok"}, [])
        assert store.done_job_ids() == {"j"}


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "future.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(GreenbenchError, match="newer than this greenbench"):
        ResultsStore(db)


def test_not_a_store(tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_text("this is not sqlite " * 100)
    with pytest.raises(GreenbenchError, match="not a greenbench results store"):
        ResultsStore(junk)
    with pytest.raises(GreenbenchError, match="is a directory"):
        ResultsStore(tmp_path)
