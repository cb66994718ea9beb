"""Energy ranges of records, and which orderings by energy they leave undecided.

A record whose inference energy is estimated carries the low-high range of its constants
(``phases.inference.energy_range_j``, :mod:`greenbench.energy.uncertainty`);
:func:`per_query_range` turns it into ``energy_per_query_range_j`` on the record's energy basis.
:func:`undecided_by_energy` finds the jobs of a task whose place against energy (on or off the
quality-vs-energy Pareto frontier, which also orders equal-quality jobs) could change anywhere
within those ranges: their order is "not decided by energy". A measured energy is a point.
"""

from __future__ import annotations

from collections.abc import Sequence

from greenbench.records.schema import JobRecord
from greenbench.records.values import inference_energy_j, primary_value


def per_query_range(record: JobRecord) -> list[float] | None:
    """``[low, high]`` energy per query, J, on the record's basis; None without a range."""
    phase = record.phases.get("inference")
    per_query = record.energy_per_query_j
    total = inference_energy_j(record)
    if phase is None or per_query is None or not total:
        return None
    ranges = phase.net_energy_range_j if record.energy_basis == "net" else phase.energy_range_j
    if not ranges or "total" not in ranges:
        return None
    low, high = ranges["total"]
    return [per_query * low / total, per_query * high / total]


def energy_bounds(record: JobRecord) -> tuple[float, float] | None:
    """``(low, high)`` energy per query, J: the range when estimated, the value twice when
    measured; None without an energy per query."""
    if record.energy_per_query_j is None:
        return None
    if record.energy_per_query_range_j:
        low, high = record.energy_per_query_range_j
        return low, high
    return record.energy_per_query_j, record.energy_per_query_j


def could_cost_less(chosen: JobRecord, others: Sequence[JobRecord]) -> list[JobRecord]:
    """The jobs of ``others`` whose energy per query could be below ``chosen``'s somewhere
    within the ranges (either of them estimated), although ``chosen`` costs less at the centre:
    a "cheapest" choice energy does not decide."""
    mine = energy_bounds(chosen)
    if mine is None:
        return []
    found = []
    for other in others:
        theirs = energy_bounds(other)
        if other.job_id == chosen.job_id or theirs is None:
            continue
        ranged = mine[0] < mine[1] or theirs[0] < theirs[1]
        if ranged and theirs[0] < mine[1]:
            found.append(other)
    return found


def undecided_by_energy(records: Sequence[JobRecord], *, higher_is_better: bool) -> set[str]:
    """Ids of the ok jobs whose place against energy per query the ranges leave open.

    A job is undecided when another job at least as good in quality *could* cost no more
    energy (its low end at or below this job's high end, either of them a range) while no job
    at least as good *surely* costs less (a high end below this job's low end, or equal
    quality and energy with better quality elsewhere). Such a job may or may not be on the
    frontier, and equal-quality jobs may swap places, depending on where in their ranges the
    true energies lie.
    """
    sign = 1.0 if higher_is_better else -1.0
    points = []
    for record in records:
        quality, bounds = primary_value(record), energy_bounds(record)
        if quality is not None and bounds is not None:
            points.append((record.job_id, sign * quality, bounds))
    undecided: set[str] = set()
    for job_id, quality, (low, high) in points:
        possibly = surely = False
        for other_id, other_quality, (other_low, other_high) in points:
            if other_id == job_id or other_quality < quality:
                continue
            ranged = other_low < other_high or low < high
            if other_high < low or (other_high <= low and other_quality > quality):
                surely = True
            elif other_low <= high and ranged:
                possibly = True
        if possibly and not surely:
            undecided.add(job_id)
    return undecided
