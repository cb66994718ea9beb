"""Migrations of stored records to :data:`~greenbench.records.schema.SCHEMA_VERSION`, and the
one entry point that turns stored JSON into a validated :class:`JobRecord`.

Record versions (``schema`` in the JSON; a record without it is version 1):

1. written by greenbench up to the typed record layer: the per-task figures (``gqi``,
   ``gqi_unit``, ``gqi_note``, ``pareto_energy``, ``pareto_emissions``) were stored in every
   record, computed over the sweep's plan;
2. per-task figures are no longer stored: they are computed from the set of records a view
   shows (:func:`greenbench.records.per_task.task_figures`) and written into ``results.json``
   and exports only. Every other field is unchanged.
3. ``emissions_g.total`` is what the whole job emitted: each phase's emissions (one pass, as
   before) × that phase's ``repeats``; version 2 added one inference pass whatever ``repeats``
   was. ``energy_gaps`` is new (None for migrated records: not known).

Like the store's schema migrations, this list is append-only: a migration that has shipped is
never edited, since records in the field were written by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from greenbench.errors import GreenbenchError
from greenbench.records.schema import SCHEMA_VERSION, JobRecord
from greenbench.records.values import job_emissions_g

#: The per-task fields a version-1 record stored.
V1_TASK_FIELDS = ("gqi", "gqi_unit", "gqi_note", "pareto_energy", "pareto_emissions")


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Drop the stored per-task figures (they depended on which records were in the plan)."""
    return {k: v for k, v in data.items() if k not in V1_TASK_FIELDS}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Scale ``emissions_g.total`` to every pass of every phase (:func:`job_emissions_g`)."""
    emissions = data.get("emissions_g")
    phases = data.get("phases")
    if not isinstance(emissions, dict) or not isinstance(phases, dict):
        return dict(data)
    per_phase = {k: v for k, v in emissions.items() if k != "total"}
    repeats = {k: (p or {}).get("repeats") for k, p in phases.items() if isinstance(p, dict)}
    total = job_emissions_g(per_phase, repeats)
    if total is None:
        return dict(data)
    return {**data, "emissions_g": {**emissions, "total": total}}


#: ``MIGRATIONS[i]`` takes a record from version ``i + 1`` to ``i + 2``.
MIGRATIONS: list[Callable[[dict[str, Any]], dict[str, Any]]] = [_v1_to_v2, _v2_to_v3]


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
