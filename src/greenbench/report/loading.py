"""Reading a sweep's results for reporting: records, per-sample logs and sweep metadata."""

from __future__ import annotations

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


def load_run(run_dir: str | Path) -> RunResults:
    """Read ``run_dir/results.db``.

    Raises:
        GreenbenchError: ``run_dir`` is not a directory or holds no ``results.db``, or a
            stored record is invalid or of a newer version.
    """
    path = Path(run_dir) / "results.db"
    if not path.is_file():
        raise GreenbenchError(
            f"{run_dir}: no results.db here; give the --out directory of a `greenbench run`"
        )
    with ResultsStore(path) as store:
        records = store.records()
        samples = {r.job_id: store.samples(r.job_id) for r in records}
        meta = store.meta() or {}
    return RunResults(records, samples, dict(meta))
