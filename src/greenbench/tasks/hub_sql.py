"""SQL rows from the hub: Spider's rows and databases (schema text read from each ``.sqlite``
file) and gretel's synthetic rows restricted to what SQLite can run.

Spider's ``<split>.json`` is one JSON array of Spider's rows, read with ``json.load`` as the
publisher's own loader (premsql) reads it, not through ``datasets``: each row's parsed ``sql``
holds lists of mixed types (``[False, 2, [0, [0, 3, False], None], '"x"', None]``), which Arrow
cannot type (``datasets`` 5.2 fails "Couldn't cast array of type ... to null" unless
streamed). :func:`spider_rows` keeps only the fields the task reads.

gretel's ``sql`` mixes DDL/DML tasks and MySQL/PostgreSQL dialects; the read-only sandbox
refuses writes, so rows whose gold query creates or changes tables would score every model
wrong. :func:`sqlite_select_row` keeps a row only if its gold query is one read-only query
(``SELECT``/``UNION``/``WITH``…) that ``sqlglot`` transpiles (from MySQL, the dialect most rows
are written in) to SQLite, and the row's own context (``CREATE TABLE`` + ``INSERT``), also
transpiled, builds a private in-memory database on which the gold query runs.
"""

from __future__ import annotations

import json
import sqlite3
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.tasks.hub_repo import HubRepo
from greenbench.tasks.sources import missing_column

#: Dialect the gretel rows are read as (``sqlglot`` name); most rows are MySQL-flavoured.
GRETEL_DIALECT = "mysql"
#: Limit on building a row's context and running its gold query while filtering, seconds.
FILTER_TIMEOUT_S = 5.0
#: The fields of a Spider row the task reads; ``query_toks``, ``question_toks`` and the parsed
#: ``sql`` are dropped.
SPIDER_FIELDS = ("db_id", "question", "query")


def spider_rows(repo: HubRepo, split: str) -> list[dict[str, Any]]:
    """The rows of ``<split>.json`` in ``repo`` (one JSON array of Spider rows), in file order,
    each cut to :data:`SPIDER_FIELDS`; a row without one of them raises the missing-column
    error ``--check-hub`` reports."""
    filename = f"{split}.json"
    path = repo.file(filename)
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GreenbenchError(
            f"hub dataset {repo.repo_id}: {filename} is not JSON ({exc})"
        ) from None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise GreenbenchError(
            f"hub dataset {repo.repo_id}: {filename} is not one JSON array of row objects"
        )
    rows = []
    for row in data:
        for field in SPIDER_FIELDS:
            if field not in row:
                raise missing_column(repo.repo_id, field, field, row)
        rows.append({field: row[field] for field in SPIDER_FIELDS})
    return rows


@lru_cache(maxsize=64)
def database_schema(path: Path) -> str:
    """The ``CREATE`` statements of the SQLite database at ``path``, one per line, in the order
    the tables were created (what a Spider prompt shows the model)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()
    return "\n".join(" ".join(sql.split()) + ";" for (sql,) in rows)


def _to_sqlite(sql: str) -> list[str] | None:
    """Each statement of ``sql`` in SQLite's dialect; None when sqlglot cannot parse it."""
    import sqlglot

    try:
        parsed = sqlglot.parse(sql, read=GRETEL_DIALECT)
    except sqlglot.errors.SqlglotError:
        return None
    return [statement.sql(dialect="sqlite") for statement in parsed if statement is not None]


def _is_single_query(sql: str) -> bool:
    import sqlglot
    from sqlglot import exp

    try:
        parsed = [s for s in sqlglot.parse(sql, read=GRETEL_DIALECT) if s is not None]
    except sqlglot.errors.SqlglotError:
        return False
    return len(parsed) == 1 and isinstance(parsed[0], exp.Query)


def sqlite_select_row(gold: str, context: str) -> tuple[str, str] | None:
    """(gold query, context script) in SQLite's dialect, or None when the row does not qualify
    (not a single read-only query, untranslatable, or failing on its own context)."""
    if not _is_single_query(gold):
        return None
    query = _to_sqlite(gold)
    setup = _to_sqlite(context)
    if not query or setup is None:
        return None
    script = "".join(f"{statement};\n" for statement in setup)
    conn = sqlite3.connect(":memory:")
    deadline = time.perf_counter() + FILTER_TIMEOUT_S
    conn.set_progress_handler(lambda: int(time.perf_counter() > deadline), 10_000)
    try:
        conn.executescript(script)
        conn.execute(query[0]).fetchmany(1)
    except (sqlite3.Error, ValueError, OverflowError):
        return None
    finally:
        conn.close()
    return query[0], script
