"""Which planned jobs a resumed sweep skips, and which it runs again because their task's
definition changed since their record was stored.

A job id hashes the job's content, not what its task file and greenbench's defaults say today
(``sweep.plan``). So each job also carries ``task_hash``
(:func:`greenbench.tasks.definition.task_hash` of :meth:`Job.load_task`), set here by the driver
and written into the record by the job. A stored ``ok`` record is reused only when its
``task_hash`` equals the job's; a record scored under another definition, or written before the
hash was kept (``task_hash`` None), is run again and replaced (the store holds one record per
job id). A job whose task cannot be read has no hash: it runs, and fails with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from greenbench.errors import GreenbenchError
from greenbench.sweep.plan import Job
from greenbench.tasks.definition import task_hash


@dataclass
class ResumePlan:
    """What a resumed sweep does with each planned job."""

    todo: list[Job] = field(default_factory=list)
    """Jobs to run, in plan order: new, failed, or with an outdated record."""
    reused: int = 0
    """Jobs skipped: an ok record scored under the task's current definition is stored."""
    changed: list[str] = field(default_factory=list)
    """Ids of the jobs run again because their ok record was scored under another task
    definition (or one not recorded)."""


def hash_tasks(jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` with ``task_hash`` set; each distinct task (file, source, overrides) is read
    and hashed once. None where the task cannot be read or an override does not fit it."""
    hashes: dict[tuple[object, ...], str | None] = {}
    out = []
    for job in jobs:
        key = (job.task, job.tasks_dir, job.task_source, job.choice_scoring, job.num_fewshot)
        if key not in hashes:
            try:
                hashes[key] = task_hash(job.load_task())
            except (GreenbenchError, OSError):
                hashes[key] = None
        out.append(job.model_copy(update={"task_hash": hashes[key]}))
    return out


def plan_resume(jobs: Sequence[Job], stored: Mapping[str, str | None]) -> ResumePlan:
    """Split ``jobs`` (``task_hash`` set) by ``stored``: job id -> the ``task_hash`` of its
    stored ok record (``ResultsStore.done_task_hashes``)."""
    plan = ResumePlan()
    for job in jobs:
        if job.job_id in stored:
            if job.task_hash is not None and stored[job.job_id] == job.task_hash:
                plan.reused += 1
                continue
            plan.changed.append(job.job_id)
        plan.todo.append(job)
    return plan
