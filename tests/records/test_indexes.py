"""Efficiency indexes of records: per-query and CEGI against the base (per record, at commit),
GQI and Pareto (per task, over a set of records)."""

from __future__ import annotations

import math

import pytest

from greenbench.metrics.catalogue import counts_correct
from greenbench.records import load_records
from greenbench.records.per_record import attach as attach_one
from greenbench.records.per_task import with_task_fields


def attach(records: list[dict], gqi_unit: str = "kWh") -> list[dict]:
    """The records as ``results.json`` holds them: per-record figures attached against their
    base, per-task figures over the set (GQI in ``gqi_unit``)."""
    typed = load_records(records)
    by_id = {r.job_id: r for r in typed}
    attached = (attach_one(r, by_id.get(r.base_job_id or "")) for r in typed)
    return with_task_fields(attached, gqi_unit=gqi_unit)


def record(job_id, task="t", quality=0.5, energy=100.0, net=50.0, **extra):
    base = {
        "job_id": job_id,
        "task": task,
        "status": "ok",
        "primary_metric": "accuracy",
        "higher_is_better": True,
        "quality": {"accuracy": {"value": quality}},
        "samples": 10,
        "tokens": {"prompt": 100, "generated": 20},
        "energy_basis": "net",
        "phases": {
            "inference": {
                "energy_j": {"total": energy},
                "net_energy_j": {"total": net},
                "provenance": {"cpu": "measured:rapl"},
            }
        },
        "emissions_g": {"total": 0.01, "inference": 0.01},
        "variant": {"name": job_id, "finetune": None},
        "model": {"name": "m", "params_trainable": 0},
        "base_job_id": None,
    }
    base.update(extra)
    return base


def test_per_query_figures_use_net_inference_energy():
    (r,) = attach([record("a", quality=0.3)])
    assert r["energy_per_query_j"] == pytest.approx(5.0)  # 50 J net / 10 samples
    assert r["energy_per_1k_queries_j"] == pytest.approx(5000.0)
    assert r["energy_per_token_j"] == pytest.approx(2.5)  # 50 J / 20 tokens
    assert r["energy_per_correct_j"] == pytest.approx(50.0 / 3)  # 3 correct of 10
    assert r["emissions_per_query_g"] == pytest.approx(0.001)
    assert r["energy_estimated"] is False
    (g,) = attach([record("a", energy_basis="gross")])
    assert g["energy_per_query_j"] == pytest.approx(10.0)


def test_cegi_from_the_base_job_quality():
    base = record("base", quality=0.30)
    tuned = record(
        "lora",
        quality=0.35,
        base_job_id="base",
        variant={"name": "lora", "finetune": {"method": "lora", "rank": 8}},
        emissions_g={"total": 10.5, "finetune": 10.0, "inference": 0.5},
        finetune_result={"trainable_params": 460_800},
    )
    _, t = attach([base, tuned])
    assert t["cegi_gain_pp"] == pytest.approx(5.0)
    assert t["cegi"] == pytest.approx(10.0 / (5.0 * 0.4608))
    assert t["cegi_note"] is None


def test_cegi_without_gain_is_a_note_not_a_number():
    base = record("base", quality=0.40)
    tuned = record(
        "lora",
        quality=0.35,
        base_job_id="base",
        variant={"name": "lora", "finetune": {"method": "lora"}},
        emissions_g={"total": 10.0, "finetune": 10.0, "inference": 0.0},
        finetune_result={"trainable_params": 1000},
    )
    _, t = attach([base, tuned])
    assert t["cegi"] is None and t["cegi_note"] == "no gain"


def test_cegi_when_the_base_failed_says_so():
    base = record("base", status="failed", quality=0.4)
    tuned = record(
        "lora",
        base_job_id="base",
        variant={"name": "lora", "finetune": {"method": "lora"}},
        finetune_result={"trainable_params": 1000},
    )
    _, t = attach([base, tuned])
    assert t["cegi"] is None and "base" in t["cegi_note"]


def test_cegi_without_a_measured_finetune_phase_is_null_with_a_reason():
    base = record("base", quality=0.30)
    tuned = record(
        "lora",
        quality=0.35,
        base_job_id="base",
        variant={"name": "lora", "finetune": {"method": "lora"}},
        finetune_result={"trainable_params": 1000},
    )  # emissions_g has no "finetune": the phase was never measured
    _, t = attach([base, tuned])
    assert t["cegi"] is None and t["cegi_gain_pp"] is None
    assert t["cegi_note"] == "fine-tuning phase not measured: no emissions to charge"


def test_gqi_is_in_one_unit_for_every_task_and_skips_non_accuracy_metrics():
    a = record("a", quality=0.9, net=500.0)
    b = record("b", quality=0.8, net=5.0)
    other = record("o", task="u", quality=0.7, net=7.2e7)  # 20 kWh
    rouge = record("c", task="summ", primary_metric="rougeL")
    rouge["quality"] = {"rougeL": {"value": 0.3}}
    # the paper's kWh for the whole set: 500 J and 5 J lie below the singularity at 1 kWh
    ra, rb, ro, rc = attach([a, b, other, rouge])
    assert ra["gqi_unit"] == rb["gqi_unit"] == ro["gqi_unit"] == "kWh"
    assert ra["gqi"] is None and "<= 1 kWh" in ra["gqi_note"]
    assert ro["gqi"] == pytest.approx(10 * 0.7**5 / math.log10(20)) and ro["gqi_note"] is None
    assert rc["gqi"] is None and rc["gqi_unit"] is None
    # joules by choice, still one unit for every task; 5 J is within 10x of 1 J: flagged
    typed = load_records([a, b, other])
    ja, jb, jo = with_task_fields(typed, gqi_unit="J")
    assert ja["gqi_unit"] == jb["gqi_unit"] == jo["gqi_unit"] == "J"
    assert ja["gqi"] == pytest.approx(10 * 0.9**5 / math.log10(500)) and ja["gqi_note"] is None
    assert jb["gqi"] == pytest.approx(10 * 0.8**5 / math.log10(5))
    assert "within 10x of 1 J" in jb["gqi_note"]


def test_pareto_membership_per_task():
    cheap_bad = record("a", quality=0.5, net=10.0)
    dear_good = record("b", quality=0.9, net=100.0)
    dominated = record("c", quality=0.4, net=50.0)
    other_task = record("d", task="u", quality=0.1, net=1000.0)
    out = {r["job_id"]: r for r in attach([cheap_bad, dear_good, dominated, other_task])}
    assert out["a"]["pareto_energy"] and out["b"]["pareto_energy"]
    assert out["c"]["pareto_energy"] is False
    assert out["d"]["pareto_energy"] is True  # alone on its task


def test_estimated_energy_is_flagged_and_failed_records_get_no_indexes():
    est = record("e")
    est["phases"]["inference"]["provenance"] = {"total": "estimated:param-scaling"}
    failed = record("f", status="failed")
    e, f = attach([est, failed])
    assert e["energy_estimated"] is True and e["energy_per_query_j"] is not None
    assert f["energy_per_query_j"] is None and f["pareto_energy"] is None


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("execution_accuracy", True),
        ("top1_accuracy", True),
        ("pass_at_1", True),
        ("rougeL", False),
        ("perplexity", False),
        (None, False),
    ],
)
def test_accuracy_type_metrics(metric, expected):
    assert counts_correct(metric) is expected


def test_no_energy_per_correct_answer_for_vqa_partial_credit():
    vqa = record("v", primary_metric="vqa_accuracy", quality=0.6)
    vqa["quality"] = {"vqa_accuracy": {"value": 0.6}}  # e.g. 10 answers, each 2 of 3 humans
    acc = record("a", quality=0.6)
    v, a = attach([vqa, acc], gqi_unit="J")  # joules: these tens of J are far from 1 kWh
    assert v["energy_per_correct_j"] is None  # 0.6 x 10 is not 6 correct answers
    assert any("partial credit" in note for note in v["index_notes"])
    assert v["gqi"] is not None  # still a 0..1 accuracy for the GQI
    assert a["energy_per_correct_j"] == pytest.approx(50.0 / 6)


def test_no_quality_per_kwh_for_a_lower_is_better_metric():
    ppl = record("p", primary_metric="perplexity", higher_is_better=False)
    ppl["quality"] = {"perplexity": {"value": 12.0}}
    (p,) = attach([ppl])
    assert p["quality_per_kwh"] is None  # more perplexity per kWh is not better
    assert any("lower-is-better" in note for note in p["index_notes"])
    assert p["energy_per_query_j"] == pytest.approx(5.0)
