"""Which node of a cluster takes which job: the Ray executor's placement policy, without Ray.

Energy is measured per device, so two jobs must never share what they measure:

- a **GPU job** takes whole GPUs of one node (``num_gpus_per_job``, 1 by default) and one CPU;
  it goes to the node with the fewest free GPUs that fit, so whole nodes stay free for larger
  jobs;
- a **CPU job** measures the whole host (RAPL counts per package, the estimate per machine), so
  a node runs ``jobs_per_node`` CPU jobs at a time (default 1), each taking one of the node's
  CPU-job slots and its share of the node's CPUs; it goes to a node without GPUs first, then to
  the one with the most free slots.

A job that no node can ever take (a ``cuda`` job on a cluster without GPUs, more GPUs than any
node has) is failed with the reason :meth:`PlacementPolicy.unplaceable` gives, once every node
has been calibrated (a node still calibrating may turn out able to take it).

This module only counts: :mod:`~greenbench.sweep.executors.ray_run` asks Ray for the nodes,
submits each job where :meth:`PlacementPolicy.choose` says, and tells the nodes here what
they hold (:meth:`Node.take`, :meth:`Node.release`) and what state they are in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from greenbench.errors import GreenbenchError

if TYPE_CHECKING:
    from greenbench.sweep.plan import Job

#: A node's life in a sweep: seen (``new``), measuring its idle power (``calibrating``), taking
#: jobs (``ready``), left out after its calibration failed (``unusable``), or left the cluster
#: (``gone``).
NodeState = Literal["new", "calibrating", "ready", "unusable", "gone"]


@dataclass(frozen=True)
class Needs:
    """What one job asks of the node it runs on."""

    gpus: int
    """Whole GPUs, a count (0: a CPU job, which takes one of the node's CPU-job slots)."""
    cpus: float | None
    """Logical CPUs as Ray counts them, or None for the node's share (its CPUs divided by
    ``jobs_per_node``)."""


@dataclass
class Node:
    """One node of the cluster: what it has, what is free on it now, and its state."""

    id: str
    """The node's id (Ray's, hexadecimal)."""
    hostname: str
    cpus: float
    """Logical CPUs on the node, a count (Ray's ``CPU`` resource; may be fractional)."""
    gpus: int
    """Whole GPUs on the node, a count."""
    slots: int
    """CPU jobs the node runs at a time, a count (the policy's ``jobs_per_node``)."""
    state: NodeState = "new"
    error: str | None = None
    """Why the node is ``unusable`` or ``gone`` (None otherwise)."""
    free_slots: int = field(init=False)
    """CPU-job slots free now, a count."""
    free_gpus: int = field(init=False)
    """GPUs not held by a job now, a count."""

    def __post_init__(self) -> None:
        self.free_slots = self.slots
        self.free_gpus = self.gpus

    @property
    def label(self) -> str:
        """``hostname (first 8 digits of the id)``, for messages and tables."""
        return f"{self.hostname} ({self.id[:8]})"

    @property
    def usable(self) -> bool:
        """Whether the node is, or may become, able to take jobs (not unusable, not gone)."""
        return self.state not in ("gone", "unusable")

    def fits_ever(self, needs: Needs) -> bool:
        """Whether the node could take a job with ``needs`` once it is free."""
        return self.usable and self.gpus >= needs.gpus and self.cpus >= (needs.cpus or 1)

    def fits_now(self, needs: Needs) -> bool:
        """Whether the node is ready and has what ``needs`` asks for free now."""
        if self.state != "ready" or not self.fits_ever(needs):
            return False
        return self.free_gpus >= needs.gpus if needs.gpus else self.free_slots > 0

    def take(self, needs: Needs) -> None:
        """Hold what a job with ``needs`` uses (its GPUs, else one CPU-job slot)."""
        if needs.gpus:
            self.free_gpus -= needs.gpus
        else:
            self.free_slots -= 1

    def release(self, needs: Needs) -> None:
        """Free what :meth:`take` held for a job with ``needs``."""
        if needs.gpus:
            self.free_gpus += needs.gpus
        else:
            self.free_slots += 1


#: A :class:`Node` or a subclass with the caller's own bookkeeping.
AnyNode = TypeVar("AnyNode", bound=Node)


@dataclass(frozen=True)
class PlacementPolicy:
    """How much of a node each job takes, and which node takes it (see the module docstring).

    Args:
        cpus_per_job: logical CPUs each job asks for (None: a CPU job takes its node's share,
            its CPUs divided by ``jobs_per_node``; a GPU job one CPU).
        jobs_per_node: CPU jobs one node runs at a time, a count (GPU jobs are limited by GPUs).
        num_gpus_per_job: whole GPUs of a GPU job, a count (None: 1).

    Raises:
        GreenbenchError: a value out of range, naming the argument.
    """

    cpus_per_job: float | None = None
    jobs_per_node: int = 1
    num_gpus_per_job: int | None = None

    def __post_init__(self) -> None:
        if self.jobs_per_node < 1:
            raise GreenbenchError(f"jobs_per_node: expected 1 or more, got {self.jobs_per_node}")
        if self.num_gpus_per_job is not None and self.num_gpus_per_job < 1:
            raise GreenbenchError(
                f"num_gpus_per_job: expected a whole number of GPUs >= 1, got "
                f"{self.num_gpus_per_job} (measured devices are never shared)"
            )
        if self.cpus_per_job is not None and self.cpus_per_job <= 0:
            raise GreenbenchError(f"cpus_per_job: expected > 0, got {self.cpus_per_job}")

    def needs(self, job: Job, nodes: Iterable[Node]) -> Needs:
        """What ``job`` asks for on a cluster of ``nodes``.

        A job is a GPU job when its variant's device is ``cuda``/``cuda:N``, or when
        :func:`greenbench.models.resolve_device` puts it on CUDA given that some node not gone
        has GPUs: never an ``estimate`` model, an ``int8-dynamic`` variant, or an engine built
        without CUDA here (nodes are assumed to run the driver's environment, as Ray expects).
        Ray hides the GPUs from a task that asked for none, so the job then resolves to the CPU
        on its node too.
        """
        from greenbench.models import resolve_device  # the models package loads on first use

        if job.variant.device.startswith("cuda"):
            gpu = True  # explicit: placed on a GPU or failed as unplaceable, never on a CPU slot
        else:
            cluster_gpus = any(n.gpus > 0 for n in nodes if n.state != "gone")
            gpu = resolve_device(job.model, job.variant, cuda_visible=cluster_gpus).on_cuda
        if not gpu:
            return Needs(gpus=0, cpus=self.cpus_per_job)
        return Needs(gpus=self.num_gpus_per_job or 1, cpus=self.cpus_per_job or 1)

    def task_cpus(self, node: Node, needs: Needs) -> float:
        """Logical CPUs the job's task asks for on ``node``: ``needs.cpus``, else the node's
        share (its CPUs divided by ``jobs_per_node``, rounded down, at least 1)."""
        return needs.cpus or max(1, math.floor(node.cpus / self.jobs_per_node))

    def choose(self, nodes: Iterable[AnyNode], needs: Needs) -> AnyNode | None:
        """The node that takes a job with ``needs`` now, or None when none can at the moment."""
        candidates = [n for n in nodes if n.fits_now(needs)]
        if not candidates:
            return None
        if needs.gpus:  # pack GPUs, keep nodes whole
            return min(candidates, key=lambda n: n.free_gpus)
        return min(candidates, key=lambda n: (n.gpus > 0, -n.free_slots))  # CPU hosts first

    def unplaceable(self, nodes: Iterable[Node], needs: Needs) -> str | None:
        """Why no node can ever take a job with ``needs``, in one line; None while one may.

        None too while a node is ``new`` or ``calibrating``: it may turn out to fit.
        """
        nodes = list(nodes)
        if any(n.state in ("new", "calibrating") or n.fits_ever(needs) for n in nodes):
            return None
        usable = [n for n in nodes if n.usable]
        if not usable:
            why = "; ".join(f"{n.label}: {n.error}" for n in nodes if n.error)
            return f"no usable Ray node ({why or 'the cluster has no CPU or GPU'})"
        if needs.gpus:
            most = max(n.gpus for n in usable)
            return f"needs {needs.gpus} GPU(s) on one node; the Ray nodes have at most {most}"
        most_cpus = max(n.cpus for n in usable)
        return (
            f"needs {needs.cpus or 1:g} CPUs on one node; the Ray nodes have at most {most_cpus:g}"
        )
