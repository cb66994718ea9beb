"""Running one job in-process: phase arithmetic over repeats, failures that keep what was known."""

from __future__ import annotations

import pytest
from fake_jobs import CARBON

from greenbench.energy import Measurement
from greenbench.models.spec import ModelSpec, Variant
from greenbench.records.schema import Phase
from greenbench.sweep.job import _gaps, run_job
from greenbench.sweep.phases import attach_emissions, phase_of
from greenbench.sweep.plan import Job
from greenbench.sweep.record import new_record


def measurement(cpu_j: float, idle_j: float = 1.0, duration_s: float = 2.0) -> Measurement:
    return Measurement(
        name="inference",
        duration_s=duration_s,
        energy_j={"cpu": cpu_j, "ram": 1.0},
        provenance={"cpu": "measured:rapl", "ram": "estimated:rss"},
        idle_energy_j={"cpu": idle_j},
    )


def test_inference_repeats_keep_mean_per_component_and_spread_of_totals():
    phase = phase_of([measurement(10.0), measurement(12.0, duration_s=4.0), measurement(14.0)])
    assert phase.repeats == 3
    assert phase.energy_j == {"cpu": 12.0, "ram": 1.0, "total": 13.0}
    assert phase.net_energy_j == {"cpu": 11.0, "ram": 1.0, "total": 12.0}
    assert phase.total_j_std == pytest.approx(2.0)  # sample std of 11, 13, 15
    assert phase.repeat_totals_j == [11.0, 13.0, 15.0]
    assert phase.duration_s == pytest.approx(8.0 / 3)
    assert phase.provenance["cpu"] == "measured:rapl"


def test_a_single_window_has_no_spread():
    phase = phase_of([measurement(10.0)])
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


def test_the_jobs_emissions_total_counts_every_inference_repeat():
    job = Job(
        sweep="t",
        model=ModelSpec(name="m", source="/nowhere"),
        variant=Variant(name="fp32"),
        task="sentiment",
        repeats=3,
        carbon=CARBON,
    ).with_id()
    record = new_record(job)
    kwh = {"total": 3.6e6}
    record.phases = {
        "load": Phase(energy_j=kwh, net_energy_j=kwh, repeats=1),
        "inference": Phase(energy_j=kwh, net_energy_j=kwh, repeats=3),
    }
    attach_emissions(job, record)
    per_kwh = CARBON["intensity_g_per_kwh"] * CARBON["pue"]
    assert record.emissions_g["inference"] == pytest.approx(per_kwh)  # one pass, as phases
    assert record.emissions_g["total"] == pytest.approx(4 * per_kwh)  # load + 3 passes


def test_a_job_on_cuda_that_no_source_measures_records_the_gap(capfd):
    from greenbench.energy import EnergyMeter

    job = Job(sweep="t", model=ModelSpec(name="m", source="/x"), variant=Variant(name="fp32"),
              task="sentiment", carbon=CARBON, meter="estimate").with_id()  # fmt: skip
    record = new_record(job)
    record.backend = {"device": "cuda:0"}
    with EnergyMeter("estimate") as meter:
        _gaps(meter, record)
    (gap,) = record.energy_gaps
    assert gap.startswith("GPU energy not measured: meter 'estimate' reads no GPU")
    assert f"greenbench: {gap}" in capfd.readouterr().err  # in the job's log too
    record.backend = {"device": "cpu"}
    with EnergyMeter("estimate") as meter:
        _gaps(meter, record)
    assert record.energy_gaps == []
