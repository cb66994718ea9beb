"""What ``greenbench run`` shows while a sweep runs: the plan, progress bars, failures.

The sweep driver (:mod:`greenbench.sweep.runner`) prints nothing; this module is the display it
reports to (:class:`~greenbench.sweep.executors.base.Progress`). Progress and notes go to
stderr, so stdout carries only the leaderboards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from greenbench.safe_text import for_terminal

if TYPE_CHECKING:
    from greenbench.models.base import Step
    from greenbench.sweep.plan import Job
    from greenbench.sweep.runner import SweepOutcome


def plan_table(jobs: Sequence[Job], done: set[str] | None = None) -> Table:
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
        table.add_row(*(Text(for_terminal(cell)) for cell in row))
    return table


class SweepProgress:
    """Progress bars on ``console``: jobs, samples answered (per batch), and the running job's
    current phase (load, fine-tuning steps, inference samples).

    Use as a context manager around :func:`~greenbench.sweep.runner.run_sweep`.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._jobs: TaskID | None = None
        self._samples: TaskID | None = None
        self._phase: TaskID | None = None
        self._phase_key: tuple[str, str] | None = None
        self._answered: dict[str, int] = {}

    def __enter__(self) -> SweepProgress:
        self._bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.__exit__(*exc)

    def sweep_started(self, name: str, outcome: SweepOutcome, todo: Sequence[Job]) -> None:
        self.console.print(
            Text(
                for_terminal(
                    f"sweep {name!r}: {outcome.planned} jobs, {outcome.skipped} already done, "
                    f"{len(todo)} to run -> {outcome.out_dir}"
                )
            )
        )
        if outcome.changed:
            self.console.print(
                Text(
                    f"note: {outcome.changed} jobs are run again: their task's definition changed "
                    "since their records were stored (or those records predate task_hash)"
                )
            )
        if outcome.stale:
            self.console.print(
                Text(
                    f"note: {outcome.out_dir / 'results.db'} also holds {outcome.stale} jobs of "
                    "an earlier config (not in this plan); results.json and the report list this "
                    "plan's jobs only"
                )
            )
        if not todo:
            return
        samples = sum((j.limit or 0) * j.repeats for j in todo) or None
        self._jobs = self._bars.add_task("jobs", total=len(todo))
        self._samples = self._bars.add_task("samples", total=samples)

    def job_started(self, job: Job, *, node: str | None = None) -> None:
        where = f" on {node}" if node else ""
        self._bars.update(self._jobs, description=f"jobs: {_plain(job.label)}{_plain(where)}")

    def job_step(self, job: Job, step: Step) -> None:
        if self._phase_key != (job.job_id, step.phase):  # a new phase: a bar of its own
            if self._phase is not None:
                self._bars.remove_task(self._phase)
            what = {"finetune": "fine-tuning steps", "inference": "samples answered"}
            label = f"  {step.phase}" + (f": {what[step.phase]}" if step.phase in what else "…")
            self._phase = self._bars.add_task(label, total=step.total)
            self._phase_key = (job.job_id, step.phase)
        self._bars.update(self._phase, completed=step.done)
        if step.phase == "inference":
            before = self._answered.get(job.job_id, 0)
            self._bars.advance(self._samples, max(0, step.done - before))
            self._answered[job.job_id] = max(before, step.done)

    def job_finished(self, job: Job, record: dict[str, Any]) -> None:
        self._bars.advance(self._jobs)
        # Jobs whose worker reported no steps (a crash, a remote node) count when they end.
        expected = (record.get("samples") or job.limit or 0) * job.repeats
        self._bars.advance(self._samples, max(0, expected - self._answered.get(job.job_id, 0)))
        self._answered[job.job_id] = expected
        if record.get("status") != "ok":
            self.console.print(
                Text.assemble(
                    ("failed", "red"), for_terminal(f" {job.label}: {record.get('error')}")
                )
            )


def _plain(text: str) -> str:
    """``text`` for a bar description (rich markup): terminal escapes removed, markup escaped."""
    return escape(for_terminal(text))
