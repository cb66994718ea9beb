"""The SQLite results store: ad-hoc measurements, sweep job records, per-sample logs, metadata.

Job records are kept as JSON in the ``jobs.record`` column (``docs/records.md``); they are
validated as :class:`~greenbench.records.JobRecord` on write and on read, and records of an
earlier record version are migrated as they are read (:func:`greenbench.records.load_record`).

Robustness: the file is in WAL mode with a 30 s busy timeout, and every write is one
``BEGIN IMMEDIATE`` transaction, so several processes may append at once and a process killed
mid-write (even by SIGKILL) leaves the previous committed state, never a torn record.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord, load_record
from greenbench.store.migrations import MIGRATIONS, SCHEMA_VERSION
from greenbench.store.readonly import check_version, is_greenbench, open_readonly, read_records

#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

_SAMPLE_FIELDS = ("id", "prompt", "prediction", "reference", "scores")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def check_path(path: str | Path) -> Path:
    """Validate ``path`` as a store to append to, without creating anything.

    Raises GreenbenchError when it is a directory, an existing file that is not a greenbench
    store (or one written by a newer greenbench), or its folder cannot be created.
    """
    p = Path(path)
    if p.is_dir():
        raise GreenbenchError(f"{p}: is a directory, expected a results file such as runs.db")
    if p.exists():
        try:
            conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise GreenbenchError(f"{p}: not a greenbench results store ({exc})") from None
        if tables and not is_greenbench(version, tables):  # an empty SQLite file may be used
            raise GreenbenchError(
                f"{p}: not a greenbench results store (an SQLite file with other tables)"
            )
        check_version(p, version)
    else:
        parent = p.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise GreenbenchError(f"{p}: {parent} is not a directory")
    return p


class ResultsStore:
    """A results file; creates it, or migrates an older one, on open.

    Use as a context manager (``with ResultsStore("runs.db") as store: ...``) or call
    :meth:`close`. One instance belongs to one thread.
    """

    def __init__(self, path: str | Path, *, target_version: int = SCHEMA_VERSION) -> None:
        self.path = check_path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # timeout= is SQLite's busy timeout, for every statement on this connection.
        self._conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True
        )
        try:
            self._open_shared(target_version)
        except (sqlite3.DatabaseError, GreenbenchError) as exc:
            self._conn.close()
            if isinstance(exc, GreenbenchError):
                raise
            raise GreenbenchError(f"{self.path}: cannot open results store ({exc})") from None

    @classmethod
    def open_readonly(cls, path: str | Path) -> ResultsStore:
        """Open an existing store for reading only (``store.readonly``): the file is never
        written; a file that is not a greenbench store is a one-line GreenbenchError."""
        store = cls.__new__(cls)
        store.path = Path(path)
        store._conn = open_readonly(store.path)
        return store

    # -- plumbing ---------------------------------------------------------------------------

    def _open_shared(self, target: int) -> None:
        """Switch to WAL and migrate, retrying while another process does the same.

        SQLite returns "database is locked" at once, without waiting in its busy handler, when
        two connections switch a new file to WAL together (seen: 14 of 480 concurrent opens);
        the race lasts milliseconds, so back off and retry.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.005
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._migrate(target)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _migrate(self, target: int) -> None:
        with self._transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            check_version(self.path, version)
            for index in range(version, target):
                for statement in MIGRATIONS[index].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={index + 1}")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    @property
    def schema_version(self) -> int:
        """Schema version of the open file (``PRAGMA user_version``)."""
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def integrity_ok(self) -> bool:
        """True when SQLite's ``PRAGMA integrity_check`` finds nothing wrong."""
        return self._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        """Close the file (committed data is already durable)."""
        self._conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ad-hoc measurements ----------------------------------------------------------------

    def add_measurement(
        self,
        command: list[str] | None,
        measurement: dict[str, Any],
        carbon: dict[str, Any],
        environment: dict[str, Any],
        exit_status: int | None,
        emissions_g: float | None = None,
    ) -> int:
        """Append one measured run; return its id.

        Args:
            command: argv of the measured command, or None for an in-process window.
            measurement: ``Measurement.to_dict()``.
            carbon: ``CarbonContext.to_dict()``.
            environment: ``greenbench.environment.describe()``.
            exit_status: the command's exit status, or None.
            emissions_g: gCO2e of the gross total (default: computed from ``carbon``).
        """
        total = float(measurement["energy_j"]["total"])
        if emissions_g is None and carbon.get("intensity_g_per_kwh") is not None:
            emissions_g = total / 3.6e6 * carbon["intensity_g_per_kwh"] * carbon.get("pue", 1.0)
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO measurements (created_at, command, exit_status, name, duration_s,"
                " total_j, emissions_g, measurement, carbon, environment)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _now(),
                    None if command is None else _dump(list(command)),
                    exit_status,
                    measurement.get("name", ""),
                    float(measurement["duration_s"]),
                    total,
                    emissions_g,
                    _dump(measurement),
                    _dump(carbon),
                    _dump(environment),
                ),
            )
            return int(cur.lastrowid)

    def measurements(self) -> list[dict[str, Any]]:
        """All measured runs in insertion order: ``id, created_at, command, exit_status,
        emissions_g, measurement, carbon, environment``."""
        rows = self._conn.execute(
            "SELECT id, created_at, command, exit_status, emissions_g, measurement, carbon,"
            " environment FROM measurements ORDER BY id"
        ).fetchall()
        return [
            {
                "id": r[0],
                "created_at": r[1],
                "command": None if r[2] is None else json.loads(r[2]),
                "exit_status": r[3],
                "emissions_g": r[4],
                "measurement": json.loads(r[5]),
                "carbon": json.loads(r[6]),
                "environment": json.loads(r[7]),
            }
            for r in rows
        ]

    # -- sweep jobs -------------------------------------------------------------------------

    def put_job(
        self, record: JobRecord | Mapping[str, Any], samples: list[dict[str, Any]] | None = None
    ) -> None:
        """Insert or replace the record with ``record.job_id``, atomically.

        ``record`` is a :class:`JobRecord` or its JSON (validated, and migrated when of an
        earlier version). The job keeps its original position in :meth:`jobs`. When ``samples``
        is given it replaces the job's previous samples in the same transaction; None leaves
        them as they are. Each sample is a dict with ``id, prompt, prediction, reference,
        scores`` (all optional); other keys are kept too.

        Raises:
            GreenbenchError: the record has no job id, or a field of the wrong type.
        """
        if not isinstance(record, JobRecord) and not record.get("job_id"):
            raise GreenbenchError("job record has no job_id")
        typed = load_record(record)
        job_id = typed.job_id
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (job_id, status, record, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(job_id) DO UPDATE SET status = excluded.status,"
                " record = excluded.record, updated_at = excluded.updated_at",
                (job_id, typed.status, _dump(typed.to_json()), _now()),
            )
            if samples is not None:
                conn.execute("DELETE FROM samples WHERE job_id = ?", (job_id,))
                conn.executemany(
                    "INSERT INTO samples (job_id, position, sample_id, prompt, prediction,"
                    " reference, scores, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            job_id,
                            i,
                            None if s.get("id") is None else str(s["id"]),
                            s.get("prompt"),
                            s.get("prediction"),
                            _dump(s.get("reference")),
                            _dump(s.get("scores") or {}),
                            _dump({k: v for k, v in s.items() if k not in _SAMPLE_FIELDS}),
                        )
                        for i, s in enumerate(samples)
                    ],
                )

    def job(self, job_id: str) -> dict[str, Any] | None:
        """The record of ``job_id`` as JSON (validated, current version), or None."""
        row = self._conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else load_record(json.loads(row[0])).to_json()

    def records(self, status: str | None = None) -> list[JobRecord]:
        """Job records in insertion order, optionally only those with ``status``; validated
        and migrated to the current record version.

        Raises:
            GreenbenchError: a stored record of a newer version, or with a field of the wrong
                type (the message names the job).
        """
        if status is None:
            rows = self._conn.execute("SELECT record FROM jobs ORDER BY seq").fetchall()
        else:
            rows = self._conn.execute(
                "SELECT record FROM jobs WHERE status = ? ORDER BY seq", (status,)
            ).fetchall()
        return [load_record(json.loads(r[0])) for r in rows]

    def readable_records(self) -> tuple[list[JobRecord], list[str]]:
        """Every record that loads, and one line per job that does not (``read_records``)."""
        try:
            return read_records(self._conn)
        except GreenbenchError as exc:
            raise GreenbenchError(f"{self.path}: {exc}") from None

    def jobs(self, status: str | None = None) -> list[dict[str, Any]]:
        """:meth:`records` as JSON (:meth:`JobRecord.to_json`)."""
        return [r.to_json() for r in self.records(status)]

    def done_job_ids(self) -> set[str]:
        """Ids of the jobs whose status is ``ok`` (what a resumed sweep skips)."""
        rows = self._conn.execute("SELECT job_id FROM jobs WHERE status = 'ok'").fetchall()
        return {r[0] for r in rows}

    def done_task_hashes(self) -> dict[str, str | None]:
        """Job id -> its stored record's ``task_hash`` (None when the record has none), for the
        jobs whose status is ``ok``: what a resumed sweep may reuse (``sweep.resume``)."""
        rows = self._conn.execute(
            "SELECT job_id, json_extract(record, '$.task_hash') FROM jobs WHERE status = 'ok'"
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def samples(self, job_id: str) -> list[dict[str, Any]]:
        """Per-sample logs of ``job_id`` in the order given: ``id, prompt, prediction, reference,
        scores`` plus any other fields stored with them."""
        rows = self._conn.execute(
            "SELECT sample_id, prompt, prediction, reference, scores, extra FROM samples"
            " WHERE job_id = ? ORDER BY position",
            (job_id,),
        ).fetchall()
        return [
            {
                "id": r[0],
                "prompt": r[1],
                "prediction": r[2],
                "reference": json.loads(r[3]),
                "scores": json.loads(r[4]),
                **json.loads(r[5]),
            }
            for r in rows
        ]

    # -- metadata ---------------------------------------------------------------------------

    def set_meta(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``, replacing any previous value."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, _dump(value)),
            )

    def meta(self) -> dict[str, Any]:
        """All metadata as ``{key: value}``."""
        return {k: json.loads(v) for k, v in self._conn.execute("SELECT key, value FROM meta")}


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): one atomic write."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type else "COMMIT")
