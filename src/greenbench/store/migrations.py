"""Schema of the results store, as an append-only list of migrations.

``PRAGMA user_version`` holds the schema version: migration ``i`` (1-based) takes a store from
version ``i - 1`` to ``i``. Later issues extend the schema by *appending* a migration; never edit
one that has shipped, since stores in the field were built by it.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: ad-hoc measurements (`greenbench measure --out`) and sweep-level metadata.
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL                     -- JSON
    );
    CREATE TABLE measurements (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,               -- ISO 8601, UTC
        command TEXT,                           -- JSON list of argv, or NULL
        exit_status INTEGER,
        name TEXT NOT NULL,
        duration_s REAL NOT NULL,
        total_j REAL NOT NULL,
        emissions_g REAL,
        measurement TEXT NOT NULL,              -- JSON: Measurement.to_dict()
        carbon TEXT NOT NULL,                   -- JSON: CarbonContext.to_dict()
        environment TEXT NOT NULL               -- JSON: greenbench.environment.describe()
    );
    """,
    # 2: sweep job records and their per-sample logs.
    """
    CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order, kept across upserts
        job_id TEXT NOT NULL UNIQUE,
        status TEXT,
        record TEXT NOT NULL,                   -- JSON job record (docs/records.md)
        updated_at TEXT NOT NULL
    );
    CREATE INDEX jobs_status ON jobs (status);
    CREATE TABLE samples (
        job_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        sample_id TEXT,
        prompt TEXT,
        prediction TEXT,
        reference TEXT,                         -- JSON (references may be lists)
        scores TEXT NOT NULL,                   -- JSON object: metric -> value
        extra TEXT NOT NULL,                    -- JSON object: any other per-sample fields
        PRIMARY KEY (job_id, position)
    );
    """,
]

#: The schema version this code writes.
SCHEMA_VERSION = len(MIGRATIONS)
