"""The executor interface: run jobs somewhere, hand each result back to the driver.

An executor runs each job in isolation (its own process, or a Ray task) and calls
``on_result(record, samples)`` in the driver's process as each job finishes, ok or failed;
the driver commits it to the store at once. An executor never raises for a job's failure.

An executor may also define ``prepare(jobs, config) -> dict`` (:class:`Preparing`): the driver
calls it once, before the first job, for what must happen where the jobs run (device checks,
idle calibration), and keeps the returned metadata in the store. Executors without it need none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from greenbench.models.base import Step
from greenbench.sweep.plan import Job

if TYPE_CHECKING:
    from greenbench.sweep.config import SweepConfig
    from greenbench.sweep.runner import SweepOutcome

#: ``on_result(record, samples)``: one job record (docs/records.md) and its per-sample logs.
OnResult = Callable[[dict[str, Any], list[dict[str, Any]]], None]


class Progress(Protocol):
    """What the driver and executors tell the caller's progress display."""

    def sweep_started(self, name: str, outcome: SweepOutcome, todo: Sequence[Job]) -> None:
        """Sweep ``name`` begins: ``outcome`` counts planned, skipped and stale jobs; ``todo``
        are the jobs about to run."""

    def job_started(self, job: Job, *, node: str | None = None) -> None:
        """``job`` began running (on ``node``, for executors with several)."""

    def job_step(self, job: Job, step: Step) -> None:
        """``job`` moved on inside a phase (a batch answered, a training step taken)."""

    def job_finished(self, job: Job, record: dict[str, Any]) -> None:
        """``job`` ended with ``record`` (``record["status"]`` is ok or failed)."""


class Executor(Protocol):
    """Runs jobs and reports each result as it arrives."""

    def run(
        self, jobs: Sequence[Job], on_result: OnResult, *, progress: Progress | None = None
    ) -> None:
        """Run every job in ``jobs``; call ``on_result`` once per job, in the driver."""


@runtime_checkable
class Preparing(Protocol):
    """An executor with work to do before the first job."""

    def prepare(self, jobs: Sequence[Job], config: SweepConfig) -> Mapping[str, Any]:
        """Check and set up for ``jobs``; return metadata for the store (e.g. ``idle``)."""
