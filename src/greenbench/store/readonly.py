"""Opening a results store for reading only (``report``, ``recommend``, exports), per issue 13.

A reader never writes to the file it was given: the connection is a ``mode=ro`` URI, nothing is
switched to WAL and an older schema is migrated in a private in-memory copy. A file that is not
a greenbench store (not SQLite, or SQLite without greenbench's tables) is refused with one line.

A store left by a writer that crashed is read as SQLite recovers it: the committed transactions
in its ``-wal`` file are read (SQLite may create the ``-wal``/``-shm`` side files to do so, never
touching the database file). If the read-only open still fails while such side files exist, the
database and its ``-wal`` are copied to a temporary directory and recovered there, so the
user's files stay as they were.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import quote

from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord, load_record
from greenbench.store.migrations import MIGRATIONS, SCHEMA_VERSION

#: Tables every greenbench store has (created by the first migration).
SIGNATURE_TABLES = frozenset({"meta", "measurements"})
#: Seconds to wait for a writer's lock.
BUSY_TIMEOUT_S = 30.0


def _signature(conn: sqlite3.Connection) -> tuple[int, set[str]]:
    """``(user_version, table names)`` of an open database."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return version, tables


def is_greenbench(version: int, tables: set[str]) -> bool:
    """Whether a database with this signature is a greenbench results store."""
    return version >= 1 and tables >= SIGNATURE_TABLES


def check_version(path: Path, version: int) -> None:
    """Refuse a store written by a newer greenbench."""
    if version > SCHEMA_VERSION:
        raise GreenbenchError(
            f"{path}: results store has schema version {version}, newer than this greenbench "
            f"understands ({SCHEMA_VERSION}); upgrade greenbench"
        )


def read_records(conn: sqlite3.Connection) -> tuple[list[JobRecord], list[str]]:
    """The job records that load, in insertion order, and one line per job that does not
    (damaged page, invalid JSON, a field of the wrong type), naming the job.

    Raises:
        GreenbenchError: the jobs table cannot even be listed.
    """
    problems: list[str] = []
    try:
        rows = conn.execute("SELECT job_id, record FROM jobs ORDER BY seq").fetchall()
    except sqlite3.DatabaseError:  # a damaged page: read what can be read, row by row
        try:
            ids = conn.execute("SELECT seq, job_id FROM jobs ORDER BY seq").fetchall()
        except sqlite3.DatabaseError as exc:
            raise GreenbenchError(f"the jobs table is damaged ({exc})") from None
        rows = []
        for seq, job_id in ids:
            try:
                row = conn.execute("SELECT record FROM jobs WHERE seq = ?", (seq,)).fetchone()
                rows.append((job_id, row[0]))
            except sqlite3.DatabaseError as exc:
                problems.append(f"job {job_id}: record unreadable ({exc})")
    records: list[JobRecord] = []
    for job_id, text in rows:
        try:
            records.append(load_record(json.loads(text)))
        except json.JSONDecodeError as exc:
            problems.append(f"job {job_id}: record is not valid JSON ({exc.msg}, char {exc.pos})")
        except GreenbenchError as exc:
            problems.append(f"job {job_id}: {exc}")
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(f"job {job_id}: invalid record ({type(exc).__name__}: {exc})")
    return records, problems


def _connect_ro(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def _recovered_copy(path: Path) -> sqlite3.Connection:
    """The store recovered in memory from a private copy of the file and its ``-wal``."""
    with tempfile.TemporaryDirectory(prefix="greenbench-recover-") as tmp:
        copy = Path(tmp) / "results.db"
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        disk = sqlite3.connect(copy, isolation_level=None)  # a normal open recovers the WAL
        memory = sqlite3.connect(":memory:", isolation_level=None)
        try:
            disk.backup(memory)
        finally:
            disk.close()
    return memory


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to the greenbench store at ``path``, migrated to the current
    schema (in memory when the file is older).

    Raises:
        GreenbenchError: no such file, not a greenbench store, a store of a newer schema, or a
            file that cannot be read (one line naming it; the file is left unchanged).
    """
    p = Path(path)
    if not p.is_file():
        raise GreenbenchError(f"{p}: no such results store")
    sidecars = any(p.with_name(p.name + s).exists() for s in ("-wal", "-shm"))
    try:
        conn = _connect_ro(p)
        try:
            version, tables = _signature(conn)
        except sqlite3.DatabaseError:
            conn.close()
            if not sidecars:
                raise
            # e.g. a -shm that cannot be opened: recover a private copy instead
            conn = _recovered_copy(p)
            version, tables = _signature(conn)
    except sqlite3.DatabaseError as exc:
        raise GreenbenchError(
            f"{p}: not a greenbench results store ({exc}); it was not modified"
        ) from None
    if not is_greenbench(version, tables):
        conn.close()
        raise GreenbenchError(
            f"{p}: not a greenbench results store (an SQLite file without greenbench's tables); "
            "it was not modified"
        )
    try:
        check_version(p, version)
    except GreenbenchError:
        conn.close()
        raise
    if version < SCHEMA_VERSION:
        memory = sqlite3.connect(":memory:", isolation_level=None)
        conn.backup(memory)
        conn.close()
        conn = memory
        for index in range(version, SCHEMA_VERSION):
            conn.executescript(MIGRATIONS[index])
            conn.execute(f"PRAGMA user_version={index + 1}")
    return conn
