"""An estimated energy's range through the record, and the orders it leaves undecided."""

from __future__ import annotations

import pytest

from greenbench.records import load_records
from greenbench.records.per_record import attach as attach_one
from greenbench.records.per_task import with_task_fields


def record(job_id, quality, net, low=None, high=None):
    """An ok record, 10 queries, net inference energy ``net`` J with range ``[low, high]`` (J)
    when given (estimated), else measured."""
    phase = {
        "energy_j": {"total": net * 2},
        "net_energy_j": {"total": net},
        "provenance": {"cpu": "estimated:cpu-time x 4 W/thread" if low else "measured:rapl"},
    }
    if low is not None:
        phase["energy_range_j"] = {"total": [low * 2, high * 2]}
        phase["net_energy_range_j"] = {"total": [low, high]}
    return {
        "job_id": job_id,
        "task": "t",
        "status": "ok",
        "primary_metric": "accuracy",
        "higher_is_better": True,
        "quality": {"accuracy": {"value": quality}},
        "samples": 10,
        "energy_basis": "net",
        "phases": {"inference": phase},
        "emissions_g": {"total": 0.01, "inference": 0.01},
        "variant": {"name": job_id},
        "model": {"name": "m"},
    }


def results(records: list[dict]) -> dict[str, dict]:
    """``results.json`` entries by job id: per-record and per-task figures attached."""
    typed = [attach_one(r, None) for r in load_records(records)]
    return {r["job_id"]: r for r in with_task_fields(typed)}


def test_the_range_per_query_follows_the_records_energy_basis():
    out = results([record("a", 0.5, net=50.0, low=40.0, high=100.0)])["a"]
    assert out["energy_per_query_j"] == pytest.approx(5.0)
    assert out["energy_per_query_range_j"] == pytest.approx([4.0, 10.0])  # net range / 10
    measured = results([record("m", 0.5, net=50.0)])["m"]
    assert measured.get("energy_per_query_range_j") is None


def test_equal_quality_whose_ranges_overlap_is_not_decided_by_energy():
    out = results(
        [
            record("a", 0.5, net=50.0, low=40.0, high=100.0),
            record("b", 0.5, net=70.0, low=60.0, high=140.0),  # b looks dearer; could be cheaper
            record("c", 0.5, net=500.0, low=450.0, high=900.0),  # surely dearer than both
        ]
    )
    assert out["a"]["energy_undecided"] and out["b"]["energy_undecided"]
    assert not out["c"]["energy_undecided"] and not out["c"]["pareto_energy"]


def test_a_frontier_that_flips_within_the_ranges_is_marked():
    out = results(
        [
            record("good", 0.9, net=100.0, low=80.0, high=250.0),  # estimated, wide
            record("cheap", 0.5, net=200.0),  # measured: off the frontier only at the centre
        ]
    )
    assert out["cheap"]["pareto_energy"] is False and out["cheap"]["energy_undecided"]
    assert not out["good"]["energy_undecided"]  # nothing better could undercut it


def test_measured_energies_decide_their_order():
    out = results([record("a", 0.5, net=50.0), record("b", 0.5, net=70.0), record("c", 0.9, 90)])
    assert not any(r["energy_undecided"] for r in out.values())
