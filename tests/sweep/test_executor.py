"""The local executor: one process per job; a crash, an exit or a timeout fails that job only."""

from __future__ import annotations

import os

import pytest
from fake_jobs import CARBON, FAKE_RUNNER, fake_config, fake_jobs

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


def _parents(log_file) -> set[int]:
    return {int(line.split()[2]) for line in log_file.read_text().splitlines()}


def test_workers_are_forked_from_a_warm_server_unless_told_otherwise(tmp_path):
    """With ``fork`` (the default) every worker's parent is the fork server, one process for
    the whole run, not the driver; ``fork=False`` starts each worker from the driver."""
    log_file = tmp_path / "runs.log"
    jobs = fake_jobs("fake:ok", "fake:ok")
    results = collect(LocalExecutor(runner=FAKE_RUNNER), jobs)
    assert [r["status"] for r, _ in results] == ["ok"] * len(jobs)
    forked_from = _parents(log_file)
    assert len(forked_from) == 1 and os.getpid() not in forked_from
    log_file.unlink()
    collect(LocalExecutor(runner=FAKE_RUNNER, fork=False), jobs)
    assert _parents(log_file) == {os.getpid()}


def test_forked_workers_start_with_their_tasks_scorer_libraries_imported(tmp_path):
    """The fork server imports what the sweep's scorers import lazily (rouge-score for
    dialogue summarization), so no job pays it; fresh processes do not have it."""
    from greenbench.sweep.executors.local import scorer_modules
    from greenbench.sweep.plan import expand

    jobs = expand(fake_config("fake:ok", tasks=["dialogue-summarization"]), CARBON)
    assert scorer_modules(jobs) == ["rouge_score.rouge_scorer"]
    assert scorer_modules(fake_jobs("fake:ok")) == []  # text-to-sql: execution accuracy
    log_file = tmp_path / "runs.log"
    collect(LocalExecutor(runner=FAKE_RUNNER, check=False), jobs)
    assert {line.split()[3] for line in log_file.read_text().splitlines()} == {"loaded"}
    log_file.unlink()
    collect(LocalExecutor(runner=FAKE_RUNNER, check=False, fork=False), jobs)
    assert {line.split()[3] for line in log_file.read_text().splitlines()} == {"-"}


def test_a_forked_worker_past_its_timeout_is_killed_with_its_children(monkeypatch, tmp_path):
    """The fork path kills the worker's whole session at the timeout, as the spawn path does."""
    from greenbench.sweep.forkserver import ForkServer
    from greenbench.sweep.worker import run_in_subprocess

    monkeypatch.setenv("GB_FAKE_SLEEP", "60")
    job = fake_jobs("fake:sleep")[0]
    with ForkServer(["fake_jobs"]) as server:
        record, _ = run_in_subprocess(job, timeout_s=2, runner=FAKE_RUNNER, server=server)
        assert record["error"] == "timed out after 2 s"
        pid = int((tmp_path / "runs.log").read_text().split()[1])
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert server.alive  # the server serves the next job
        record, _ = run_in_subprocess(fake_jobs("fake:ok")[0], runner=FAKE_RUNNER, server=server)
        assert record["status"] == "ok"


def test_a_fork_server_lists_modules_it_could_not_import_and_stops_when_closed():
    from greenbench.sweep.forkserver import ForkServer

    server = ForkServer(["fake_jobs", "greenbench_no_such_module"])
    assert server.missing == ["greenbench_no_such_module"] and server.alive
    server.close()
    assert not server.alive  # it exits when the driver closes its socket
