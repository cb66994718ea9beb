"""The local executor: one process per job; a crash, an exit or a timeout fails that job only."""

from __future__ import annotations

from fake_jobs import FAKE_RUNNER, fake_jobs

from greenbench.sweep.executors import get_executor
from greenbench.sweep.executors.local import LocalExecutor


def collect(executor, jobs):
    results = []
    executor.run(jobs, lambda record, samples: results.append((record, samples)))
    return results


def test_failures_are_recorded_and_the_sweep_goes_on(tmp_path):
    jobs = fake_jobs("fake:ok", "fake:raise", "fake:exit", "fake:ok")
    executor = LocalExecutor(runner=FAKE_RUNNER, log_dir=tmp_path / "logs")
    results = collect(executor, jobs)
    by_model = {r["model"]["name"]: r for r, _ in results}
    assert [r["job_id"] for r, _ in results] == [j.job_id for j in jobs]
    assert by_model["m0-ok"]["status"] == "ok"
    assert by_model["m3-ok"]["status"] == "ok"
    raised = by_model["m1-raise"]
    assert raised["status"] == "failed"
    assert raised["error"] == "worker exited with status 1: RuntimeError: boom: the model exploded"
    assert "\n" not in raised["error"] and raised["quality"] == {}
    assert by_model["m2-exit"]["error"] == "worker exited with status 3"
    assert (tmp_path / "logs" / f"{raised['job_id']}.log").read_text().count("Traceback") == 1
    ok_samples = next(s for r, s in results if r["model"]["name"] == "m0-ok")
    assert len(ok_samples) == 4


def test_a_job_past_its_timeout_is_killed_and_recorded(monkeypatch):
    monkeypatch.setenv("GB_FAKE_SLEEP", "60")
    jobs = [j for j in fake_jobs("fake:sleep", "fake:ok") if j.variant.name != "lora"]
    results = collect(LocalExecutor(timeout_s=2, runner=FAKE_RUNNER), jobs)
    assert results[0][0]["status"] == "failed"
    assert results[0][0]["error"] == "timed out after 2 s"
    assert results[1][0]["status"] == "ok"


def test_the_idle_baseline_reaches_the_job(tmp_path):
    from greenbench.energy import IdleBaseline

    idle = IdleBaseline(power_w={"cpu": 1.5}, duration_s=2.0, provenance={"cpu": "estimated:x"})
    job = fake_jobs("fake:ok")[0]
    record, _ = collect(LocalExecutor(idle=idle, runner=FAKE_RUNNER), [job])[0]
    assert record["energy_basis"] == "net"
    record, _ = collect(LocalExecutor(runner=FAKE_RUNNER), [job])[0]
    assert record["energy_basis"] == "gross"


def test_get_executor_names_the_choices():
    import pytest

    from greenbench.errors import GreenbenchError

    assert isinstance(get_executor("local", cooldown_s=0.5), LocalExecutor)
    with pytest.raises(GreenbenchError, match="unknown executor 'slurm'; allowed: local, ray"):
        get_executor("slurm")
