"""The 1-5 star energy rating (AI Energy Score's band rule) on constructed records."""

from __future__ import annotations

from greenbench.records import JobRecord
from greenbench.records.per_task import with_task_fields
from greenbench.records.ratings import band, hardware_class, star_ratings
from greenbench.report.tables import leaderboards

MEASURED = {"cpu": "measured:rapl"}
ESTIMATED = {"cpu": "estimated:cpu-time×tdp(65W)"}


def record(job_id, energy, *, cpu="Xeon A", device="cpu", gpus=(), provenance=MEASURED, kind="hf"):
    return JobRecord.model_validate(
        {
            "job_id": job_id,
            "task": "t",
            "status": "ok",
            "model": {"name": job_id, "kind": kind},
            "variant": {"name": "v"},
            "primary_metric": "accuracy",
            "quality": {"accuracy": {"value": 0.5}},
            "phases": {"inference": {"energy_j": {"total": energy}, "provenance": provenance}},
            "energy_per_query_j": energy,
            "environment": {"cpu_model": cpu, "gpus": list(gpus)},
            "backend": {"device": device},
        }
    )


def test_the_range_is_cut_in_five_equal_sections_lowest_energy_five_stars():
    # range 10..20: sections of 2 J; a lower bound belongs to its section
    energies = {"a": 10.0, "b": 11.9, "c": 12.0, "d": 15.0, "e": 17.99, "f": 18.0, "g": 20.0}
    ratings = star_ratings([record(k, v) for k, v in energies.items()])
    assert {k: r.stars for k, r in ratings.items()} == {
        "a": 5, "b": 5, "c": 4, "d": 3, "e": 2, "f": 1, "g": 1,
    }  # fmt: skip
    assert all(r.hardware_class == "CPU Xeon A" and not r.estimated for r in ratings.values())
    assert band(10.0, 10.0, 20.0) == 5 and band(20.0, 10.0, 20.0) == 1


def test_jobs_are_rated_only_against_the_same_hardware_and_meter():
    gpu = [{"index": 0, "name": "NVIDIA H200"}]
    ratings = star_ratings(
        [
            record("cpu-low", 1.0),
            record("cpu-high", 9.0),
            record("gpu-only", 500.0, device="cuda:0", gpus=gpu),
            record("other-cpu", 100.0, cpu="Xeon B"),
            record("other-cpu-2", 0.1, cpu="Xeon B"),
            record("est", 3.0, provenance=ESTIMATED),
            record("est-2", 7.0, provenance=ESTIMATED),
        ]
    )
    stars = {k: r.stars for k, r in ratings.items()}
    assert stars == {
        "cpu-low": 5, "cpu-high": 1, "gpu-only": None, "other-cpu": 1, "other-cpu-2": 5,
        "est": 5, "est-2": 1,
    }  # fmt: skip
    assert ratings["gpu-only"].hardware_class == "GPU NVIDIA H200"
    assert ratings["gpu-only"].note == "unrated: one energy on this hardware and meter"
    assert ratings["est"].estimated and not ratings["cpu-low"].estimated


def test_estimate_models_and_records_without_hardware_are_unrated_with_a_reason():
    unknown = record("x", 1.0)
    unknown.environment = None
    ratings = star_ratings([record("est", 1.0, kind="estimate"), unknown, record("y", 2.0)])
    assert ratings["est"].stars is None and ratings["est"].note == "unrated: estimate model"
    assert ratings["x"].note == "unrated: no hardware recorded"
    assert hardware_class(unknown) is None


def test_the_rating_is_in_the_json_and_the_leaderboard_marked_when_estimated():
    records = [record("a", 1.0, provenance=ESTIMATED), record("b", 2.0, provenance=ESTIMATED)]
    rows = {r["job_id"]: r for r in with_task_fields(records)}
    assert rows["a"]["energy_stars"] == 5 and rows["b"]["energy_stars"] == 1
    assert rows["a"]["energy_stars_estimated"] is True
    assert rows["a"]["hardware_class"] == "CPU Xeon A"
    board = leaderboards(records)[0]
    cells = {row.job_id: row.stars for row in board.rows}
    assert cells["a"].text == "5/5" and cells["a"].estimated
