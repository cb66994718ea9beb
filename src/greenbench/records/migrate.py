"""Migrations of stored records to :data:`~greenbench.records.schema.SCHEMA_VERSION`, and the
one entry point that turns stored JSON into a validated :class:`JobRecord`.

Record versions (``schema`` in the JSON; a record without it is version 1):

1. written by greenbench up to the typed record layer: the per-task figures (``gqi``,
   ``gqi_unit``, ``gqi_note``, ``pareto_energy``, ``pareto_emissions``) were stored in every
   record, computed over the sweep's plan;
2. per-task figures are no longer stored: they are computed from the set of records a view
   shows (:func:`greenbench.records.per_task.task_figures`) and written into ``results.json``
   and exports only. Every other field is unchanged.

Like the store's schema migrations, this list is append-only: a migration that has shipped is
never edited, since records in the field were written by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from greenbench.errors import GreenbenchError
from greenbench.records.schema import SCHEMA_VERSION, JobRecord

#: The per-task fields a version-1 record stored.
V1_TASK_FIELDS = ("gqi", "gqi_unit", "gqi_note", "pareto_energy", "pareto_emissions")


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Drop the stored per-task figures (they depended on which records were in the plan)."""
    return {k: v for k, v in data.items() if k not in V1_TASK_FIELDS}


#: ``MIGRATIONS[i]`` takes a record from version ``i + 1`` to ``i + 2``.
MIGRATIONS: list[Callable[[dict[str, Any]], dict[str, Any]]] = [_v1_to_v2]


def migrate(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of stored record JSON brought to :data:`SCHEMA_VERSION` (``schema`` set).

    Raises:
        GreenbenchError: the record is of a newer version than this greenbench knows.
    """
    version = data.get("schema") or 1
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise GreenbenchError(
            f"job {data.get('job_id')!r}: record schema {version!r} is newer than this "
            f"greenbench understands ({SCHEMA_VERSION}); upgrade greenbench"
        )
    out = dict(data)
    for step in MIGRATIONS[version - 1 :]:
        out = step(out)
    out["schema"] = SCHEMA_VERSION
    return out


def load_record(data: JobRecord | Mapping[str, Any]) -> JobRecord:
    """A validated :class:`JobRecord` from stored JSON of any known version (a record is
    returned as is).

    Raises:
        GreenbenchError: a newer schema, or a field of the wrong type (the message names the
            job and the field).
    """
    if isinstance(data, JobRecord):
        return data
    try:
        return JobRecord.model_validate(migrate(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise GreenbenchError(
            f"job {data.get('job_id')!r}: invalid record field {where}: {first['msg']}"
        ) from None


def load_records(items: Iterable[JobRecord | Mapping[str, Any]]) -> list[JobRecord]:
    """:func:`load_record` of each item, in order."""
    return [load_record(item) for item in items]
