"""CPU model lookup in the bundled TDP table."""

from __future__ import annotations

import statistics

import pytest

from greenbench.energy import cpu_tdp


@pytest.mark.parametrize(
    ("model", "matched", "w_per_thread"),
    [
        ("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", "Xeon Gold 6248", 150 / 40),
        ("Intel(R) Xeon(R) Platinum 8480+", "Xeon Platinum 8480+", 350 / 112),
        ("AMD EPYC 7763 64-Core Processor", "EPYC 7763", 280 / 128),
        # K-series: the sustained all-core draw (maximum turbo power), not the 125 W base power
        ("12th Gen Intel(R) Core(TM) i7-12700K", "Core i7-12700K", 190 / 20),
        ("Apple M1 Pro", "Apple M1 Pro", 30 / 10),
        ("Apple M1", "Apple M1", 20 / 8),
        ("ARM Neoverse-N1", "ARM Neoverse-N1", 210 / 80),
    ],
)
def test_known_models(model, matched, w_per_thread):
    power = cpu_tdp.lookup(model)
    assert power.matched == matched
    assert power.w_per_thread == pytest.approx(w_per_thread)
    assert power.in_table and matched in power.describe()


@pytest.mark.parametrize(
    "model", ["Intel(R) Xeon(R) Processor", "Intel(R) Core(TM) i7-1270P", "", "Xeon Gold 62"]
)
def test_unknown_models_get_the_documented_default(model):
    power = cpu_tdp.lookup(model)
    assert not power.in_table
    assert power.w_per_thread == cpu_tdp.DEFAULT_W_PER_THREAD
    assert "default" in power.describe()


def test_table_rows_are_complete_and_default_is_typical():
    rows = cpu_tdp.table()
    assert len(rows) > 50
    for row in rows:
        assert float(row["tdp_w"]) > 0 and int(row["threads"]) >= int(row["cores"]) > 0
        assert row["source"]
    per_thread = [float(r["tdp_w"]) / int(r["threads"]) for r in rows]
    assert min(per_thread) < cpu_tdp.DEFAULT_W_PER_THREAD < max(per_thread)
    assert abs(cpu_tdp.DEFAULT_W_PER_THREAD - statistics.median(per_thread)) < 1.0


def test_this_machine_has_a_model_string():
    assert cpu_tdp.cpu_model()
    assert cpu_tdp.this_cpu().w_per_thread > 0


def test_the_table_file_has_its_schema_and_every_row_cites_a_source():
    from importlib import resources

    text = resources.files("greenbench.energy").joinpath("cpu_tdp.csv").read_text()
    assert text.splitlines()[0] == "model,tdp_w,max_power_w,cores,threads,source"
    for row in cpu_tdp.table():
        assert len(row["source"]) > 5, row
        if row["max_power_w"]:
            assert float(row["max_power_w"]) >= float(row["tdp_w"]), row


def test_intel_k_series_rows_are_their_sustained_draw_not_their_base_power():
    for model in ("Core i9-14900K", "Core i9-13900K", "Core i9-12900K", "Core i5-12600K"):
        row = next(r for r in cpu_tdp.table() if r["model"] == model)
        assert float(row["tdp_w"]) > 125 and "base power: 125 W" in row["source"]
