"""One :meth:`RayExecutor.run <greenbench.sweep.executors.ray_executor.RayExecutor.run>` on a
connected Ray: the cluster's nodes, their calibration, each job's submission, results, retries.

The loop looks at the cluster's node list every ``NODE_REFRESH_S`` seconds (a new node is
calibrated before its first job, a vanished one marked gone), submits every pending job that
:mod:`~greenbench.sweep.executors.placement` places on a ready node now, pinned there with
``NodeAffinitySchedulingStrategy``, fails the jobs no node can ever take, and waits for the next
result (``ray.wait``), which goes to ``on_result`` as soon as it arrives.

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
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.sweep.executors import ray_node
from greenbench.sweep.executors.placement import Needs, Node
from greenbench.sweep.record import failed_record

if TYPE_CHECKING:
    from types import ModuleType

    from ray import ObjectRef
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from greenbench.sweep.executors.base import OnResult, Progress
    from greenbench.sweep.executors.ray_executor import RayExecutor
    from greenbench.sweep.plan import Job

#: Seconds between two looks at the cluster's node list (new nodes, dead nodes).
NODE_REFRESH_S = 5.0
#: Longest wait for a result before the driver looks at the cluster again, seconds.
WAIT_S = 1.0
#: Errors on which Ray retries a task (a system failure, not the job's own).
RETRYABLE: tuple[type[BaseException], ...] = (ray_node.WorkerDied, OSError)


@dataclass
class _DriverNode(Node):
    """A node as the driver sees it: its placement state, what calibration found, its tally."""

    facts: ray_node.NodeFacts | None = None
    """The node's :func:`~greenbench.sweep.executors.ray_node.calibrate_node` result, once
    ready."""
    ok: int = 0
    """Jobs recorded ok on the node, a count."""
    failed: int = 0
    """Jobs recorded failed on the node (after their last retry), a count."""


@dataclass
class _Running:
    """A submitted job: where it runs and what it holds."""

    job: Job
    node: _DriverNode
    needs: Needs
    placements: int
    """How many nodes it was placed on so far (1 + re-placements after a node was lost)."""


class RayRun:
    """One run of jobs on a connected Ray (see the module docstring)."""

    def __init__(
        self,
        options: RayExecutor,
        ray: ModuleType,
        jobs: list[Job],
        on_result: OnResult,
        progress: Progress | None,
    ) -> None:
        self.o = options
        self.policy = options.placement_policy()
        self.ray = ray
        self.on_result = on_result
        self.progress = progress
        self.meters = sorted({job.meter for job in jobs})
        self.pending: deque[tuple[Job, int]] = deque((job, 0) for job in jobs)
        self.running: dict[ObjectRef, _Running] = {}
        self.calibrating: dict[ObjectRef, _DriverNode] = {}
        self.nodes: dict[str, _DriverNode] = {}
        self.next_refresh = 0.0
        self.calibrate = ray.remote(ray_node.calibrate_node)
        self.task = ray.remote(ray_node.run_on_node)

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
            _print_nodes(list(self.nodes.values()))

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
            node = _DriverNode(
                id=node_id,
                hostname=info.get("NodeManagerHostname") or info.get("NodeManagerAddress", "?"),
                cpus=float(resources.get("CPU", 0)),
                gpus=int(resources.get("GPU", 0)),
                slots=self.policy.jobs_per_node,
            )
            self.nodes[node_id] = node
            self.start_calibration(node)
        for node in self.nodes.values():
            if node.id not in alive and node.state != "gone":
                node.state = "gone"
                node.error = "node left the cluster"

    def start_calibration(self, node: _DriverNode) -> None:
        """One task holding the whole node: identity, hardware, idle power."""
        ref = self.calibrate.options(
            num_cpus=node.cpus,
            num_gpus=node.gpus,
            max_retries=self.o.max_retries,
            retry_exceptions=list(RETRYABLE),
            scheduling_strategy=_pin(node),
            name=f"greenbench calibrate {node.hostname}",
        ).remote(self.meters, float(self.o.idle_seconds))
        node.state = "calibrating"
        self.calibrating[ref] = node

    def calibrated(self, ref: ObjectRef) -> None:
        node = self.calibrating.pop(ref)
        try:
            node.facts = self.ray.get(ref)
        except Exception as exc:
            node.state = "unusable"
            node.error = _reason(exc)
            _say(f"node {node.label}: not used: idle calibration failed: {node.error}")
            return
        if node.state == "gone":
            return
        node.state = "ready"
        where = ""
        if node.facts["carbon"]:
            c = node.facts["carbon"]
            where = f"; grid from its labels: {c['country']}, {c['intensity_g_per_kwh']:g} g/kWh"
        _say(f"node {node.label}: ready; {_idle_text(node.facts['idle'])}{where}")

    def _node_lost(self, node: _DriverNode) -> bool:
        """Whether ``node`` has left the cluster (looks again now)."""
        self.refresh_nodes()
        return node.state == "gone"

    # -- jobs ---------------------------------------------------------------------------------

    def dispatch(self) -> None:
        """Submit every pending job that fits a ready node now, in plan order."""
        waiting: deque[tuple[Job, int]] = deque()
        while self.pending:
            job, placements = self.pending.popleft()
            needs = self.policy.needs(job, self.nodes.values())
            node = self.policy.choose(self.nodes.values(), needs)
            if node is None:
                waiting.append((job, placements))
            else:
                self.submit(job, node, needs, placements + 1)
        self.pending = waiting

    def submit(self, job: Job, node: _DriverNode, needs: Needs, placements: int) -> None:
        assert node.facts is not None  # only ready nodes take jobs
        ref = self.task.options(
            num_cpus=self.policy.task_cpus(node, needs),
            num_gpus=needs.gpus,
            max_retries=self.o.max_retries,
            retry_exceptions=list(RETRYABLE),
            scheduling_strategy=_pin(node),
            name=f"greenbench {job.label}",
        ).remote(
            job.model_dump(mode="json"),
            node.facts,
            cooldown_s=self.o.cooldown_s,
            timeout_s=self.o.timeout_s,
            runner=self.o.runner,
        )
        node.take(needs)
        self.running[ref] = _Running(job, node, needs, placements)
        if self.progress is not None:
            self.progress.job_started(job, node=node.label)

    def fail_unplaceable(self) -> None:
        """Record failed the pending jobs that no node of the cluster can ever take."""
        keep: deque[tuple[Job, int]] = deque()
        for job, placements in self.pending:
            needs = self.policy.needs(job, self.nodes.values())
            reason = self.policy.unplaceable(self.nodes.values(), needs)
            if reason is None:
                keep.append((job, placements))
            else:
                self.deliver(job, failed_record(job, reason), [], None)
        self.pending = keep

    def finished(self, ref: ObjectRef) -> None:
        run = self.running.pop(ref)
        node = run.node
        node.release(run.needs)
        try:
            out: ray_node.JobOutcome = self.ray.get(ref)
        except Exception as exc:
            if self._node_lost(node) and run.placements <= self.o.max_retries:
                _say(f"node {node.label} lost; placing {run.job.label} again")
                self.pending.appendleft((run.job, run.placements))
                return
            attempts = self.o.max_retries + 1 if _retried(exc) else 1
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

    def deliver(
        self,
        job: Job,
        record: dict[str, Any],
        samples: list[dict[str, Any]],
        node: _DriverNode | None,
    ) -> None:
        if node is not None:
            if record.get("status") == "ok":
                node.ok += 1
            else:
                node.failed += 1
        self.on_result(record, samples)
        if self.progress is not None:
            self.progress.job_finished(job, record)


def _pin(node: Node) -> NodeAffinitySchedulingStrategy:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(node_id=node.id, soft=False)


def _retried(exc: BaseException) -> bool:
    """Whether Ray retried the task before raising ``exc`` (a system failure)."""
    from ray import exceptions as rx

    if isinstance(exc, rx.RayTaskError):
        return isinstance(getattr(exc, "cause", None), RETRYABLE)
    return isinstance(exc, (rx.WorkerCrashedError, rx.NodeDiedError))


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


# -- display ----------------------------------------------------------------------------------


def _say(text: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[dim]ray:[/dim] {escape(text)}")


def _print_nodes(nodes: list[_DriverNode]) -> None:
    """Jobs per node, as a table on stderr (nothing when there are no nodes)."""
    if not nodes:
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="jobs per Ray node")
    for column in ("node", "CPUs", "GPUs", "state", "ok", "failed", "idle baseline"):
        table.add_column(column)
    for node in nodes:
        idle = _idle_text(node.facts["idle"]) if node.facts else (node.error or "-")
        cells = (node.label, f"{node.cpus:g}", str(node.gpus), node.state, str(node.ok))
        table.add_row(*(Text(c) for c in (*cells, str(node.failed), idle)))
    Console(stderr=True).print(table)


def _idle_text(idle: dict[str, dict[str, Any]]) -> str:
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
