"""The SQLite results store (WAL, schema version and migrations): see :mod:`.results`."""

from greenbench.store.migrations import SCHEMA_VERSION
from greenbench.store.results import ResultsStore, check_path

__all__ = ["SCHEMA_VERSION", "ResultsStore", "check_path"]
