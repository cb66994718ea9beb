"""Run jobs one after another on this machine, each in its own worker process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.errors import GreenbenchError
from greenbench.sweep.executors.base import OnResult, Progress
from greenbench.sweep.plan import Job
from greenbench.sweep.worker import DEFAULT_RUNNER, run_in_subprocess

if TYPE_CHECKING:
    from greenbench.energy import IdleBaseline
    from greenbench.sweep.config import SweepConfig
    from greenbench.sweep.forkserver import ForkServer


class LocalExecutor:
    """Sequential executor: one subprocess per job, a cool-down between jobs.

    Jobs run one at a time because they share the machine whose energy is measured.

    Args:
        idle: the idle baseline passed to every job; None: :meth:`prepare` calibrates one over
            ``idle_seconds`` (none when 0: gross energy only).
        cooldown_s: pause between two jobs, seconds, so one job's heat and turbo state do not
            leak into the next one's measurement.
        timeout_s: wall-clock limit per job, seconds (None: no limit); a job past it is killed
            and recorded failed.
        idle_seconds: idle calibration in :meth:`prepare`, seconds (0: none).
        log_dir: where each worker's stderr is kept as ``<job_id>.log`` (None: discarded).
        runner: ``module:function`` running one job inside the worker.
        check: validate every job's variant on this machine in :meth:`prepare` (tests running
            fake jobs turn it off).
        fork: start each worker as a fork of a :class:`~greenbench.sweep.forkserver.ForkServer`
            that imported the jobs' backends once (False: a fresh ``python`` per job, ~2 s of
            imports each).
    """

    def __init__(
        self,
        idle: IdleBaseline | None = None,
        cooldown_s: float = 0.0,
        timeout_s: float | None = None,
        *,
        idle_seconds: float = 0.0,
        log_dir: str | Path | None = None,
        runner: str = DEFAULT_RUNNER,
        check: bool = True,
        fork: bool = True,
    ) -> None:
        self.idle = idle
        self.idle_seconds = idle_seconds
        self.cooldown_s = cooldown_s
        self.timeout_s = timeout_s
        self.log_dir = Path(log_dir) if log_dir else None
        self.runner = runner
        self.check = check
        self.fork = fork and sys.platform.startswith("linux")
        self._server: ForkServer | None = None

    def prepare(self, jobs: Sequence[Job], config: SweepConfig) -> dict[str, Any]:
        """Before any heavy work: check every job's variant on this machine (CUDA for
        bitsandbytes…), then calibrate the idle baseline with the config's meter over
        ``idle_seconds`` unless a baseline was given.

        The fork server starts first and imports while the checks run; its imports are over
        before the idle calibration starts. Returns ``{"idle": baseline}`` for the store when
        there is a baseline.
        """
        self._start_server(jobs)
        if self.check:
            try:
                check_jobs(jobs)
            except BaseException:
                self.close()
                raise
        self._server_ready()
        if self.idle is None and self.idle_seconds > 0:
            from greenbench.energy import EnergyMeter

            with EnergyMeter(meter=config.meter) as meter:
                self.idle = meter.calibrate_idle(self.idle_seconds)
        return {"idle": self.idle.to_dict()} if self.idle is not None else {}

    def run(
        self, jobs: Sequence[Job], on_result: OnResult, *, progress: Progress | None = None
    ) -> None:
        """Run ``jobs`` in order; ``on_result`` gets each record as soon as its job ends."""
        idle = self.idle.to_dict() if self.idle is not None else None
        self._start_server(jobs)
        self._server_ready()
        try:
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
                    on_step=_step_callback(progress, job),
                    server=self._server,
                )
                on_result(record, samples)
                if progress is not None:
                    progress.job_finished(job, record)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the fork server, if one runs (:meth:`run` does it when it ends)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def _start_server(self, jobs: Sequence[Job]) -> None:
        """Start the fork server for ``jobs``' backends, unless one runs or forking is off.
        One that cannot start leaves the executor starting fresh processes."""
        if not self.fork or self._server is not None or not jobs:
            return
        from greenbench.models.backends import backend_kind
        from greenbench.sweep.forkserver import ForkServer, ForkServerError, backend_modules

        kinds = {backend_kind(job.model, job.variant) for job in jobs}
        modules = [self.runner.partition(":")[0], *backend_modules(sorted(kinds))]
        modules += scorer_modules(jobs)
        try:
            self._server = ForkServer(modules)
        except (OSError, ForkServerError):
            self._server = None

    def _server_ready(self) -> None:
        """Wait for the fork server's imports; one that fails to start is closed and the
        executor starts fresh processes instead."""
        from greenbench.sweep.forkserver import ForkServerError

        if self._server is None:
            return
        try:
            self._server.wait_ready()
        except (OSError, ForkServerError, subprocess.TimeoutExpired):
            self.close()


def scorer_modules(jobs: Sequence[Job]) -> list[str]:
    """Libraries the scorers of ``jobs``' tasks import when first called
    (:attr:`~greenbench.metrics.catalogue.MetricInfo.modules`); a task that does not load is
    skipped here (its job reports the error)."""
    from greenbench.metrics.catalogue import METRICS
    from greenbench.tasks import load_task

    modules: list[str] = []
    for name, tasks_dir, source in {(j.task, j.tasks_dir, j.task_source) for j in jobs}:
        try:
            spec = load_task(name, tasks_dir=tasks_dir, source=source).spec
        except GreenbenchError:
            continue
        for metric in spec.metrics:
            info = METRICS.get(metric.name)
            modules += info.modules if info is not None else ()
    return list(dict.fromkeys(modules))


def _step_callback(progress: Progress | None, job: Job):
    """``on_step`` forwarding a worker's steps of ``job`` to ``progress`` (None without one)."""
    if progress is None:
        return None
    return lambda step: progress.job_step(job, step)


def check_jobs(jobs: Sequence[Job]) -> None:
    """Cheap per-variant validation (``check_variant``) of every job, before heavy work."""
    from greenbench.models import check_variant

    seen: set[str] = set()
    for job in jobs:
        key = job.model.model_dump_json() + job.variant.model_dump_json()
        if key not in seen:
            seen.add(key)
            try:
                check_variant(job.model, job.variant)
            except GreenbenchError as exc:
                raise GreenbenchError(
                    f"model {job.model.name!r} variant {job.variant.name!r}: {exc}"
                ) from None
