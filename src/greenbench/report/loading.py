"""Reading a sweep's results for reporting: records, per-sample logs and sweep metadata."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord
from greenbench.store import ResultsStore


@dataclass
class RunResults:
    """Everything a report shows, as stored by one sweep."""

    records: list[JobRecord]
    """Job records (``docs/records.md``), every status, migrated to the current version."""
    samples_by_job: dict[str, list[dict]] = field(default_factory=dict)
    """Job id -> per-sample logs (``id``, ``prompt``, ``prediction``, ``reference``, ``scores``)."""
    meta: dict = field(default_factory=dict)
    """Sweep-level information (``environment``, ``config``, ``carbon``…); may be empty."""
    hidden: int = 0
    """Jobs in the store left out: those of an earlier, different config of the directory."""
    outdated: int = 0
    """Planned jobs left out because their record was scored under an earlier definition of
    their task (its ``task_hash`` is not the plan's): a resumed sweep that stopped before
    running them again."""
    problems: list[str] = field(default_factory=list)
    """One line per part of the store that could not be read (a damaged page, an invalid
    record, naming the job); the rest is shown without it."""


def load_run(run_dir: str | Path, *, all_jobs: bool = False) -> RunResults:
    """Read ``run_dir/results.db``: the jobs of the sweep's latest plan (``meta["plan"]``, what
    ``greenbench run`` last ran there), or every stored job with ``all_jobs`` or when the store
    has no plan (a store written outside a sweep). A planned job whose record was scored under
    another task definition than the plan's (``meta["task_hashes"]``) is left out and counted
    in ``outdated``, unless ``all_jobs``.

    Raises:
        GreenbenchError: ``run_dir`` is not a directory or holds no ``results.db``, the file
            is not a greenbench store or of a newer version. The store is opened read-only and
            never written; records that cannot be read are left out and listed in
            ``problems``.
    """
    path = Path(run_dir) / "results.db"
    if not path.is_file():
        raise GreenbenchError(
            f"{run_dir}: no results.db here; give the --out directory of a `greenbench run`"
        )
    problems: list[str] = []
    with ResultsStore.open_readonly(path) as store:
        stored, problems = store.readable_records()
        try:
            meta = store.meta() or {}
        except (sqlite3.DatabaseError, ValueError) as exc:
            meta = {}
            problems.append(f"sweep metadata unreadable ({exc})")
        plan = meta.get("plan")
        records = stored
        outdated = 0
        if not all_jobs and isinstance(plan, list):
            planned = set(plan)
            records = [r for r in stored if r.job_id in planned]
            current = meta.get("task_hashes")
            if isinstance(current, dict):
                kept = [r for r in records if current.get(r.job_id) in (None, r.task_hash)]
                outdated, records = len(records) - len(kept), kept
        samples: dict[str, list[dict]] = {}
        for r in records:
            try:
                samples[r.job_id] = store.samples(r.job_id)
            except (sqlite3.DatabaseError, ValueError) as exc:
                samples[r.job_id] = []
                problems.append(f"job {r.job_id}: per-sample logs unreadable ({exc})")
    return RunResults(
        records,
        samples,
        dict(meta),
        hidden=len(stored) - len(records) - outdated,
        outdated=outdated,
        problems=problems,
    )
