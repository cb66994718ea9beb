"""Figures of a task, computed once from a set of records; every view reads them from here.

For each task: its primary metric and direction, the Pareto frontiers of primary quality
against each cost of :data:`COSTS` (and, given a number of queries, the lifetime costs of
:func:`lifetime_cost`), and the GreenQuotientIndex of its accuracy-type jobs in one shared
energy unit (``gqi_unit``, so a task's GQIs compare).

The figures depend on which records are in the set (a report shows every job of a store, a
sweep's ``results.json`` the jobs of its plan), so they are not stored in records;
:func:`with_task_fields` writes them into JSON output (``results.json``, exports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from greenbench.metrics.catalogue import counts_correct
from greenbench.metrics.efficiency import GQIResult, gqi, gqi_unit, pareto_front
from greenbench.records.energy_range import undecided_by_energy
from greenbench.records.migrate import load_record
from greenbench.records.schema import JobRecord
from greenbench.records.values import (
    as_float,
    finetune_cost,
    higher_is_better,
    inference_energy_j,
    primary_value,
)

#: Costs a frontier is drawn against: name -> the cost of a record (None: not on any frontier).
COSTS: dict[str, Callable[[JobRecord], float | None]] = {
    "energy_per_query_j": lambda r: r.energy_per_query_j,
    "emissions_per_query_g": lambda r: r.emissions_per_query_g,
    "emissions_g": lambda r: as_float(r.emissions_g.get("total")),
}

#: Fields :func:`with_task_fields` writes into a record's JSON: name -> meaning.
TASK_FIELDS = {
    "gqi": "GreenQuotientIndex of the inference electricity (accuracy-type metrics)",
    "gqi_unit": "the energy unit of the task's GQIs (J, Wh or kWh)",
    "gqi_note": "why gqi is null",
    "pareto_energy": "on the task's frontier of quality vs energy per query",
    "pareto_emissions": "on the task's frontier of quality vs emissions per query",
    "energy_undecided": "place against energy per query (frontier, equal-quality order) not "
    "decided by energy: it can change within the energy ranges of estimated jobs",
}


def lifetime_cost(record: JobRecord, queries: int, *, emissions: bool) -> float | None:
    """One-off fine-tuning plus ``queries`` × the per-query cost: J, or gCO2e with
    ``emissions``; None without a per-query figure."""
    per_query = record.emissions_per_query_g if emissions else record.energy_per_query_j
    if per_query is None:
        return None
    return finetune_cost(record, emissions=emissions) + queries * per_query


@dataclass(frozen=True)
class TaskFigures:
    """The figures of one task over a set of records."""

    task: str
    metric: str
    """The task's primary metric (``quality`` when no record says)."""
    higher_is_better: bool
    frontiers: Mapping[str, tuple[str, ...]]
    """Cost name (:data:`COSTS`, plus ``lifetime_energy_j`` / ``lifetime_emissions_g`` given
    queries) -> ids of the ok jobs on the frontier, by ascending cost."""
    gqi_unit: str | None = None
    """The energy unit shared by the task's GQIs; None when no job is rated."""
    gqi: Mapping[str, GQIResult] = field(default_factory=dict)
    """Job id -> GQI of the inference electricity (accuracy-type metrics only)."""
    energy_undecided: frozenset[str] = frozenset()
    """Ids of the jobs whose place against energy per query the estimate ranges leave open
    (:func:`greenbench.records.energy_range.undecided_by_energy`)."""

    def on_frontier(self, record: JobRecord, cost: str) -> bool | None:
        """Whether ``record`` is on the frontier against ``cost``; None when it has no point
        (not ok, no quality or no cost)."""
        if primary_value(record) is None or COSTS[cost](record) is None:
            return None
        return record.job_id in self.frontiers[cost]

    def fields(self, record: JobRecord) -> dict[str, Any]:
        """The :data:`TASK_FIELDS` of ``record`` (None where they do not apply)."""
        rated = self.gqi.get(record.job_id)
        return {
            "gqi": rated.value if rated else None,
            "gqi_unit": self.gqi_unit if rated else None,
            "gqi_note": rated.note if rated else None,
            "pareto_energy": self.on_frontier(record, "energy_per_query_j"),
            "pareto_emissions": self.on_frontier(record, "emissions_per_query_g"),
            "energy_undecided": record.job_id in self.energy_undecided if record.ok else None,
        }


def _frontier(
    ok: Sequence[JobRecord], cost: Callable[[JobRecord], float | None], higher: bool
) -> tuple[str, ...]:
    points = [(primary_value(r), cost(r)) for r in ok]
    return tuple(ok[i].job_id for i in pareto_front(points, higher_is_better=higher))


def _gqi(ok: Sequence[JobRecord]) -> tuple[str | None, dict[str, GQIResult]]:
    rated = [
        r
        for r in ok
        if counts_correct(r.primary_metric)
        and primary_value(r) is not None
        and inference_energy_j(r) is not None
    ]
    if not rated:
        return None, {}
    unit = gqi_unit(inference_energy_j(r) for r in rated)
    return unit, {
        r.job_id: gqi(min(1.0, max(0.0, primary_value(r))), inference_energy_j(r), energy_unit=unit)
        for r in rated
    }


def _one_task(task: str, records: Sequence[JobRecord], queries: int | None) -> TaskFigures:
    ok = [r for r in records if r.ok]
    first = ok[0] if ok else records[0]
    higher = higher_is_better(first)
    costs = dict(COSTS)
    if queries is not None:
        costs["lifetime_energy_j"] = lambda r: lifetime_cost(r, queries, emissions=False)
        costs["lifetime_emissions_g"] = lambda r: lifetime_cost(r, queries, emissions=True)
    unit, rated = _gqi(ok)
    return TaskFigures(
        task=task,
        metric=first.primary_metric or "quality",
        higher_is_better=higher,
        frontiers={name: _frontier(ok, cost, higher) for name, cost in costs.items()},
        gqi_unit=unit,
        gqi=rated,
        energy_undecided=frozenset(undecided_by_energy(ok, higher_is_better=higher)),
    )


def task_figures(
    records: Iterable[JobRecord], *, queries: int | None = None
) -> dict[str, TaskFigures]:
    """Task -> its :class:`TaskFigures` over ``records`` (any status), tasks in name order.

    Args:
        records: job records of any tasks.
        queries: also compute the frontiers against the lifetime cost of serving this many
            queries (:func:`lifetime_cost`), named ``lifetime_energy_j`` and
            ``lifetime_emissions_g``.
    """
    by_task: dict[str, list[JobRecord]] = {}
    for record in records:
        by_task.setdefault(str(record.task), []).append(record)
    return {task: _one_task(task, by_task[task], queries) for task in sorted(by_task)}


def with_task_fields(records: Iterable[JobRecord | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The records as JSON (:meth:`JobRecord.to_json`) with their :data:`TASK_FIELDS`, computed
    over ``records`` (the content of ``results.json`` and of the JSON export)."""
    typed = [load_record(r) for r in records]
    figures = task_figures(typed)
    return [{**r.to_json(), **figures[str(r.task)].fields(r)} for r in typed]
