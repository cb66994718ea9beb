"""recommend: the variant to deploy under a constraint, with frontier and break-even reasons."""

from __future__ import annotations

import math

import pytest
import report_fixtures as rf

from greenbench.errors import GreenbenchError
from greenbench.report import recommend

G_PER_J = 56.0 * 1.2 / 3.6e6  # the fixtures' intensity (g/kWh) and PUE, per joule


def test_default_constraint_is_the_ci_of_the_best():
    rec = recommend(rf.records(), "text-to-sql")
    # best is j-large (0.66, CI low 0.56): only j-small-lora (0.62) is as good, and it is cheaper
    assert rec.constraint.startswith("execution_accuracy >= 0.560 (within the 95% CI of the best")
    assert [c.job_id for c in rec.candidates if c.qualifies] == ["j-small-lora", "j-large"]
    assert rec.chosen.job_id == "j-small-lora"
    assert rec.chosen.on_frontier
    assert rec.reasons[0].startswith("Deploy small-lm · lora-r8 for text-to-sql")
    assert any("Pareto frontier" in r for r in rec.reasons)
    assert (
        "below the best (0.660, large-lm · base) but within that variant's 95% CI"
        in (rec.reasons[2])
    )
    assert any("estimated, not measured" in r for r in rec.reasons)


def test_break_even_of_the_fine_tuned_choice():
    rec = recommend(rf.records(), "text-to-sql", queries=100_000)
    assert rec.chosen.job_id == "j-small-lora"
    (note,) = rec.break_even
    e_ft = 900.0 * G_PER_J
    small, large = 42.0 / 40 * G_PER_J, 400.0 / 40 * G_PER_J
    assert note.against_job_id == "j-large"
    assert note.queries == pytest.approx(e_ft / (large - small))
    assert note.saving_g == pytest.approx(100_000 * (large - small) - e_ft)
    assert f"repaid after {math.ceil(e_ft / (large - small)):,} queries" in note.sentence
    assert note.sentence in rec.reasons


def test_few_queries_do_not_repay_fine_tuning():
    # 100 queries: 900 J of fine-tuning + 100 × 1.05 J > 100 × 10 J for the large model
    rec = recommend(rf.records(), "text-to-sql", queries=100)
    assert rec.chosen.job_id == "j-large"
    # the fixtures' measured job is net of idle, the others gross: the name says they differ
    assert rec.cost_name == (
        "energy for 100 queries, fine-tuning included (mixed bases (gross and net): not comparable)"
    )
    assert rec.chosen.cost == pytest.approx(1000.0)
    (note,) = rec.break_even
    assert note.finetuned_job_id == "j-small-lora" and note.saving_g < 0


def test_lifetime_cost_uses_the_records_energy_basis():
    # an idle baseline was taken: per-query figures are net, so fine-tuning must be net too
    base = rf.record("j-base", quality=0.60, inference_j=400.0, provenance=rf.MEASURED)
    tuned = rf.record(
        "j-tuned",
        variant="lora-r8",
        quality=0.62,
        inference_j=40.0,
        finetune_j=900.0,  # gross; the fixtures' net is half of it
        provenance=rf.MEASURED,
    )
    rec = recommend([base, tuned], "text-to-sql", queries=100)
    by_id = {c.job_id: c for c in rec.candidates}
    assert by_id["j-tuned"].finetune_energy_j == pytest.approx(450.0)
    assert by_id["j-tuned"].cost == pytest.approx(450.0 + 100 * 40.0 / 40)
    assert rec.cost_name == "energy for 100 queries, fine-tuning included (net of idle)"


def test_fine_tuning_not_measured_is_left_out_not_free():
    base = rf.record("j-base", quality=0.60, inference_j=400.0)
    tuned = rf.record("j-tuned", variant="lora-r8", quality=0.62, inference_j=40.0, finetune_j=1.0)
    del tuned["phases"]["finetune"], tuned["emissions_g"]["finetune"]
    rec = recommend([base, tuned], "text-to-sql", queries=100)
    assert [c.job_id for c in rec.candidates] == ["j-base"]
    assert "Left out: small-lm · lora-r8 (fine-tuning phase not measured" in rec.reasons[-1]


def test_min_quality_picks_the_cheapest_that_reaches_it():
    rec = recommend(rf.records(), "text-to-sql", min_quality=0.3)
    assert rec.chosen.job_id == "j-measured"
    assert not rec.chosen.estimated
    assert "--min-quality" in rec.constraint
    assert not any("estimated" in r for r in rec.reasons)


def test_cost_constraints_pick_the_best_quality_under_budget():
    rec = recommend(rf.records(), "text-to-sql", max_energy_j=1.1)
    assert rec.chosen.job_id == "j-small-lora"
    assert "best execution_accuracy" in rec.reasons[3]
    # the large model is as good within the CI: the fine-tuned choice is compared with it
    assert [n.against_job_id for n in rec.break_even] == ["j-large"]
    cheap = recommend(
        rf.records(), "text-to-sql", max_emissions_g=0.75 * G_PER_J
    )  # 0.5 J/query fits
    assert cheap.chosen.job_id == "j-measured"
    assert cheap.cost_unit == "gCO2e"


def test_not_on_the_frontier_is_explained():
    rec = recommend(rf.records(), "text-to-sql", max_energy_j=1.1, queries=50)
    assert rec.chosen.job_id == "j-small-lora"
    assert not rec.chosen.on_frontier
    assert any("large-lm · base is at least as good and cheaper" in r for r in rec.reasons)


def test_nothing_meets_the_constraint():
    with pytest.raises(
        GreenbenchError, match=r"meets execution_accuracy >= 0.900 \(--min-quality\)"
    ):
        recommend(rf.records(), "text-to-sql", min_quality=0.9)
    with pytest.raises(GreenbenchError, match=r"--max-energy-j.*lowest energy per query: 500 mJ"):
        recommend(rf.records(), "text-to-sql", max_energy_j=0.01)


def test_unknown_task_lists_the_tasks_present():
    with pytest.raises(GreenbenchError, match="tasks present: summarization, text-to-sql"):
        recommend(rf.records(), "vqa")


def test_bad_arguments():
    with pytest.raises(GreenbenchError, match="one constraint"):
        recommend(rf.records(), "text-to-sql", min_quality=0.1, max_energy_j=1.0)
    with pytest.raises(GreenbenchError, match="--max-energy-j must be a finite number >= 0"):
        recommend(rf.records(), "text-to-sql", max_energy_j=-1.0)
    with pytest.raises(GreenbenchError, match="--queries must be >= 1"):
        recommend(rf.records(), "text-to-sql", queries=0)
    failed_only = [r for r in rf.records() if r["status"] == "failed"]
    with pytest.raises(GreenbenchError, match="no successful job"):
        recommend(failed_only, "text-to-sql")


def test_json_form_holds_the_figures():
    data = recommend(rf.records(), "text-to-sql").to_dict()
    assert data["chosen"]["job_id"] == "j-small-lora"
    assert data["chosen"]["energy_per_query_j"] == pytest.approx(1.05)
    assert {"constraint", "reasons", "candidates", "break_even"} <= set(data)
