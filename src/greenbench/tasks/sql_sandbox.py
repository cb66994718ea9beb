"""Running untrusted SQL (model output) contained.

Each :class:`SqlSandbox` copies the database to a fresh temporary file and opens it read-only
(``file:…?mode=ro`` URI) with ``PRAGMA query_only``; an authorizer refuses ATTACH, DETACH and
every write; a progress handler aborts a query that runs past its time limit (an endless
recursive CTE); at most ``max_rows`` rows are fetched. Python's sqlite3 runs one statement
per ``execute``, so ``SELECT 1; DROP TABLE x`` is refused as a whole.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from greenbench.metrics.quality.execution import QueryOutcome

#: Authorizer action codes that only read (sqlite3 constants); everything else is denied.
_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}
#: Progress handler granularity: SQLite virtual-machine instructions between time checks.
_CHECK_EVERY = 10_000


def _authorize(action: int, *_: object) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


class SqlSandbox:
    """A read-only, time-limited connection to a private copy of a database.

    Use as a context manager; the copy is deleted on exit. ``source`` is a database file, or
    ``script`` a schema-and-data SQL script (hub rows that carry their own tables).
    """

    def __init__(
        self,
        source: Path | None = None,
        *,
        script: str | None = None,
        timeout_s: float = 5.0,
        max_rows: int = 10_000,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self._dir = Path(tempfile.mkdtemp(prefix="greenbench-sql-"))
        path = self._dir / "db.sqlite"
        if source is not None:
            shutil.copyfile(source, path)
        else:
            with sqlite3.connect(path) as setup:
                setup.executescript(script or "")
            setup.close()
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.execute("PRAGMA query_only = ON")
        self.conn.set_authorizer(_authorize)
        self._deadline = 0.0
        self.conn.set_progress_handler(self._over_time, _CHECK_EVERY)

    def _over_time(self) -> int:
        return int(time.perf_counter() > self._deadline)

    def run(self, sql: str, repeats: int = 1) -> QueryOutcome:
        """Run one query ``repeats`` times; rows of the first run, best wall time in seconds.

        Never raises for bad SQL: errors, refusals and timeouts come back as ``error``."""
        best, rows = float("inf"), None
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            self._deadline = start + self.timeout_s
            try:
                cursor = self.conn.execute(sql)
                fetched = cursor.fetchmany(self.max_rows + 1)
            except sqlite3.OperationalError as exc:
                reason = "timed out" if "interrupted" in str(exc) else str(exc)
                return QueryOutcome(None, time.perf_counter() - start, reason)
            except (sqlite3.Error, ValueError, OverflowError) as exc:
                return QueryOutcome(
                    None, time.perf_counter() - start, str(exc) or type(exc).__name__
                )
            best = min(best, time.perf_counter() - start)
            if len(fetched) > self.max_rows:
                return QueryOutcome(None, best, f"more than {self.max_rows} rows")
            rows = rows if rows is not None else [tuple(r) for r in fetched]
        return QueryOutcome(rows, best)

    def close(self) -> None:
        """Close the connection and delete the private copy."""
        self.conn.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> SqlSandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
