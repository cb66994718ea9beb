"""The CEGI paper's own choices on records: a gain in percentage points of a 0..1 metric only
(the task's ``cegi_metric``), no CEGI for zero fine-tuning emissions, "gain not significant"
when the CIs overlap, and the gross (eco2AI-style) basis beside the net one."""

from __future__ import annotations

import pytest
from test_indexes import attach, record

from greenbench.records.cegi_inputs import NOT_SIGNIFICANT


def tuned(quality=0.35, ci=(0.33, 0.37), **extra):
    fields = {
        "base_job_id": "base",
        "variant": {"name": "lora", "finetune": {"method": "lora", "rank": 8}},
        "emissions_g": {"total": 10.5, "finetune": 10.0, "inference": 0.5},
        "finetune_result": {"trainable_params": 1_000_000},
    }
    row = record("lora", quality=quality, **{**fields, **extra})
    row["quality"]["accuracy"].update(ci_low=ci[0], ci_high=ci[1])
    return row


def base(quality=0.30, ci=(0.28, 0.32), **extra):
    row = record("base", quality=quality, **extra)
    row["quality"]["accuracy"].update(ci_low=ci[0], ci_high=ci[1])
    return row


def captioning(row, cider, bleu4):
    row.update(primary_metric="cider")
    row["quality"] = {"cider": {"value": cider}, "bleu4": {"value": bleu4}}
    return row


def test_cegi_on_a_metric_that_is_not_0_to_1_is_null_with_the_reason():
    _, t = attach([captioning(base(), 0.6, 0.20), captioning(tuned(), 0.9, 0.25)])
    assert t["cegi"] is None and t["cegi_gain_pp"] is None
    assert t["cegi_note"] == "cider is on a 0..10 scale, not 0..1 (set the task's cegi_metric)"
    assert "cegi_metric" in t["cegi_note"]


def test_cegi_metric_names_the_0_to_1_metric_the_gain_is_taken_on():
    b = captioning(base(), 0.6, 0.20)
    t = captioning(tuned(), 0.9, 0.25)
    b["cegi_metric"] = t["cegi_metric"] = "bleu4"
    _, t = attach([b, t])
    assert t["cegi_gain_pp"] == pytest.approx(5.0)  # BLEU-4 0.20 -> 0.25, not CIDEr's 30 pp
    assert t["cegi"] == pytest.approx(10.0 / (5.0 * 1.0))
    assert t["cegi_metric"] == "bleu4"


def test_zero_finetune_emissions_give_null_not_the_best_cegi():
    _, t = attach([base(), tuned(emissions_g={"total": 0.5, "finetune": 0.0, "inference": 0.5})])
    assert t["cegi"] is None
    assert t["cegi_note"] == "fine-tuning emissions are 0 gCO2e: nothing measured to charge"


def test_overlapping_cis_say_gain_not_significant():
    # base 0.30 [0.28, 0.32], tuned 0.35 [0.33, 0.37]: separated, significant
    _, t = attach([base(), tuned()])
    assert t["cegi"] == pytest.approx(2.0) and t["cegi_significant"] is True
    # tuned 0.35 [0.25, 0.45] overlaps the base CI: the gain lies inside the overlap
    _, t = attach([base(), tuned(ci=(0.25, 0.45))])
    assert t["cegi"] == pytest.approx(2.0) and t["cegi_significant"] is False
    assert NOT_SIGNIFICANT == "gain not significant"
    # no CIs: unknown, not claimed either way
    b, t = base(), tuned()
    del b["quality"]["accuracy"]["ci_low"]
    _, t = attach([b, t])
    assert t["cegi_significant"] is None


def test_gross_basis_beside_the_net_one():
    carbon = {"intensity_g_per_kwh": 400.0, "pue": 1.5}
    phases = {
        "inference": {"energy_j": {"total": 100.0}, "net_energy_j": {"total": 50.0}},
        "finetune": {"energy_j": {"total": 3.6e6}, "net_energy_j": {"total": 1.8e6}},
    }
    emissions = {"total": 300.0, "finetune": 300.0, "inference": 0.0}  # 0.5 kWh x 400 x 1.5
    _, t = attach([base(), tuned(carbon=carbon, phases=phases, emissions_g=emissions)])
    assert t["cegi_basis"] == "net"
    assert t["cegi"] == pytest.approx(300.0 / 5.0)
    # gross: 1 kWh x 400 g/kWh x PUE 1.5 = 600 g over 5 pp x 1 M params
    assert t["cegi_gross"] == pytest.approx(600.0 / 5.0)
