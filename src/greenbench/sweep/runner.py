"""The sweep driver behind ``greenbench run``: plan, resume, execute, commit — nothing else.

:func:`prepare` reads and validates a config (with command-line overrides) and expands it into
jobs; :func:`run_sweep` runs the jobs not yet done in ``out_dir``:

1. open ``out_dir/results.db``; jobs already recorded ``ok`` under their task's current
   definition are skipped (resume, :mod:`greenbench.sweep.resume`); failed ones, and ok ones
   scored under another task definition (``task_hash``), are run again;
2. the executor's optional ``prepare(jobs, config)`` — for the local executor: cheap checks of
   every job (``check_variant``) and one idle calibration (``idle_seconds``), before any heavy
   work; remote executors check and calibrate on each node;
3. the executor runs each job in its own process; as each finishes, its record is committed to
   the store at once and ``out_dir/results.json`` is rewritten atomically (temporary file +
   ``os.replace``).

It prints and renders nothing: the caller passes a ``progress`` display and shows leaderboards
and reports (``greenbench.cli.sweep_view``, ``greenbench.report``). A driver killed at any point
loses at most the job in flight: the store commits per job.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.environment import describe as describe_environment
from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord, load_record, per_record
from greenbench.records.per_task import with_task_fields
from greenbench.sweep.config import SweepConfig, load_config
from greenbench.sweep.executors import Executor, Preparing, Progress, build_executor
from greenbench.sweep.plan import Job, check_plan_size, expand
from greenbench.sweep.resume import hash_tasks, plan_resume
from greenbench.sweep.worker import write_json_atomic

if TYPE_CHECKING:
    from greenbench.store import ResultsStore


@dataclass
class Overrides:
    """Command-line settings that win over the config's."""

    limit: int | None = None
    """Samples per task, for every task."""
    repeats: int | None = None
    """Inference repeats per job."""
    country: str | None = None
    """ISO 3166 alpha-3 country of the grid (replaces the config's location and intensity)."""
    max_jobs: int | None = None
    """Most jobs the plan may hold (None: ``config_limits.DEFAULT_MAX_JOBS``, 10,000)."""


@dataclass
class SweepOutcome:
    """What one ``run_sweep`` call did."""

    out_dir: Path
    """Directory holding results.db, results.json and report.html."""
    planned: int
    """Jobs in the plan."""
    skipped: int
    """Jobs already recorded ok in the store under their task's current definition (resumed
    past)."""
    ran: list[str] = field(default_factory=list)
    """Ids of the jobs run by this call, in the order they finished."""
    failed: list[str] = field(default_factory=list)
    """Ids of the jobs of this call that failed."""
    stale: int = 0
    """Jobs in the store from an earlier, different config of the same directory (not planned)."""
    changed: int = 0
    """Planned jobs run again because their stored ok record was scored under another
    definition of their task (``task_hash`` differs or was not recorded)."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """The plan's records after the call (what results.json holds)."""
    wall_s: float = 0.0
    """Wall-clock time of this call, seconds."""


def prepare(
    config_path: str | Path | None, overrides: Overrides | None = None
) -> tuple[SweepConfig, list[Job]]:
    """Read, override and validate a config, then expand it into jobs (ids set).

    Raises:
        GreenbenchError: an invalid config, an unknown task or location, too many jobs.
    """
    config, origin = load_config(config_path)
    overrides = overrides or Overrides()
    if overrides.limit is not None:
        config.limit = overrides.limit
        for task in config.tasks:
            task.limit = overrides.limit
    if overrides.repeats is not None:
        config.repeats = overrides.repeats
    if overrides.country is not None:
        config.location.country = overrides.country
        config.location.region = None
        config.location.carbon_intensity = None
    return config, plan_config(config, origin, max_jobs=overrides.max_jobs)


def plan_config(config: SweepConfig, origin: str, *, max_jobs: int | None = None) -> list[Job]:
    """Check a validated config's size, tasks and location, then expand it into jobs (ids set).

    ``origin`` names the config in messages (a file, or ``greenbench eval`` for a sweep built
    from command-line arguments); ``max_jobs``: the plan's limit (None: the default). Raises
    GreenbenchError for an unknown task or location, or too many jobs.
    """
    check_plan_size(config, origin, max_jobs)
    _check_tasks(config, origin)
    try:
        carbon = resolve_carbon(config)
    except GreenbenchError as exc:
        raise GreenbenchError(f"{origin}: location: {exc}") from None
    return expand(config, carbon)


def resolve_carbon(config: SweepConfig) -> dict[str, Any]:
    """The config's location as ``CarbonContext.to_dict()``."""
    from greenbench.carbon import resolve_location

    loc = config.location
    ctx = resolve_location(
        country=loc.country, region=loc.region, intensity=loc.carbon_intensity, pue=loc.pue
    )
    return ctx.to_dict()


def _check_tasks(config: SweepConfig, origin: str) -> None:
    """Every task must exist (its spec is read, no data is loaded)."""
    from greenbench.tasks import load_task

    for i, entry in enumerate(config.tasks):
        try:
            load_task(entry.name, tasks_dir=entry.tasks_dir, source=entry.source)
        except GreenbenchError as exc:
            raise GreenbenchError(f"{origin}: tasks[{i}]: {exc}") from None


class _Committer:
    """``on_result``: commit each finished record with its per-record figures, then rewrite
    results.json from the committed records.

    Only the finished record is stored, with the figures of :mod:`greenbench.records.per_record`
    (its CEGI against its base job when that is committed already). A base job committed after
    its fine-tuned variants gives each of them its CEGI then: those records alone are stored
    again. The per-task figures (Pareto, GQI) go into results.json only, computed over the
    plan's records when it is written (:func:`greenbench.records.with_task_fields`).

    results.json covers the jobs of the current plan: records left in the store by an earlier,
    different config of the same directory stay in results.db untouched. The store is read
    once; the plan's records are then kept here as they are committed, in the store's order
    (first insertion).
    """

    def __init__(
        self,
        store: ResultsStore,
        out_dir: Path,
        outcome: SweepOutcome,
        plan: list[str],
        outdated: frozenset[str] = frozenset(),
    ):
        self.store = store
        self.out_dir = out_dir
        self.outcome = outcome
        stored, planned = store.records(), set(plan)
        self.stale = sum(r.job_id not in planned for r in stored)  # an earlier config's jobs
        # records scored under an earlier task definition are not shown until re-run
        self.records: dict[str, JobRecord] = {
            r.job_id: r for r in stored if r.job_id in planned and r.job_id not in outdated
        }

    def __call__(
        self, record: JobRecord | Mapping[str, Any], samples: list[dict[str, Any]]
    ) -> None:
        finished = load_record(record)
        finished = per_record.attach(finished, self.records.get(finished.base_job_id or ""))
        self.store.put_job(finished, samples)
        self.records[finished.job_id] = finished
        self.outcome.ran.append(finished.job_id)
        if not finished.ok:
            self.outcome.failed.append(finished.job_id)
        for tuned in [r for r in self.records.values() if r.base_job_id == finished.job_id]:
            updated = per_record.attach_cegi(tuned, finished)
            if updated != tuned:
                self.store.put_job(updated)
                self.records[tuned.job_id] = updated
        self.refresh()

    def refresh(self) -> list[dict[str, Any]]:
        """Rewrite results.json from the plan's committed records; return its content (JSON
        records with their per-task figures)."""
        rows = with_task_fields(self.records.values())
        write_json_atomic(self.out_dir / "results.json", rows)
        return rows


def run_sweep(
    config: SweepConfig,
    jobs: list[Job],
    out_dir: str | Path,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> SweepOutcome:
    """Run the jobs of ``jobs`` not yet recorded ok in ``out_dir`` and store their records.

    Prints nothing and renders nothing: ``progress`` (the caller's display) hears of the sweep
    starting, each job starting and ending, and each job's steps.

    Args:
        executor: where the jobs run (default: the local executor, ``build_executor``). Its
            optional ``prepare(jobs, config)`` runs first, before any job (checks, idle
            calibration); the metadata it returns is kept in the store.
        progress: receives ``sweep_started`` and the executor's job events; None: silent.
    """
    from greenbench.store import ResultsStore

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    executor = executor if executor is not None else build_executor("local", config, out)
    jobs = hash_tasks(jobs)
    with ResultsStore(out / "results.db") as store:
        resume = plan_resume(jobs, store.done_task_hashes())
        todo = [j.model_copy(update={"artifacts_dir": str(out / "adapters")}) for j in resume.todo]
        outcome = SweepOutcome(
            out_dir=out, planned=len(jobs), skipped=resume.reused, changed=len(resume.changed)
        )
        store.set_meta("config", config.model_dump(mode="json"))
        store.set_meta("plan", [j.job_id for j in jobs])
        if jobs:
            store.set_meta("carbon", jobs[0].carbon)
        store.set_meta("task_hashes", {j.job_id: j.task_hash for j in jobs})
        committer = _Committer(
            store, out, outcome, [j.job_id for j in jobs], frozenset(resume.changed)
        )
        outcome.stale = committer.stale
        if progress is not None:
            progress.sweep_started(config.name, outcome, todo)
        if todo:
            if isinstance(executor, Preparing):
                for key, value in executor.prepare(todo, config).items():
                    store.set_meta(key, value)
            store.set_meta("environment", describe_environment())
            executor.run(todo, committer, progress=progress)
        outcome.records = committer.refresh()
    outcome.wall_s = time.perf_counter() - started
    return outcome
