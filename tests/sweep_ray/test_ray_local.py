"""``--executor ray`` on a local Ray instance started by the test (``ray.init(num_cpus=2)``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil
import pytest
from fake_jobs import FAKE_RUNNER, fake_jobs
from ray_sweep import run_tiny, summary

from greenbench.sweep.executors.ray_executor import RayExecutor

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_local(ray_env):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="warning")
    yield ray
    ray.shutdown()


def test_tiny_sweep_under_ray_matches_local(ray_local, tiny_config, local_records, tmp_path):
    records = run_tiny(tiny_config, tmp_path / "out", "ray", address=None, max_retries=1)
    assert summary(records) == summary(local_records)
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
        lines = self.log.read_text().split("\n") if self.log.exists() else []
        return {int(p): j for j, p in (ln.split() for ln in lines if ln.count(" ") == 1)}

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
        RayExecutor(max_retries=1, runner=FAKE_RUNNER).run(
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
