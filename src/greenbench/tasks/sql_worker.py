"""The process that runs untrusted SQL for :class:`~greenbench.tasks.sql_sandbox.SqlSandbox`.

Run as ``python -I sql_worker.py DB_PATH``; standard library only, so it starts in tens of
milliseconds and imports nothing of the caller's. It opens ``DB_PATH`` read-only, then answers
requests on stdin with replies on stdout, each a 4-byte big-endian length and a ``marshal``
payload: request ``(sql, timeout_s, max_rows, max_result_bytes)``, reply ``(rows | None,
seconds, error | None)``.

Inside, the query meets every limit SQLite offers (read-only URI, ``query_only``, an authorizer
that allows only reading, ``SQLITE_LIMIT_LENGTH``, ``hard_heap_limit``, in-memory temporary
storage, a progress handler that stops loops at the deadline) and the process's address space is
capped (``RLIMIT_AS``). What SQLite cannot interrupt (a single expression, which SQLite never
checks for interrupts inside) the caller ends by killing this process.
"""

from __future__ import annotations

import marshal
import resource
import sqlite3
import struct
import sys
import time

#: Progress handler granularity: SQLite virtual-machine instructions between deadline checks.
PROGRESS_STEP = 100
#: Longest string or blob a query may build, in bytes (``SQLITE_LIMIT_LENGTH``).
MAX_VALUE_BYTES = 1_000_000
#: SQLite's heap in this process, in bytes (``PRAGMA hard_heap_limit``).
HEAP_LIMIT_BYTES = 256 << 20
#: This process's address space, in bytes (``RLIMIT_AS``): heap + results + interpreter.
ADDRESS_SPACE_BYTES = 1 << 30
#: Rows fetched per batch while the result caps are checked.
_BATCH = 256
#: Longest error message returned (SQLite quotes undecodable text whole in its messages).
_MAX_ERROR_CHARS = 200
#: Authorizer action codes that only read; everything else is denied.
_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


def _authorize(action: int, *_: object) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


def open_readonly(path: str) -> tuple[sqlite3.Connection, list[float]]:
    """A connection to ``path`` with every limit set; the list holds the current deadline."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}")
    conn.execute("PRAGMA temp_store = MEMORY")  # sorts count against the heap limit
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorize)
    deadline = [0.0]
    conn.set_progress_handler(lambda: int(time.perf_counter() > deadline[0]), PROGRESS_STEP)
    return conn, deadline


def _row_bytes(row: tuple) -> int:
    return sys.getsizeof(row) + sum(sys.getsizeof(v) for v in row)


def _fetch(conn: sqlite3.Connection, sql: str, max_rows: int, max_bytes: int) -> list[tuple]:
    cursor = conn.execute(sql)
    rows: list[tuple] = []
    size = 0
    try:
        while batch := cursor.fetchmany(_BATCH):
            rows.extend(batch)
            size += sum(_row_bytes(r) for r in batch)
            if len(rows) > max_rows:
                raise ValueError(f"more than {max_rows} rows")
            if size > max_bytes:
                raise ValueError(f"result larger than {max_bytes >> 20} MiB")
    finally:
        cursor.close()
    return rows


def run_query(
    conn: sqlite3.Connection,
    deadline: list[float],
    sql: str,
    timeout_s: float,
    max_rows: int,
    max_bytes: int,
) -> tuple[list[tuple] | None, float, str | None]:
    """``(rows, seconds, None)`` or ``(None, seconds, reason)``; never raises for bad SQL."""
    start = time.perf_counter()
    deadline[0] = start + timeout_s
    try:
        rows = _fetch(conn, sql, max_rows, max_bytes)
        return rows, time.perf_counter() - start, None
    except sqlite3.OperationalError as exc:
        reason = "timed out" if "interrupted" in str(exc) else str(exc)
    except MemoryError:
        reason = f"out of memory (SQLite heap limit {HEAP_LIMIT_BYTES >> 20} MiB)"
    except (sqlite3.Error, ValueError, OverflowError) as exc:
        reason = str(exc) or type(exc).__name__
    return None, time.perf_counter() - start, reason[:_MAX_ERROR_CHARS]


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def main(path: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    conn, deadline = open_readonly(path)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            (size,) = struct.unpack(">I", _read(stdin, 4))
            sql, timeout_s, max_rows, max_bytes = marshal.loads(_read(stdin, size))
        except EOFError:
            return
        reply = marshal.dumps(run_query(conn, deadline, sql, timeout_s, max_rows, max_bytes))
        stdout.write(struct.pack(">I", len(reply)) + reply)
        stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
