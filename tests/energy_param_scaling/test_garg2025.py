"""``param_scaling: garg2025``: Garg et al.'s per-query emissions scaled by active parameters
(emissions, not energy, labelled so), prompt tokens counted, the provider's carbon context for
estimated models, and job ids unchanged for configs that set none of it."""

from __future__ import annotations

import pytest

from greenbench.energy.param_scaling import (
    J_PER_TOKEN_PER_ACTIVE_PARAM,
    estimate_inference_emissions_garg2025,
    estimate_inference_energy,
)
from greenbench.models.spec import ModelSpec, Variant
from greenbench.records import load_record
from greenbench.records.per_record import attach
from greenbench.sweep import phases as job_module
from greenbench.sweep.plan import Job
from greenbench.sweep.record import new_record

CARBON = {
    "country": "FRA",
    "region": None,
    "intensity_g_per_kwh": 56.0,
    "pue": 1.0,
    "source": "test",
    "year": None,
    "is_default": False,
}


def estimate_job(**model) -> Job:
    spec = ModelSpec(name="big", source="api", kind="estimate", active_params=7e9, **model)
    return Job(sweep="s", model=spec, variant=Variant(), task="t", carbon=CARBON).with_id()


def test_worked_example():
    # 4.32 g x (7e9 / 175e9) x (450 tokens / 100) = 4.32 x 0.04 x 4.5 = 0.7776 g
    result = estimate_inference_emissions_garg2025(7e9, queries=3, tokens=450)
    assert result["emissions_g"] == pytest.approx(0.7776)
    provenance = result["provenance"]["estimate"]
    assert provenance.startswith("estimated:garg2025(") and "emissions, not energy" in provenance
    # without token counts, each query is the 100-token reference: 4.32 x 0.04 x 3
    assert estimate_inference_emissions_garg2025(7e9, 3)["emissions_g"] == pytest.approx(0.5184)
    # GPT-3 itself, one reference query: the published figure
    assert estimate_inference_emissions_garg2025(175e9, 1, 100)["emissions_g"] == 4.32


def test_epoch_estimate_counts_prompt_tokens():
    both = estimate_inference_energy(8e9, queries=3, generated_tokens=600, prompt_tokens=900)
    assert both["energy_j"]["total"] == pytest.approx(J_PER_TOKEN_PER_ACTIVE_PARAM * 8e9 * 1500)
    assert "900 prompt tokens" in both["provenance"]["estimate"]


def test_garg2025_phase_is_emissions_based_and_per_query_follows():
    job = estimate_job(param_scaling="garg2025")
    outputs = {
        "predictions": ["a", "b", "c"],
        "prompt_tokens": [100, 120, 80],
        "generated_tokens": [50, 60, 40],
    }
    record = new_record(job)
    record.phases["inference"] = job_module.estimated_phase(job, outputs)
    job_module.attach_emissions(job, record)
    assert record.phases["inference"].energy_j == {"total": None}
    assert record.emissions_g["inference"] == pytest.approx(4.32 * 0.04 * 4.5)  # 450 tokens
    record.status, record.samples = "ok", 3
    out = attach(load_record(record.to_json()), None)
    assert out.energy_per_query_j is None and out.energy_estimated is True
    assert out.emissions_per_query_g == pytest.approx(4.32 * 0.04 * 4.5 / 3)
    assert out.index_notes == ["inference estimated in gCO2e (garg2025): no energy figures"]


def test_estimated_energy_uses_the_providers_grid_and_pue():
    job = estimate_job(provider={"country": "USA", "carbon_intensity": 400.0, "pue": 1.2})
    outputs = {"predictions": ["a"], "prompt_tokens": [500], "generated_tokens": [500]}
    record = new_record(job)
    record.phases["inference"] = job_module.estimated_phase(job, outputs)
    job_module.attach_emissions(job, record)
    joules = J_PER_TOKEN_PER_ACTIVE_PARAM * 7e9 * 1000
    assert record.emissions_g["inference"] == pytest.approx(joules / 3.6e6 * 400.0 * 1.2)
    assert record.carbon.intensity_g_per_kwh == 400.0 and record.carbon.pue == 1.2


def test_job_ids_do_not_change_unless_the_new_fields_are_set():
    plain = estimate_job()
    assert "param_scaling" not in plain.content()["model"]
    assert "provider" not in plain.content()["model"]
    assert estimate_job(param_scaling="garg2025").job_id != plain.job_id
