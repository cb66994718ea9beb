"""Figures of a task, computed once from a set of records; every view reads them from here.

For each task: its primary metric and direction, the Pareto frontiers of primary quality
against each cost of :data:`COSTS` (and, given a number of queries, the lifetime costs of
:func:`lifetime_cost`), and the GreenQuotientIndex of its accuracy-type jobs, all in one
energy unit for the whole set (the paper's kWh unless the caller chooses Wh or J; never a unit
per task, which would move the log10 singularity next to each task's smallest figure); and the
checks on what each job answered (:mod:`greenbench.records.answers`): a warning on degenerate
answers, the majority-class and chance baselines of a label task, and each variant's agreement
with its model's reference.

The figures depend on which records are in the set (a report shows every job of a store, a
sweep's ``results.json`` the jobs of its plan), so they are not stored in records;
:func:`with_task_fields` writes them into JSON output (``results.json``, exports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from greenbench.metrics.catalogue import counts_correct
from greenbench.metrics.efficiency import DEFAULT_UNIT, GQIResult, gqi, pareto_front
from greenbench.records.answers import (
    Agreement,
    Baselines,
    agreements,
    answer_warning,
    baselines,
)
from greenbench.records.energy_range import undecided_by_energy
from greenbench.records.migrate import load_record
from greenbench.records.ratings import StarRating, star_ratings
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
    "gqi_unit": "the energy unit of the report's GQIs (kWh unless chosen: Wh or J)",
    "gqi_note": "why gqi is null, or that its energy is within 10x of the log10 singularity",
    "pareto_energy": "on the task's frontier of quality vs energy per query",
    "pareto_emissions": "on the task's frontier of quality vs emissions per query",
    # issue 16: AI Energy Score-style rating (greenbench.records.ratings)
    "energy_stars": "1-5 stars by energy per query within the task and hardware class",
    "energy_stars_estimated": "the rating rests on estimated energy",
    "energy_stars_note": "why energy_stars is null",
    "hardware_class": "the GPU or CPU model the rating compares within",
    "answer_warning": "why the job's answers are degenerate (all the same, or >= 95% one label)",
    "agreement_with_reference": "fraction of samples answered as the model's reference variant",
    "agreement_reference": "job id of that reference variant",
    "agreement_note": "why agreement_with_reference is null",
    "majority_baseline": "label tasks: accuracy of always giving the most frequent label",
    "chance_baseline": "label tasks: expected accuracy of a uniformly random label",
    "beats_majority": "label tasks: primary quality above the majority baseline",
    "energy_undecided": "place against energy per query (frontier, equal-quality order) not "
    "decided by energy: it can change within the energy ranges of estimated jobs",
}


def lifetime_cost(record: JobRecord, queries: int, *, emissions: bool) -> float | None:
    """One-off fine-tuning plus ``queries`` × the per-query cost, both on the record's
    ``energy_basis``: J, or gCO2e with ``emissions``; None without a per-query figure or when
    a fine-tuned variant's fine-tuning was not measured."""
    per_query = record.emissions_per_query_g if emissions else record.energy_per_query_j
    once = finetune_cost(record, emissions=emissions)
    if per_query is None or once is None:
        return None
    return once + queries * per_query


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
    """The energy unit of the GQIs (one for every task of the set); None when no job is rated."""
    gqi: Mapping[str, GQIResult] = field(default_factory=dict)
    """Job id -> GQI of the inference electricity (accuracy-type metrics only)."""
    stars: Mapping[str, StarRating] = field(default_factory=dict)
    """Job id -> energy rating within the task and hardware class (ok jobs with energy)."""
    warnings: Mapping[str, str] = field(default_factory=dict)
    """Job id -> why its answers are degenerate (``answers.answer_warning``);
    jobs with sound answers are absent."""
    agreement: Mapping[str, Agreement] = field(default_factory=dict)
    """Job id -> agreement with its model's reference variant (ok jobs)."""
    baselines: Baselines | None = None
    """Label tasks: the baselines over the samples of the ok job that answered the most."""

    def beats_majority(self, record: JobRecord) -> bool | None:
        """Whether ``record``'s primary quality is above the majority-class baseline of its own
        samples; None when it has no quality or its task is not a label task."""
        own = baselines(record.answers)
        value = primary_value(record)
        if own is None or value is None or not counts_correct(record.primary_metric):
            return None
        return value > own.majority

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
        """The :data:`TASK_FIELDS` of ``record`` (None where they do not apply); those read from
        its answers only when it kept them (:attr:`JobRecord.answers`)."""
        rated = self.gqi.get(record.job_id)
        stars = self.stars.get(record.job_id)
        figures = {
            "gqi": rated.value if rated else None,
            "gqi_unit": self.gqi_unit if rated else None,
            "gqi_note": _gqi_note(rated),
            "pareto_energy": self.on_frontier(record, "energy_per_query_j"),
            "pareto_emissions": self.on_frontier(record, "emissions_per_query_g"),
            "energy_undecided": record.job_id in self.energy_undecided if record.ok else None,
            "energy_stars": stars.stars if stars else None,
            "energy_stars_estimated": stars.estimated if stars else None,
            "energy_stars_note": stars.note if stars else None,
            "hardware_class": stars.hardware_class if stars else None,
        }
        if record.answers is None:  # a failed job, or one recorded before answers were kept
            return figures
        agreed = self.agreement.get(record.job_id)
        own = baselines(record.answers)
        return {
            **figures,
            "answer_warning": self.warnings.get(record.job_id),
            "agreement_with_reference": agreed.value if agreed else None,
            "agreement_reference": agreed.reference_job_id if agreed else None,
            "agreement_note": agreed.note if agreed else None,
            "majority_baseline": own.majority if own else None,
            "chance_baseline": own.chance if own else None,
            "beats_majority": self.beats_majority(record),
        }


def _frontier(
    ok: Sequence[JobRecord], cost: Callable[[JobRecord], float | None], higher: bool
) -> tuple[str, ...]:
    points = [(primary_value(r), cost(r)) for r in ok]
    return tuple(ok[i].job_id for i in pareto_front(points, higher_is_better=higher))


def _gqi_note(rated: GQIResult | None) -> str | None:
    if rated is None:
        return None
    if rated.near_singularity:
        return (
            f"energy {rated.energy:.3g} {rated.energy_unit} is within 10x of 1 "
            f"{rated.energy_unit}, the log10 singularity: GQI is unstable there"
        )
    return rated.note


def _gqi(ok: Sequence[JobRecord], unit: str) -> tuple[str | None, dict[str, GQIResult]]:
    rated = [
        r
        for r in ok
        if counts_correct(r.primary_metric)
        and primary_value(r) is not None
        and inference_energy_j(r) is not None
    ]
    if not rated:
        return None, {}
    return unit, {
        r.job_id: gqi(min(1.0, max(0.0, primary_value(r))), inference_energy_j(r), energy_unit=unit)
        for r in rated
    }


def _one_task(
    task: str, records: Sequence[JobRecord], queries: int | None, gqi_unit: str
) -> TaskFigures:
    ok = [r for r in records if r.ok]
    first = ok[0] if ok else records[0]
    higher = higher_is_better(first)
    costs = dict(COSTS)
    if queries is not None:
        costs["lifetime_energy_j"] = lambda r: lifetime_cost(r, queries, emissions=False)
        costs["lifetime_emissions_g"] = lambda r: lifetime_cost(r, queries, emissions=True)
    unit, rated = _gqi(ok, gqi_unit)
    labelled = [b for r in ok if (b := baselines(r.answers)) is not None]
    warnings = {r.job_id: w for r in ok if (w := answer_warning(r.answers))}
    return TaskFigures(
        task=task,
        metric=first.primary_metric or "quality",
        higher_is_better=higher,
        frontiers={name: _frontier(ok, cost, higher) for name, cost in costs.items()},
        gqi_unit=unit,
        gqi=rated,
        stars=star_ratings(records),
        warnings=warnings,
        agreement=agreements(ok),
        baselines=max(labelled, key=lambda b: b.samples, default=None),
        energy_undecided=frozenset(undecided_by_energy(ok, higher_is_better=higher)),
    )


def task_figures(
    records: Iterable[JobRecord], *, queries: int | None = None, gqi_unit: str = DEFAULT_UNIT
) -> dict[str, TaskFigures]:
    """Task -> its :class:`TaskFigures` over ``records`` (any status), tasks in name order.

    Args:
        records: job records of any tasks.
        queries: also compute the frontiers against the lifetime cost of serving this many
            queries (:func:`lifetime_cost`), named ``lifetime_energy_j`` and
            ``lifetime_emissions_g``.
        gqi_unit: the energy unit of every GQI: ``"kWh"`` (the paper's), ``"Wh"`` or ``"J"``.
    """
    by_task: dict[str, list[JobRecord]] = {}
    for record in records:
        by_task.setdefault(str(record.task), []).append(record)
    return {task: _one_task(task, by_task[task], queries, gqi_unit) for task in sorted(by_task)}


def with_task_fields(
    records: Iterable[JobRecord | Mapping[str, Any]], *, gqi_unit: str = DEFAULT_UNIT
) -> list[dict[str, Any]]:
    """The records as JSON (:meth:`JobRecord.to_json`) with their :data:`TASK_FIELDS`, computed
    over ``records`` (the content of ``results.json`` and of the JSON export)."""
    typed = [load_record(r) for r in records]
    figures = task_figures(typed, gqi_unit=gqi_unit)
    return [{**r.to_json(), **figures[str(r.task)].fields(r)} for r in typed]
