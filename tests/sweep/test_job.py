"""Running one job in-process: phase arithmetic over repeats, failures that keep what was known."""

from __future__ import annotations

import pytest
from fake_jobs import CARBON

from greenbench.energy import Measurement
from greenbench.models.spec import ModelSpec, Variant
from greenbench.sweep.job import _phase, run_job
from greenbench.sweep.plan import Job


def measurement(cpu_j: float, idle_j: float = 1.0, duration_s: float = 2.0) -> Measurement:
    return Measurement(
        name="inference",
        duration_s=duration_s,
        energy_j={"cpu": cpu_j, "ram": 1.0},
        provenance={"cpu": "measured:rapl", "ram": "estimated:rss"},
        idle_energy_j={"cpu": idle_j},
    )


def test_inference_repeats_keep_mean_per_component_and_spread_of_totals():
    phase = _phase([measurement(10.0), measurement(12.0, duration_s=4.0), measurement(14.0)])
    assert phase.repeats == 3
    assert phase.energy_j == {"cpu": 12.0, "ram": 1.0, "total": 13.0}
    assert phase.net_energy_j == {"cpu": 11.0, "ram": 1.0, "total": 12.0}
    assert phase.total_j_std == pytest.approx(2.0)  # sample std of 11, 13, 15
    assert phase.repeat_totals_j == [11.0, 13.0, 15.0]
    assert phase.duration_s == pytest.approx(8.0 / 3)
    assert phase.provenance["cpu"] == "measured:rapl"


def test_a_single_window_has_no_spread():
    phase = _phase([measurement(10.0)])
    assert phase.repeats == 1 and phase.total_j_std is None


def test_a_failing_job_is_recorded_with_what_it_knew(tmp_path):
    job = Job(
        sweep="t",
        model=ModelSpec(name="ghost", source=str(tmp_path / "no-such-model")),
        variant=Variant(name="fp32"),
        task="sentiment",
        limit=2,
        carbon=CARBON,
        meter="estimate",
    ).with_id()
    record, samples = run_job(job)
    assert record["status"] == "failed" and samples == []
    assert record["error"].startswith("GreenbenchError: model 'ghost': source")
    assert "does not exist" in record["error"] and "\n" not in record["error"]
    assert record["primary_metric"] == "accuracy" and record["samples"] == 2
    assert record["environment"] and record["quality"] == {}
    assert record["emissions_g"] == {"total": 0}
    assert record["job_id"] == job.job_id and record["finished_at"]
