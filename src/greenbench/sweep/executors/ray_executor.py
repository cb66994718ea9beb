"""Run a sweep's jobs as Ray tasks: on this machine, or on every node of a Ray cluster.

The driver (``greenbench run --executor ray``) stays where it is started and keeps the store:
each job becomes a Ray task that runs the usual worker process on some node
(:mod:`~greenbench.sweep.executors.ray_node`); results come back through ``ray.wait`` as they
complete and are committed one by one, exactly as with the local executor (same records, same
resume).

Placement. Energy is measured per device, so two jobs must never share what they measure:

- a GPU job asks Ray for whole GPUs (``num_gpus``, 1 by default): Ray gives each task its own
  devices and sets ``CUDA_VISIBLE_DEVICES``, which the energy meter honours;
- a CPU job measures the whole host (RAPL counts per package, the estimate per machine), so a
  node runs ``jobs_per_node`` CPU jobs at a time (default 1), each asking for its share of the
  node's cores (``num_cpus``; Ray then sets ``OMP_NUM_THREADS`` to it).

The driver places every job itself, pinned to a node with ``NodeAffinitySchedulingStrategy``,
and counts each node's free CPU slots and GPUs. Ray's resources alone cannot say "one CPU job
per node" on a cluster whose nodes differ: a custom resource (``greenbench_cpu_slot``) would
have to be declared by every ``ray start``, and a plain cluster would leave the tasks
unschedulable forever. Pinning also tells the driver where each job runs before it starts,
which the progress display shows, and lets each node be calibrated before its first job.

Idle power. Before a node's first job, one task holding all of the node's CPUs and GPUs
measures its idle power (``idle_seconds`` per meter) and describes its hardware; every job on
that node gets that baseline (GPU components renumbered to the job's devices), and every record
says where it ran (``record["node"]``: Ray node id, hostname, IP, labels, GPU ids) on which
hardware (``record["environment"]``) under which grid (``record["carbon"]``: the sweep's
location, or the node's from its ``greenbench-country`` / ``greenbench-region`` /
``greenbench-carbon-intensity`` / ``greenbench-pue`` labels).

Failures. A job that fails inside the worker (bad model, scoring error, timeout) comes back as a
failed record and is not retried: running it again would fail the same way. A system failure —
the Ray worker process or the job's worker process killed (OOM killer, segfault, an operator), or
an ``OSError`` starting it — is retried by Ray up to ``max_retries`` times (the task's
``max_retries`` and ``retry_exceptions``); a job whose node disappeared is placed again on
another node, up to ``max_retries`` times. After that the job is recorded failed with a one-line
reason.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.base import OnResult, Progress
from greenbench.sweep.plan import Job
from greenbench.sweep.record import failed_record
from greenbench.sweep.worker import DEFAULT_RUNNER

#: Seconds between two looks at the cluster's node list (new nodes, dead nodes).
NODE_REFRESH_S = 5.0
#: Longest wait for a result before the driver looks at the cluster again, seconds.
WAIT_S = 1.0


def import_ray(*, local: bool = False) -> Any:
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
class _Node:
    """One Ray node as the driver sees it."""

    id: str
    hostname: str
    cpus: float
    """CPUs Ray counts on the node."""
    gpus: int
    """Whole GPUs Ray counts on the node."""
    slots: int
    """Free CPU-job slots."""
    free_gpus: int
    state: str = "new"
    """new | calibrating | ready | unusable | gone"""
    facts: dict[str, Any] | None = None
    """The node's ``calibrate_node`` result, once ready."""
    error: str | None = None
    """Why the node is unusable."""
    ok: int = 0
    failed: int = 0

    @property
    def label(self) -> str:
        return f"{self.hostname} ({self.id[:8]})"


@dataclass
class _Running:
    """A submitted job: where it runs and what it holds."""

    job: Job
    node: _Node
    gpus: int
    placements: int
    """How many nodes it was placed on so far (1 + re-placements after a node was lost)."""


@dataclass
class _Needs:
    """What a job asks of a node."""

    gpus: int
    """Whole GPUs (0: a CPU job, which takes one of the node's CPU slots)."""
    cpus: float | None
    """CPUs, or None for the node's share (its CPUs divided by ``jobs_per_node``)."""


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
        cpus_per_job: CPUs each job asks for (None: a CPU job takes its node's share, a GPU job
            one CPU).
        jobs_per_node: CPU jobs one node runs at a time (GPU jobs are limited by GPUs).
        num_gpus_per_job: GPUs of a GPU job (None: 1). A job is a GPU job when its variant's
            device is ``cuda``/``cuda:N``, or ``auto`` while the cluster has GPUs.
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
        if self.jobs_per_node < 1:
            raise GreenbenchError(f"jobs_per_node: expected 1 or more, got {self.jobs_per_node}")
        if self.num_gpus_per_job is not None and self.num_gpus_per_job < 1:
            raise GreenbenchError(
                f"num_gpus_per_job: expected a whole number of GPUs >= 1, got "
                f"{self.num_gpus_per_job} (measured devices are never shared)"
            )
        if self.cpus_per_job is not None and self.cpus_per_job <= 0:
            raise GreenbenchError(f"cpus_per_job: expected > 0, got {self.cpus_per_job}")
        if self.idle_seconds < 0:
            raise GreenbenchError(f"idle_seconds: expected 0 or more, got {self.idle_seconds}")

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
            _Driver(self, ray, list(jobs), on_result, progress).run()
        finally:
            if started_here:
                ray.shutdown()

    def target(self) -> str:
        """The address handed to ``ray.init``: ``address``, else ``RAY_ADDRESS``, else ``local``.

        Ray itself, given no address, joins whatever ``ray start`` cluster runs on this machine;
        ``local`` asks it for a new private instance instead.
        """
        return self.address or os.environ.get("RAY_ADDRESS") or "local"

    def _connect(self, ray: Any, address: str) -> bool:
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


class _Driver:
    """One ``RayExecutor.run``: node table, placement, results, retries."""

    def __init__(
        self,
        options: RayExecutor,
        ray: Any,
        jobs: list[Job],
        on_result: OnResult,
        progress: Progress | None,
    ) -> None:
        from greenbench.sweep.executors import ray_node

        self.o = options
        self.ray = ray
        self.on_result = on_result
        self.progress = progress
        self.meters = sorted({job.meter for job in jobs})
        self.pending: deque[tuple[Job, int]] = deque((job, 0) for job in jobs)
        self.running: dict[Any, _Running] = {}
        self.calibrating: dict[Any, _Node] = {}
        self.nodes: dict[str, _Node] = {}
        self.next_refresh = 0.0
        self.calibrate = ray.remote(ray_node.calibrate_node)
        self.task = ray.remote(ray_node.run_on_node)
        self.retryable = [ray_node.WorkerDied, OSError]

    # -- main loop --------------------------------------------------------------------------

    def run(self) -> None:
        try:
            while self.pending or self.running:
                if time.monotonic() >= self.next_refresh:
                    self.refresh_nodes()
                self.dispatch()
                self.fail_unplaceable()
                refs = [*self.running, *self.calibrating]
                if not refs:
                    if self.pending:
                        time.sleep(WAIT_S)
                    continue
                ready, _ = self.ray.wait(refs, num_returns=1, timeout=WAIT_S)
                for ref in ready:
                    if ref in self.calibrating:
                        self.calibrated(ref)
                    else:
                        self.finished(ref)
        finally:
            # Interrupted: stop the jobs in flight. Done: stop calibrations of late nodes.
            for ref in [*self.running, *self.calibrating]:
                with contextlib.suppress(Exception):
                    self.ray.cancel(ref, force=True)
            self.print_nodes()

    # -- nodes --------------------------------------------------------------------------------

    def refresh_nodes(self) -> None:
        """Add new nodes (and start their calibration), mark vanished ones gone."""
        self.next_refresh = time.monotonic() + NODE_REFRESH_S
        alive = {}
        for info in self.ray.nodes():
            resources = info.get("Resources") or {}
            if info.get("Alive") and (resources.get("CPU", 0) > 0 or resources.get("GPU", 0) > 0):
                alive[info["NodeID"]] = info
        for node_id, info in alive.items():
            if node_id in self.nodes:
                continue
            resources = info["Resources"]
            node = _Node(
                id=node_id,
                hostname=info.get("NodeManagerHostname") or info.get("NodeManagerAddress", "?"),
                cpus=float(resources.get("CPU", 0)),
                gpus=int(resources.get("GPU", 0)),
                slots=self.o.jobs_per_node,
                free_gpus=int(resources.get("GPU", 0)),
            )
            self.nodes[node_id] = node
            self.start_calibration(node)
        for node in self.nodes.values():
            if node.id not in alive and node.state != "gone":
                node.state = "gone"
                node.error = "node left the cluster"

    def start_calibration(self, node: _Node) -> None:
        """One task holding the whole node: identity, hardware, idle power."""
        ref = self.calibrate.options(
            num_cpus=node.cpus,
            num_gpus=node.gpus,
            max_retries=self.o.max_retries,
            retry_exceptions=self.retryable,
            scheduling_strategy=self._pin(node),
            name=f"greenbench calibrate {node.hostname}",
        ).remote(self.meters, float(self.o.idle_seconds))
        node.state = "calibrating"
        self.calibrating[ref] = node

    def calibrated(self, ref: Any) -> None:
        node = self.calibrating.pop(ref)
        try:
            node.facts = self.ray.get(ref)
        except Exception as exc:
            node.state = "unusable"
            node.error = _reason(exc)
            self._say(f"node {node.label}: not used: idle calibration failed: {node.error}")
            return
        if node.state == "gone":
            return
        node.state = "ready"
        where = ""
        if node.facts.get("carbon"):
            c = node.facts["carbon"]
            where = f"; grid from its labels: {c['country']}, {c['intensity_g_per_kwh']:g} g/kWh"
        self._say(f"node {node.label}: ready; {_idle_text(node.facts['idle'])}{where}")

    def _pin(self, node: _Node) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        return NodeAffinitySchedulingStrategy(node_id=node.id, soft=False)

    # -- placement ----------------------------------------------------------------------------

    def needs(self, job: Job) -> _Needs:
        """GPUs and CPUs ``job`` asks for on this cluster."""
        device = job.variant.device
        cluster_gpus = any(n.gpus > 0 for n in self.nodes.values() if n.state != "gone")
        gpu = device.startswith("cuda") or (
            device == "auto" and cluster_gpus and job.model.kind != "estimate"
        )
        if not gpu:
            return _Needs(gpus=0, cpus=self.o.cpus_per_job)
        return _Needs(gpus=self.o.num_gpus_per_job or 1, cpus=self.o.cpus_per_job or 1)

    def fits_ever(self, node: _Node, needs: _Needs) -> bool:
        if node.state in ("gone", "unusable"):
            return False
        return node.gpus >= needs.gpus and node.cpus >= (needs.cpus or 1)

    def fits_now(self, node: _Node, needs: _Needs) -> bool:
        if node.state != "ready" or not self.fits_ever(node, needs):
            return False
        return node.free_gpus >= needs.gpus if needs.gpus else node.slots > 0

    def dispatch(self) -> None:
        """Submit every pending job that fits a ready node now, in plan order."""
        waiting: deque[tuple[Job, int]] = deque()
        while self.pending:
            job, placements = self.pending.popleft()
            needs = self.needs(job)
            candidates = [n for n in self.nodes.values() if self.fits_now(n, needs)]
            if not candidates:
                waiting.append((job, placements))
                continue
            if needs.gpus:
                node = min(candidates, key=lambda n: n.free_gpus)  # pack GPUs, keep nodes whole
            else:
                node = min(candidates, key=lambda n: (n.gpus > 0, -n.slots))  # CPU hosts first
            self.submit(job, node, needs, placements + 1)
        self.pending = waiting

    def submit(self, job: Job, node: _Node, needs: _Needs, placements: int) -> None:
        assert node.facts is not None
        cpus = needs.cpus or max(1, math.floor(node.cpus / self.o.jobs_per_node))
        ref = self.task.options(
            num_cpus=cpus,
            num_gpus=needs.gpus,
            max_retries=self.o.max_retries,
            retry_exceptions=self.retryable,
            scheduling_strategy=self._pin(node),
            name=f"greenbench {job.label}",
        ).remote(
            job.model_dump(mode="json"),
            node.facts,
            cooldown_s=self.o.cooldown_s,
            timeout_s=self.o.timeout_s,
            runner=self.o.runner,
        )
        if needs.gpus:
            node.free_gpus -= needs.gpus
        else:
            node.slots -= 1
        self.running[ref] = _Running(job, node, needs.gpus, placements)
        if self.progress is not None:
            self.progress.job_started(job, node=node.label)

    def fail_unplaceable(self) -> None:
        """Record failed the pending jobs that no node of the cluster can ever take."""
        if any(n.state in ("new", "calibrating") for n in self.nodes.values()):
            return
        keep: deque[tuple[Job, int]] = deque()
        for job, placements in self.pending:
            needs = self.needs(job)
            if any(self.fits_ever(n, needs) for n in self.nodes.values()):
                keep.append((job, placements))
                continue
            self.deliver(job, failed_record(job, self._unplaceable(needs)), [], None)
        self.pending = keep

    def _unplaceable(self, needs: _Needs) -> str:
        usable = [n for n in self.nodes.values() if n.state not in ("gone", "unusable")]
        if not usable:
            why = "; ".join(f"{n.label}: {n.error}" for n in self.nodes.values() if n.error)
            return f"no usable Ray node ({why or 'the cluster has no CPU or GPU'})"
        if needs.gpus:
            most = max(n.gpus for n in usable)
            return f"needs {needs.gpus} GPU(s) on one node; the Ray nodes have at most {most}"
        most_cpus = max(n.cpus for n in usable)
        return f"needs {needs.cpus} CPUs on one node; the Ray nodes have at most {most_cpus:g}"

    # -- results ------------------------------------------------------------------------------

    def finished(self, ref: Any) -> None:
        run = self.running.pop(ref)
        node = run.node
        if run.gpus:
            node.free_gpus += run.gpus
        else:
            node.slots += 1
        try:
            out = self.ray.get(ref)
        except Exception as exc:
            if self._node_lost(node) and run.placements <= self.o.max_retries:
                self._say(f"node {node.label} lost; placing {run.job.label} again")
                self.pending.appendleft((run.job, run.placements))
                return
            attempts = self.o.max_retries + 1 if self._retried(exc) else 1
            reason = f"{_reason(exc)} (gave up after {attempts} attempt(s) on {node.label})"
            record = failed_record(run.job, reason)
            record["node"] = dict((node.facts or {}).get("node") or {"id": node.id})
            record["environment"] = (node.facts or {}).get("environment")
            self.deliver(run.job, record, [], node)
            return
        if self.o.log_dir and out.get("log"):
            path = Path(self.o.log_dir) / f"{run.job.job_id}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(out["log"], encoding="utf-8")
        self.deliver(run.job, out["record"], out["samples"], node)

    def _retried(self, exc: BaseException) -> bool:
        """Whether Ray retried the task before raising ``exc`` (a system failure)."""
        from ray import exceptions as rx

        if isinstance(exc, rx.RayTaskError):
            return isinstance(getattr(exc, "cause", None), tuple(self.retryable))
        return isinstance(exc, (rx.WorkerCrashedError, rx.NodeDiedError))

    def _node_lost(self, node: _Node) -> bool:
        """Whether ``node`` has left the cluster (looks again now)."""
        self.refresh_nodes()
        return node.state == "gone"

    def deliver(
        self, job: Job, record: dict[str, Any], samples: list[dict[str, Any]], node: _Node | None
    ) -> None:
        if node is not None:
            if record.get("status") == "ok":
                node.ok += 1
            else:
                node.failed += 1
        self.on_result(record, samples)
        if self.progress is not None:
            self.progress.job_finished(job, record)

    # -- display ------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(f"[dim]ray:[/dim] {escape(text)}")

    def print_nodes(self) -> None:
        """Jobs per node, as a table on stderr."""
        if not self.nodes:
            return
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title="jobs per Ray node")
        for column in ("node", "CPUs", "GPUs", "state", "ok", "failed", "idle baseline"):
            table.add_column(column)
        for node in self.nodes.values():
            idle = _idle_text(node.facts["idle"]) if node.facts else (node.error or "-")
            cells = (node.label, f"{node.cpus:g}", str(node.gpus), node.state, str(node.ok))
            table.add_row(*(Text(c) for c in (*cells, str(node.failed), idle)))
        Console(stderr=True).print(table)


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


def _idle_text(idle: dict[str, Any]) -> str:
    """``"12.3 W idle (auto; measured, estimated)"``: total idle power per meter and the kinds of
    its sources; or ``"no idle baseline (gross energy)"``."""
    if not idle:
        return "no idle baseline (gross energy)"
    parts = []
    for meter, baseline in idle.items():
        total = sum(baseline["power_w"].values())
        kinds = sorted({p.split(":")[0] for p in baseline.get("provenance", {}).values()})
        parts.append(f"{total:.1f} W idle ({meter}; {', '.join(kinds) or 'unknown'})")
    return "; ".join(parts)


def _reason(exc: BaseException) -> str:
    """One line saying why a Ray task failed."""
    from ray import exceptions as rx

    if isinstance(exc, rx.RayTaskError):
        cause = exc.cause if getattr(exc, "cause", None) is not None else exc
        lines = [ln for ln in str(cause).strip().splitlines() if ln.strip()]
        return f"{type(cause).__name__}: {lines[-1].strip()}" if lines else type(cause).__name__
    if isinstance(exc, rx.WorkerCrashedError):
        return "the Ray worker process died while running the job (WorkerCrashedError)"
    if isinstance(exc, rx.NodeDiedError):
        return "the Ray node died while running the job (NodeDiedError)"
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__
