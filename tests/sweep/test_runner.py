"""The sweep driver: commit per job, results.json, failures recorded, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from fake_jobs import fake_config, runs, sweep

from greenbench.store import ResultsStore

HERE = Path(__file__).resolve().parent


def test_results_are_committed_with_indexes_and_results_json(tmp_path):
    out = tmp_path / "run"
    outcome = sweep(out, "fake:ok")
    assert outcome.planned == 2 and outcome.skipped == 0 and outcome.failed == []
    records = json.loads((out / "results.json").read_text())
    assert [r["job_id"] for r in records] == outcome.ran
    base, lora = records
    assert lora["base_job_id"] == base["job_id"]
    # fake: fp32 0.20 -> lora 0.45 execution accuracy, 180 J net fine-tuning at 56 g/kWh,
    # 1,000 trainable parameters
    assert lora["cegi_gain_pp"] == 25.0
    expected = (180.0 / 3.6e6 * 56.0) / (25.0 * 1000 / 1e6)
    assert abs(lora["cegi"] - expected) < 1e-12
    assert base["energy_basis"] == "gross"  # no idle baseline was given
    assert base["energy_per_query_j"] == 4.0  # 16 J gross over 4 samples
    with ResultsStore(out / "results.db") as store:
        assert store.integrity_ok()
        assert store.job(lora["job_id"])["cegi"] == lora["cegi"]
        assert len(store.samples(base["job_id"])) == 4
        assert store.meta()["plan"] == outcome.ran


def test_failed_jobs_are_recorded_the_sweep_goes_on_and_a_rerun_retries_only_them(tmp_path):
    out = tmp_path / "run"
    first = sweep(out, "fake:ok", "fake:raise", "fake:exit")
    assert len(first.ran) == 4 and len(first.failed) == 2
    with ResultsStore(out / "results.db") as store:
        failed = store.jobs(status="failed")
        assert {r["model"]["name"] for r in failed} == {"m1-raise", "m2-exit"}
        assert all(r["error"] and "\n" not in r["error"] for r in failed)
        assert len(store.jobs(status="ok")) == 2
    ran_before = [job for job, _ in runs(tmp_path)]
    second = sweep(out, "fake:ok", "fake:raise", "fake:exit")
    assert second.skipped == 2 and sorted(second.ran) == sorted(first.failed)
    assert [job for job, _ in runs(tmp_path)][len(ran_before) :] == second.ran


def _wait(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_resume_after_sigkill_loses_only_the_job_in_flight(tmp_path, monkeypatch):
    out = tmp_path / "run"
    sources = ("fake:ok", "fake:sleep", "fake:ok")
    env = {**os.environ, "GB_FAKE_SLEEP": "120"}
    driver = subprocess.Popen(
        [sys.executable, str(HERE / "fake_jobs.py"), str(out), *sources], env=env
    )
    try:
        _wait(lambda: len(runs(tmp_path)) == 3)  # two jobs done, the sleeper started
        _wait(
            lambda: (
                (out / "results.json").exists()
                and len(json.loads((out / "results.json").read_text())) == 2
            )
        )
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=10)
    finally:
        if driver.poll() is None:
            driver.kill()
    sleeper_id, sleeper_pid = runs(tmp_path)[2]
    _wait(lambda: _gone(sleeper_pid), timeout=10)  # the orphaned worker died with its driver

    with ResultsStore(out / "results.db") as store:
        assert store.integrity_ok()
        assert len(store.done_job_ids()) == 2
        assert store.job(sleeper_id) is None

    monkeypatch.setenv("GB_FAKE_SLEEP", "0")
    sweep(str(out), *sources)
    done_first = [job for job, _ in runs(tmp_path)[:2]]
    all_runs = [job for job, _ in runs(tmp_path)]
    assert all(all_runs.count(job) == 1 for job in done_first)  # nothing redone
    assert all_runs.count(sleeper_id) == 2  # the job in flight ran again
    with ResultsStore(out / "results.db") as store:
        assert store.integrity_ok()
        assert len(store.done_job_ids()) == 4
    records = json.loads((out / "results.json").read_text())
    assert len(records) == 4 and all(r["status"] == "ok" for r in records)


def test_results_json_lists_the_current_plan_and_the_store_keeps_earlier_jobs(tmp_path):
    out = tmp_path / "run"
    first = sweep(out, "fake:ok")
    second = sweep(out, "fake:ok", "fake:ok")  # a different config: one more model
    assert second.skipped == 2 and len(second.ran) == 1
    config = fake_config("fake:ok")
    config.limit = 5  # new ids for every job
    sweep(out, config=config)
    listed = {r["job_id"] for r in json.loads((out / "results.json").read_text())}
    assert len(listed) == 2 and listed.isdisjoint(first.ran)
    with ResultsStore(out / "results.db") as store:
        assert len(store.jobs()) == 5
