"""The sweep driver behind ``greenbench run``: plan, resume, calibrate, execute, commit, report.

:func:`prepare` reads and validates a config (with command-line overrides) and expands it into
jobs; :func:`run_sweep` runs the jobs not yet done in ``out_dir``:

1. open ``out_dir/results.db``; jobs already recorded ``ok`` are skipped (resume), failed ones
   are run again;
2. cheap checks of every job (``check_variant``) before any heavy work (local executor);
3. one idle calibration (``idle_seconds``), passed to every job, so net energy can be given
   (remote executors calibrate on each node instead);
4. the executor runs each job in its own process; as each finishes, its record (with the
   efficiency indexes of every record refreshed) is committed to the store at once and
   ``out_dir/results.json`` is rewritten atomically (temporary file + ``os.replace``);
5. the leaderboards (``greenbench.report``), and ``out_dir/report.html``.

A driver killed at any point loses at most the job in flight: the store commits per job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord, load_record, per_record
from greenbench.records.per_task import with_task_fields
from greenbench.sweep.config import SweepConfig, load_config
from greenbench.sweep.executors import Executor, get_executor
from greenbench.sweep.plan import Job, expand
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


@dataclass
class SweepOutcome:
    """What one ``run_sweep`` call did."""

    out_dir: Path
    """Directory holding results.db, results.json and report.html."""
    planned: int
    """Jobs in the plan."""
    skipped: int
    """Jobs already recorded ok in the store (resumed past)."""
    ran: list[str] = field(default_factory=list)
    """Ids of the jobs run by this call, in the order they finished."""
    failed: list[str] = field(default_factory=list)
    """Ids of the jobs of this call that failed."""
    wall_s: float = 0.0
    """Wall-clock time of this call, seconds."""
    report: Path | None = None
    """The HTML report, when written."""


def prepare(
    config_path: str | Path | None, overrides: Overrides | None = None
) -> tuple[SweepConfig, list[Job]]:
    """Read, override and validate a config, then expand it into jobs (ids set).

    Raises:
        GreenbenchError: an invalid config, an unknown task or location.
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
    _check_tasks(config, origin)
    try:
        carbon = resolve_carbon(config)
    except GreenbenchError as exc:
        raise GreenbenchError(f"{origin}: location: {exc}") from None
    return config, expand(config, carbon)


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


def check_jobs(jobs: list[Job]) -> None:
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


def plan_table(jobs: list[Job], done: set[str] | None = None) -> Table:
    """The plan as a rich table: id, model, variant, task, samples, note."""
    added = sum(j.added_as_base for j in jobs)
    title = f"plan: {len(jobs)} jobs" + (
        f" ({added} added as the base of a fine-tuned variant)" if added else ""
    )
    table = Table(title=title, title_justify="left")
    for column in ("job id", "model", "variant", "task", "samples"):
        table.add_column(column, no_wrap=True)
    table.add_column("note", overflow="fold")
    for job in jobs:
        notes = []
        if job.added_as_base:
            notes.append("added: base of a fine-tuned variant")
        if job.base_job_id:
            notes.append(f"base {job.base_job_id}")
        if done and job.job_id in done:
            notes.append("done")
        samples = str(job.limit) if job.limit else "all"
        row = (job.job_id, job.model.name, job.variant.name, job.task, samples, "; ".join(notes))
        table.add_row(*row)
    return table


class RichProgress:
    """Progress bars for jobs and samples (``executors.base.Progress``)."""

    def __init__(self, progress: Progress, jobs: list[Job]) -> None:
        self._progress = progress
        self._jobs = progress.add_task("jobs", total=len(jobs))
        self._samples = progress.add_task("samples", total=sum(j.limit or 0 for j in jobs) or None)

    def job_started(self, job: Job, *, node: str | None = None) -> None:
        where = f" on {node}" if node else ""
        self._progress.update(self._jobs, description=f"jobs: {job.label}{where}")

    def job_finished(self, job: Job, record: dict[str, Any]) -> None:
        self._progress.advance(self._jobs)
        self._progress.advance(self._samples, record.get("samples") or job.limit or 0)
        if record.get("status") != "ok":
            self._progress.console.print(f"[red]failed[/red] {job.label}: {record.get('error')}")


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


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

    def __init__(self, store: ResultsStore, out_dir: Path, outcome: SweepOutcome, plan: list[str]):
        self.store = store
        self.out_dir = out_dir
        self.outcome = outcome
        stored, planned = store.records(), set(plan)
        self.records: dict[str, JobRecord] = {r.job_id: r for r in stored if r.job_id in planned}
        self.stale = len(stored) - len(self.records)  # jobs of an earlier config, not planned

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
    *,
    executor: Executor | None = None,
    executor_name: str = "local",
    executor_options: dict[str, Any] | None = None,
    console: Console | None = None,
    calibrate: Callable[[SweepConfig], Any] | None = None,
    check: Callable[[list[Job]], None] | None = None,
    report: bool = True,
) -> SweepOutcome:
    """Run the jobs of ``jobs`` not yet recorded ok in ``out_dir``; see the module docstring.

    Args:
        executor: an executor to use as is (tests inject one); else ``executor_name`` with
            ``executor_options`` plus the cool-down, timeout and idle baseline of ``config``
            (``idle_seconds`` for executors other than local, which calibrate per node).
        calibrate: ``config -> IdleBaseline | None``; default: the energy meter's idle
            calibration over ``config.idle_seconds`` (None when 0).
        check: validation of the jobs to run before any heavy work; default
            :func:`check_jobs` for the local executor, none for remote ones (the device checks
            would hold for the driver's machine, not the nodes').
        report: write ``out_dir/report.html`` at the end.
    """
    from greenbench.store import ResultsStore

    started = time.perf_counter()
    console = console or Console(stderr=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ResultsStore(out / "results.db") as store:
        done = set(store.done_job_ids())
        todo = [
            j.model_copy(update={"artifacts_dir": str(out / "adapters")})
            for j in jobs
            if j.job_id not in done
        ]
        outcome = SweepOutcome(out_dir=out, planned=len(jobs), skipped=len(jobs) - len(todo))
        console.print(
            f"sweep {config.name!r}: {len(jobs)} jobs, {outcome.skipped} already done, "
            f"{len(todo)} to run -> {out}"
        )
        store.set_meta("config", config.model_dump(mode="json"))
        store.set_meta("plan", [j.job_id for j in jobs])
        if jobs:
            store.set_meta("carbon", jobs[0].carbon)
        committer = _Committer(store, out, outcome, [j.job_id for j in jobs])
        if committer.stale:
            console.print(
                f"note: {out / 'results.db'} also holds {committer.stale} jobs of an earlier "
                "config (not in this plan); results.json lists this plan's jobs only"
            )
        if todo:
            if check is not None or executor_name == "local":
                # Device checks (CUDA for bitsandbytes…) hold for this machine only: on a
                # cluster each node checks its own jobs, which then fail one by one.
                (check or check_jobs)(todo)
            if executor is None:
                options: dict[str, Any] = {
                    "cooldown_s": config.cooldown_s,
                    "timeout_s": config.job_timeout_s,
                    "log_dir": out / "logs",
                }
                if executor_name == "local":
                    idle = (calibrate or calibrate_idle)(config)
                    if idle is not None:
                        store.set_meta("idle", idle.to_dict())
                    options["idle"] = idle
                else:  # each node calibrates its own idle power
                    options["idle_seconds"] = config.idle_seconds
                executor = get_executor(executor_name, **options, **(executor_options or {}))
            _environment_meta(store)
            with _progress_bar(console) as bar:
                executor.run(todo, committer, progress=RichProgress(bar, todo))
        records = committer.refresh()
    outcome.wall_s = time.perf_counter() - started
    from greenbench.report.terminal import print_leaderboard

    # The leaderboards go to stdout (progress and notes to stderr), full width when piped.
    board = Console()
    print_leaderboard(records, board if board.is_terminal else Console(width=160))
    if report:
        outcome.report = _write_report(out, console)
    return outcome


def calibrate_idle(config: SweepConfig) -> Any:
    """Idle baseline over ``config.idle_seconds`` with the config's meter (None when 0 s)."""
    if config.idle_seconds <= 0:
        return None
    from greenbench.energy import EnergyMeter

    with EnergyMeter(meter=config.meter) as meter:
        return meter.calibrate_idle(config.idle_seconds)


def _environment_meta(store: Any) -> None:
    from greenbench.environment import describe

    store.set_meta("environment", describe())


def _write_report(out: Path, console: Console) -> Path | None:
    from greenbench.report.html import write_html

    path = write_html(out)
    console.print(f"report: {path}")
    return path
