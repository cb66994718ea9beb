"""The executor interface: run jobs somewhere, hand each result back to the driver.

An executor runs each job in isolation (its own process, or a Ray task) and calls
``on_result(record, samples)`` in the driver's process as each job finishes, ok or failed;
the driver commits it to the store at once. An executor never raises for a job's failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from greenbench.sweep.plan import Job

#: ``on_result(record, samples)``: one job record (docs/records.md) and its per-sample logs.
OnResult = Callable[[dict[str, Any], list[dict[str, Any]]], None]


class Progress(Protocol):
    """What executors tell the driver's progress display."""

    def job_started(self, job: Job, *, node: str | None = None) -> None:
        """``job`` began running (on ``node``, for executors with several)."""

    def job_finished(self, job: Job, record: dict[str, Any]) -> None:
        """``job`` ended with ``record`` (``record["status"]`` is ok or failed)."""


class Executor(Protocol):
    """Runs jobs and reports each result as it arrives."""

    def run(
        self, jobs: Sequence[Job], on_result: OnResult, *, progress: Progress | None = None
    ) -> None:
        """Run every job in ``jobs``; call ``on_result`` once per job, in the driver."""
