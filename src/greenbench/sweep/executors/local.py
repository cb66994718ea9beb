"""Run jobs one after another on this machine, each in its own worker process."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from greenbench.sweep.executors.base import OnResult, Progress
from greenbench.sweep.plan import Job
from greenbench.sweep.worker import DEFAULT_RUNNER, run_in_subprocess


class LocalExecutor:
    """Sequential executor: one subprocess per job, a cool-down between jobs.

    Jobs run one at a time because they share the machine whose energy is measured.

    Args:
        idle: the driver's idle baseline (``IdleBaseline``), passed to every job; None: gross
            energy only.
        cooldown_s: pause between two jobs, seconds, so one job's heat and turbo state do not
            leak into the next one's measurement.
        timeout_s: wall-clock limit per job, seconds (None: no limit); a job past it is killed
            and recorded failed.
        log_dir: where each worker's stderr is kept as ``<job_id>.log`` (None: discarded).
        runner: ``module:function`` running one job inside the worker.
    """

    def __init__(
        self,
        idle: Any = None,
        cooldown_s: float = 0.0,
        timeout_s: float | None = None,
        *,
        log_dir: str | Path | None = None,
        runner: str = DEFAULT_RUNNER,
    ) -> None:
        self.idle = idle
        self.cooldown_s = cooldown_s
        self.timeout_s = timeout_s
        self.log_dir = Path(log_dir) if log_dir else None
        self.runner = runner

    def run(
        self, jobs: Sequence[Job], on_result: OnResult, *, progress: Progress | None = None
    ) -> None:
        """Run ``jobs`` in order; ``on_result`` gets each record as soon as its job ends."""
        idle = self.idle.to_dict() if self.idle is not None else None
        for index, job in enumerate(jobs):
            if index and self.cooldown_s:
                time.sleep(self.cooldown_s)
            if progress is not None:
                progress.job_started(job)
            log = self.log_dir / f"{job.job_id}.log" if self.log_dir else None
            record, samples = run_in_subprocess(
                job.model_copy(update={"idle": idle}),
                timeout_s=self.timeout_s,
                runner=self.runner,
                log_path=log,
            )
            on_result(record, samples)
            if progress is not None:
                progress.job_finished(job, record)
