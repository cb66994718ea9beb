"""Two Ray nodes on this machine (``ray.cluster_utils.Cluster``, 1 CPU each): jobs spread over
both, each node calibrated, and the job of a node that leaves the cluster is placed again."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil
import pytest
from fake_jobs import FAKE_RUNNER, fake_jobs

from greenbench.sweep.executors.ray_executor import RayExecutor

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def two_nodes(ray_env):
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    worker = cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False, logging_level="warning")
    yield ray, cluster, worker
    ray.shutdown()
    cluster.shutdown()


class RemoveNodeMidJob:
    """Progress display that removes ``worker`` once a job placed there has started running."""

    def __init__(self, cluster, worker, log: Path) -> None:
        self.cluster = cluster
        self.worker = worker
        self.log = log
        self.placed: dict[str, list[str]] = {}
        self.victim: tuple[str, int] | None = None
        self.threads: list[threading.Thread] = []

    def job_started(self, job, *, node=None) -> None:
        self.placed.setdefault(job.job_id, []).append(node)
        if self.victim is None and self.worker.node_id[:8] in node:
            thread = threading.Thread(target=self._remove, args=(job.job_id,))
            thread.start()
            self.threads.append(thread)

    def job_finished(self, job, record) -> None:
        pass

    def _remove(self, job_id: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the fake job runs in its worker
            lines = self.log.read_text().splitlines() if self.log.exists() else []
            started = [int(line.split()[1]) for line in lines if line.startswith(job_id)]
            if started:
                self.victim = (job_id, started[0])
                self.cluster.remove_node(self.worker)
                return
            time.sleep(0.05)


def test_jobs_spread_over_nodes_and_a_lost_nodes_job_is_placed_again(two_nodes, ray_env):
    ray, cluster, worker = two_nodes
    head = next(n["NodeID"] for n in ray.nodes() if n["NodeID"] != worker.node_id)
    log = Path(ray_env["GB_FAKE_LOG"])
    jobs = fake_jobs("fake:sleep")  # two jobs, each sleeping GB_FAKE_SLEEP s
    display = RemoveNodeMidJob(cluster, worker, log)
    records: dict[str, dict] = {}
    RayExecutor(runner=FAKE_RUNNER, idle_seconds=0.2).run(
        jobs, lambda record, samples: records.setdefault(record["job_id"], record), progress=display
    )
    for thread in display.threads:
        thread.join()

    assert display.victim is not None
    lost, lost_pid = display.victim
    # both nodes took a job at once (one CPU job per node), each with its node's idle baseline
    assert sorted(places[0][-9:-1] for places in display.placed.values()) == sorted(
        [head[:8], worker.node_id[:8]]
    )
    assert all(r["status"] == "ok" and r["energy_basis"] == "net" for r in records.values())
    # the job of the lost node ran again, on the node that was left
    assert [p[-9:-1] for p in display.placed[lost]] == [worker.node_id[:8], head[:8]]
    assert records[lost]["node"]["id"] == head
    assert [line.split()[0] for line in log.read_text().splitlines()].count(lost) == 2
    assert _gone(lost_pid)  # its first worker died with its node


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
