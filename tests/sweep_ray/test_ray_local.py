"""``--executor ray`` on a local Ray instance started by the test (``ray.init(num_cpus=2)``)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from fake_jobs import FAKE_RUNNER, fake_jobs
from ray_sweep import run_tiny, summary

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.ray_executor import RayExecutor

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_local(ray_env):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="warning")
    yield ray
    ray.shutdown()


def test_tiny_sweep_under_ray_matches_local(ray_local, tiny_config, local_summary, tmp_path):
    records = run_tiny(tiny_config, tmp_path / "out", "ray", address=None, max_retries=1)
    assert summary(tmp_path / "out") == local_summary
    assert len(records) == 3 and all(r["status"] == "ok" for r in records)
    node_id = ray_local.get_runtime_context().get_node_id()
    for record in records:
        assert record["node"]["id"] == node_id
        assert record["node"]["ip"] == "127.0.0.1"
        assert record["environment"]["cpu_cores_logical"] >= 1
        assert record["carbon"]["country"] == "FRA"
        assert record["energy_basis"] == "net"  # the node's own idle baseline was applied
    assert (tmp_path / "out" / "results.db").is_file()


class Killer(threading.Thread):
    """Kills jobs in the middle: once the fake job has started in its worker process, SIGKILL
    that worker or the Ray worker process running the task (its parent), per ``plan``."""

    def __init__(self, log: Path, plan: dict[str, list[str]]) -> None:
        super().__init__(daemon=True)
        self.log = log
        self.plan = {job: list(targets) for job, targets in plan.items()}
        self.killed: list[tuple[str, str]] = []
        self.worker_pids: list[int] = []
        self.stop = threading.Event()

    def running(self) -> dict[int, str]:
        """Worker pid -> job id of fake jobs that have started (from the fake jobs' log)."""
        text = self.log.read_text() if self.log.exists() else ""
        complete = text.split("\n")[:-1]  # the last piece is a line still being written
        return {int(line.split()[1]): line.split()[0] for line in complete}

    def run(self) -> None:
        while not self.stop.is_set():
            for pid, job in self.running().items():
                if not self.plan.get(job) or pid in self.worker_pids:
                    continue
                try:
                    worker = psutil.Process(pid)
                    victim = worker if self.plan[job][0] == "worker" else worker.parent()
                    victim.kill()
                except psutil.Error:  # ended on its own meanwhile
                    continue
                target = self.plan[job].pop(0)
                self.killed.append((job, target))
                self.worker_pids.append(pid)
            time.sleep(0.05)


def test_a_killed_worker_is_retried_then_recorded_failed(ray_local, ray_env, tmp_path):
    jobs = fake_jobs("fake:sleep")  # two jobs (fp32, lora), each sleeping GB_FAKE_SLEEP s
    recovers, dies = jobs
    log = Path(ray_env["GB_FAKE_LOG"])
    # `recovers` loses its Ray worker once; `dies` loses its Ray worker, then its job worker.
    killer = Killer(log, {recovers.job_id: ["ray"], dies.job_id: ["ray", "worker"]})
    killer.start()
    results: dict[str, dict] = {}
    try:
        RayExecutor(max_retries=1, idle_seconds=0, runner=FAKE_RUNNER).run(
            jobs, lambda record, samples: results.setdefault(record["job_id"], record)
        )
    finally:
        killer.stop.set()
        killer.join()

    assert sorted(killer.killed) == sorted(
        [(recovers.job_id, "ray"), (dies.job_id, "ray"), (dies.job_id, "worker")]
    )
    assert results[recovers.job_id]["status"] == "ok"
    failed = results[dies.job_id]
    assert failed["status"] == "failed"
    assert failed["error"].startswith("WorkerDied: worker killed by SIGKILL")
    assert "gave up after 2 attempt(s)" in failed["error"] and "\n" not in failed["error"]
    assert failed["node"]["id"] == ray_local.get_runtime_context().get_node_id()
    attempts = [line.split()[0] for line in log.read_text().splitlines()]
    assert attempts.count(recovers.job_id) == 2 and attempts.count(dies.job_id) == 2
    # no job worker outlived the Ray worker killed under it
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in killer.worker_pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_gone(pid) for pid in killer.worker_pids)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class Events:
    """A progress display that notes what the executor told it, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def job_started(self, job, *, node=None) -> None:
        self.seen.append(("start", job.job_id))

    def job_finished(self, job, record) -> None:
        self.seen.append(("finish", job.job_id))


@pytest.mark.parametrize("jobs_per_node", [1, 2])
def test_a_node_runs_one_cpu_job_at_a_time_unless_allowed_more(ray_local, jobs_per_node):
    first, second = jobs = fake_jobs("fake:ok")
    events = Events()
    RayExecutor(jobs_per_node=jobs_per_node, idle_seconds=0, runner=FAKE_RUNNER).run(
        jobs, lambda record, samples: None, progress=events
    )
    assert len(events.seen) == 4
    if jobs_per_node == 1:  # the second job waits for the first one's slot
        assert events.seen[:2] == [("start", first.job_id), ("finish", first.job_id)]
    else:  # both slots taken at once
        assert events.seen[:2] == [("start", first.job_id), ("start", second.job_id)]


def test_a_gpu_job_on_a_cluster_without_gpus_is_recorded_failed(ray_local):
    job = fake_jobs("fake:ok")[0]
    job = job.model_copy(update={"variant": job.variant.model_copy(update={"device": "cuda"})})
    records: list[dict] = []
    RayExecutor(idle_seconds=0, runner=FAKE_RUNNER).run(
        [job], lambda record, samples: records.append(record)
    )
    assert [r["status"] for r in records] == ["failed"]
    assert records[0]["error"] == "needs 1 GPU(s) on one node; the Ray nodes have at most 0"


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(GreenbenchError, match=r"pip install 'greenbench\[ray\]'"):
        RayExecutor(runner=FAKE_RUNNER).run(fake_jobs("fake:ok"), lambda record, samples: None)
