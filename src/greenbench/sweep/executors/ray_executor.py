"""Run a sweep's jobs as Ray tasks: on this machine, or on every node of a Ray cluster.

The driver (``greenbench run --executor ray``) stays where it is started and keeps the store:
each job becomes a Ray task that runs the usual worker process on some node, and its result is
committed as soon as it comes back, exactly as with the local executor (same records, same
resume). The parts, each in its own module:

- :class:`RayExecutor` (here): the options, joining or starting Ray, stopping it at the end;
- :mod:`~greenbench.sweep.executors.placement`: which node takes which job (whole GPUs per GPU
  job, ``jobs_per_node`` CPU jobs per node, since energy is measured per device) — pure code;
- :mod:`~greenbench.sweep.executors.ray_run`: one run on a connected Ray — the node table,
  each node's idle calibration before its first job, submitting each job pinned to the node the
  placement chose (``NodeAffinitySchedulingStrategy``), results, retries;
- :mod:`~greenbench.sweep.executors.ray_node`: what runs on the nodes (calibration, one job).

Why the driver places jobs itself rather than leaving it to Ray's resources: Ray's resources
alone cannot say "one CPU job per node" on a cluster whose nodes differ — a custom resource
(``greenbench_cpu_slot``) would have to be declared by every ``ray start``, and a plain cluster
would leave the tasks unschedulable forever. Pinning also tells the driver where each job runs
before it starts, which the progress display shows, and lets each node be calibrated before its
first job: every job on a node gets that node's idle baseline, and every record says where it
ran (``record["node"]``), on which hardware (``record["environment"]``) under which grid
(``record["carbon"]``; see docs/ray.md).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.placement import PlacementPolicy
from greenbench.sweep.executors.ray_run import RayRun
from greenbench.sweep.worker import DEFAULT_RUNNER

if TYPE_CHECKING:
    from types import ModuleType

    from greenbench.sweep.executors.base import OnResult, Progress
    from greenbench.sweep.plan import Job


def import_ray(*, local: bool = False) -> ModuleType:
    """The ``ray`` module, or a one-line error saying how to install it.

    Usage statistics are off unless the user turned them on. With ``local`` (a private
    instance is about to be started) and Ray not yet imported, Ray is told this is a
    single-machine instance (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``), so it keeps its node
    address on loopback instead of the machine's routable one and probes no outside address
    to find it.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if local and "ray" not in sys.modules:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise GreenbenchError("--executor ray needs Ray: pip install 'greenbench[ray]'") from None
    return ray


@dataclass
class RayExecutor:
    """Runs each job as a Ray task on the node the driver picks (see the module docstring).

    Args:
        address: Ray cluster to join: ``None`` starts a private local instance (loopback only,
            stopped at the end) unless ``RAY_ADDRESS`` names a cluster, ``"auto"`` the cluster
            this machine is part of (``ray start``),
            ``"HOST:PORT"`` a head node's GCS, ``"ray://HOST:10001"`` a Ray Client server.
            Ignored when this process is already connected (``ray.is_initialized()``).
        max_retries: retries of a job after a system failure (None: 1).
        idle_seconds: idle calibration per node and meter, seconds (0: none, gross energy only;
            default 5, as a sweep config's ``idle_seconds``).
        cooldown_s: pause on the node before each job, seconds.
        timeout_s: wall-clock limit per job, seconds (None: none).
        cpus_per_job, jobs_per_node, num_gpus_per_job: how much of a node a job takes (logical
            CPUs, CPU jobs at a time per node, GPUs of a GPU job); see
            :class:`~greenbench.sweep.executors.placement.PlacementPolicy`.
        log_dir: where each job's worker stderr is written as ``<job_id>.log`` (None: dropped).
        runner: ``module:function`` the worker runs each job with.
    """

    address: str | None = None
    max_retries: int | None = 1
    idle_seconds: float = 5.0
    cooldown_s: float = 0.0
    timeout_s: float | None = None
    cpus_per_job: float | None = None
    jobs_per_node: int = 1
    num_gpus_per_job: int | None = None
    log_dir: str | Path | None = None
    runner: str = DEFAULT_RUNNER

    def __post_init__(self) -> None:
        if self.max_retries is None:
            self.max_retries = 1
        if self.max_retries < 0:
            raise GreenbenchError(f"--max-retries: expected 0 or more, got {self.max_retries}")
        if self.idle_seconds < 0:
            raise GreenbenchError(f"idle_seconds: expected 0 or more, got {self.idle_seconds}")
        self.placement_policy()  # raises on a bad cpus_per_job, jobs_per_node, num_gpus_per_job

    def placement_policy(self) -> PlacementPolicy:
        """The placement of :mod:`~greenbench.sweep.executors.placement` with these options."""
        return PlacementPolicy(self.cpus_per_job, self.jobs_per_node, self.num_gpus_per_job)

    def run(
        self, jobs: Sequence[Job], on_result: OnResult, *, progress: Progress | None = None
    ) -> None:
        """Run every job on the cluster; ``on_result`` gets each record as it completes."""
        if not jobs:
            return
        address = self.target()
        ray = import_ray(local=address == "local")
        started_here = self._connect(ray, address)
        try:
            RayRun(self, ray, list(jobs), on_result, progress).run()
        finally:
            if started_here:
                ray.shutdown()

    def target(self) -> str:
        """The address handed to ``ray.init``: ``address``, else ``RAY_ADDRESS``, else ``local``.

        Ray itself, given no address, joins whatever ``ray start`` cluster runs on this machine;
        ``local`` asks it for a new private instance instead.
        """
        return self.address or os.environ.get("RAY_ADDRESS") or "local"

    def _connect(self, ray: ModuleType, address: str) -> bool:
        """Join (or start) Ray; True when this call started it and must shut it down."""
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": "warning",
            "namespace": "greenbench",
        }
        if address == "local":
            # A private instance serves this machine only: loopback (see import_ray).
            options["_node_ip_address"] = "127.0.0.1"
        else:
            _check_reachable(address)
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()
            reason = first[0] if first else type(exc).__name__
            raise GreenbenchError(
                f"--address {address}: cannot start or join Ray: {reason}"
            ) from None
        return True


def _check_reachable(address: str) -> None:
    """Fail fast when nothing listens at a ``HOST:PORT`` or ``ray://HOST:PORT`` address.

    ``ray.init`` keeps retrying an address where nothing listens for minutes; one TCP connect
    (5 s at most) tells the user at once. ``auto`` and other forms are left to Ray.
    """
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except OSError as exc:
        raise GreenbenchError(
            f"--address {address}: no Ray head answers there ({exc.strerror or exc}); "
            "start one with `ray start --head` or pass --address auto on a cluster node"
        ) from None
