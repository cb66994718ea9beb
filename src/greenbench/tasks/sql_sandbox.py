"""Running untrusted SQL (model output) contained, in bounded time and memory.

Each :class:`SqlSandbox` copies the database to a fresh temporary file and runs queries on it in
a separate process (:mod:`greenbench.tasks.sql_worker`) that opens it read-only (``file:…?mode=ro``
URI) with ``PRAGMA query_only`` and an authorizer refusing ATTACH, DETACH and every write.
Python's sqlite3 runs one statement per ``execute``, so ``SELECT 1; DROP TABLE x`` is refused
as a whole.

Limits (issue 13), each a different way one query can run away:

* **time**: the worker's progress handler stops loops at the deadline (every
  ``PROGRESS_STEP`` VM instructions). SQLite checks for interrupts (``Connection.interrupt()``
  and the progress handler alike) only at jumps in its bytecode, so a single expression such as
  ``length(randomblob(999000)) + …`` × 500, or a quadratic ``instr``/``LIKE`` on megabyte
  strings, runs to its end whatever is called; hence the watchdog here kills the worker process
  at ``timeout_s`` + :data:`KILL_GRACE_S` and the next query starts a fresh one.
* **values**: no string or blob longer than ``MAX_VALUE_BYTES`` (1 MB, ``SQLITE_LIMIT_LENGTH``;
  ``zeroblob(999999999)`` fails at once instead of allocating 1 GB).
* **memory**: SQLite's heap is capped at ``HEAP_LIMIT_BYTES`` (256 MiB, ``PRAGMA
  hard_heap_limit``; temporary tables and sorts kept in memory so they count too), fetched rows
  at ``max_result_bytes`` (64 MiB of Python objects by ``sys.getsizeof``) and the worker's whole
  address space at 1 GiB (``RLIMIT_AS``). The scorer holds at most the rows of one sample's gold
  and predicted queries (2 × 64 MiB) and releases them before the next sample.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import select
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from greenbench.metrics.quality.execution import QueryOutcome, results_match
from greenbench.tasks import sql_worker

#: Python memory one query's fetched rows may take, in bytes (``sys.getsizeof`` estimate).
MAX_RESULT_BYTES = 64 << 20
#: Seconds past ``timeout_s`` before a worker that has not answered is killed.
KILL_GRACE_S = 0.5


class _WorkerGone(Exception):
    """The worker did not answer in time, or died."""


class SqlSandbox:
    """A read-only, time- and memory-limited connection to a private copy of a database.

    Use as a context manager; the copy is deleted and the worker ended on exit. ``source`` is a
    database file, or ``script`` a schema-and-data SQL script (hub rows that carry their own
    tables). ``timeout_s`` bounds each run of a query (wall clock, seconds).
    """

    def __init__(
        self,
        source: Path | None = None,
        *,
        script: str | None = None,
        timeout_s: float = 5.0,
        max_rows: int = 10_000,
        max_result_bytes: int = MAX_RESULT_BYTES,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.max_result_bytes = max_result_bytes
        self._dir = Path(tempfile.mkdtemp(prefix="greenbench-sql-"))
        self._path = self._dir / "db.sqlite"
        if source is not None:
            shutil.copyfile(source, self._path)
        else:
            with sqlite3.connect(self._path) as setup:
                setup.executescript(script or "")
            setup.close()
        self._worker: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        if self._worker is None:
            with open(self._dir / "worker.err", "wb") as err:
                self._worker = subprocess.Popen(
                    [sys.executable, "-I", sql_worker.__file__, str(self._path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    cwd=self._dir,
                )
        return self._worker

    def _death(self) -> str:
        """Why the worker ended: its exit status and the last line it wrote to stderr."""
        assert self._worker is not None
        status = self._worker.wait()
        lines = (self._dir / "worker.err").read_text(errors="replace").strip().splitlines()
        last = f": {lines[-1][:200]}" if lines else ""
        return f"query process died (exit status {status}{last})"

    def _stop(self) -> None:
        if self._worker is not None:
            with contextlib.suppress(OSError):
                self._worker.kill()
            self._worker.wait()
            for stream in (self._worker.stdin, self._worker.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
            self._worker = None

    def _read(self, fd: int, size: int, deadline: float) -> bytearray:
        data = bytearray()
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _WorkerGone("timed out")
            chunk = os.read(fd, size - len(data))
            if not chunk:
                raise _WorkerGone(self._death())
            data += chunk  # in place: a 64 MiB reply arrives in pipe-sized chunks
        return data

    def _run_once(self, sql: str) -> tuple[list[tuple] | None, float, str | None]:
        worker = self._start()
        start = time.monotonic()
        request = marshal.dumps((sql, self.timeout_s, self.max_rows, self.max_result_bytes))
        try:
            worker.stdin.write(struct.pack(">I", len(request)) + request)
            worker.stdin.flush()
            deadline = start + self.timeout_s + KILL_GRACE_S
            fd = worker.stdout.fileno()
            (size,) = struct.unpack(">I", self._read(fd, 4, deadline))
            rows, seconds, error = marshal.loads(self._read(fd, size, deadline))
        except (_WorkerGone, OSError) as exc:
            reason = str(exc) if isinstance(exc, _WorkerGone) else self._death()
            self._stop()
            return None, time.monotonic() - start, reason
        return rows, seconds, error

    def run(self, sql: str, repeats: int = 1) -> QueryOutcome:
        """Run one query ``repeats`` times; rows of the first run, best wall time in seconds
        (measured in the worker around execute and fetch).

        Never raises for bad SQL: errors, refusals, timeouts and passed caps come back as
        ``error``."""
        best, rows = float("inf"), None
        for _ in range(max(1, repeats)):
            fetched, seconds, error = self._run_once(sql)
            if fetched is None:
                return QueryOutcome(None, seconds, error)
            best = min(best, seconds)
            rows = rows if rows is not None else fetched
            del fetched
        return QueryOutcome(rows, best)

    def close(self) -> None:
        """End the worker and delete the private copy."""
        self._stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> SqlSandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def settle(
    pred: QueryOutcome, gold: QueryOutcome, ordered: bool
) -> tuple[QueryOutcome, QueryOutcome]:
    """Row-free copies of one sample's outcomes that compare exactly as the originals do.

    Scoring keeps these instead of the rows, so each sample's results are released before the
    next runs: matching outcomes both get ``[]``; otherwise the prediction gets ``None`` (its own
    error, or "rows differ from the gold query's"). Wall times and errors are kept for VES."""
    if results_match(pred, gold, ordered):
        return QueryOutcome([], pred.seconds), QueryOutcome([], gold.seconds)
    error = pred.error or "rows differ from the gold query's"
    kept_gold = QueryOutcome(None if gold.rows is None else [], gold.seconds, gold.error)
    return QueryOutcome(None, pred.seconds, error), kept_gold
