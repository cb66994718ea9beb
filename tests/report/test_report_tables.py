"""Leaderboard rows, provenance of derived figures, and number formatting."""

from __future__ import annotations

import pytest
import report_fixtures as rf

from greenbench.records import load_record
from greenbench.records.values import variant_details
from greenbench.report import formatting as fmt
from greenbench.report.provenance import combine, figure_provenance
from greenbench.report.tables import leaderboards


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1234.0, "J", "1.23 kJ"),
        (999.9, "J", "1.00 kJ"),
        (0.75, "J", "750 mJ"),
        (5e-5, "g", "50.0 µg"),
        (0.0, "g", "0 g"),
        (None, "J", "—"),
        (float("nan"), "J", "—"),
    ],
)
def test_si_formatting(value, unit, text):
    assert fmt.si(value, unit) == text


def test_number_and_count_formatting():
    assert fmt.number(0.35) == "0.350"
    assert fmt.number(12.345) == "12.3"
    assert fmt.number(1e-6) == "1.00e-06"
    assert fmt.count(134_515_008) == "134.5M"
    assert fmt.count(460_800) == "460.8k"
    assert fmt.count(7) == "7"


def test_one_estimated_input_makes_an_estimate():
    assert combine(["measured:rapl", "measured:nvml"]).kind == "measured"
    mixed = combine(["measured:rapl", "estimated:rss×0.375W/GB"])
    assert mixed.kind == "estimated" and not mixed.measured
    assert mixed.methods == ("estimated:rss×0.375W/GB", "measured:rapl")
    unknown = combine([])
    assert unknown.kind == "unknown" and not unknown.measured


def test_per_query_figures_take_the_inference_phase_only():
    record = rf.record("j", provenance=rf.MEASURED)
    record["phases"]["load"]["provenance"] = dict(rf.ESTIMATED)
    typed = load_record(record)
    assert figure_provenance(typed, "energy_per_query_j").measured
    assert not figure_provenance(typed, "emissions_g").measured  # every phase


def test_rows_rank_by_quality_and_flag_the_frontier():
    boards = {b.task: b for b in leaderboards(rf.records())}
    sql = boards["text-to-sql"]
    assert [r.job_id for r in sql.rows] == [
        "j-large", "j-small-lora", "j-small", "j-measured", "j-xss",
    ]  # fmt: skip
    assert [r.rank for r in sql.rows] == [1, 2, 3, 4, 5]
    assert {r.job_id for r in sql.rows if r.on_frontier} == {
        "j-large", "j-small-lora", "j-small", "j-measured",
    }  # fmt: skip
    assert [r.job_id for r in sql.failed] == ["j-failed"]
    lora = sql.rows[1]
    assert lora.finetuned and lora.params_trainable.text == "460.8k"
    assert lora.energy_per_1k.value == pytest.approx(1050.0) and lora.energy_per_1k.estimated


def test_lower_is_better_metrics_rank_ascending():
    records = [rf.record("a", quality=0.3), rf.record("b", quality=0.1, inference_j=80.0)]
    for record in records:
        record["higher_is_better"] = False
    board = leaderboards(records)[0]
    assert [r.job_id for r in board.rows] == ["b", "a"]
    assert all(r.on_frontier for r in board.rows)  # b: better but dearer


def test_duplicate_labels_get_the_job_id():
    board = leaderboards([rf.record("a"), rf.record("b")])[0]
    assert [r.label for r in board.rows] == ["small-lm · base (a)", "small-lm · base (b)"]


def test_variant_details_name_the_fine_tuning():
    lora = load_record(rf.record("j", finetune_j=10.0))
    assert variant_details(lora) == "hf · fp32 · none · 32-bit · batch 8 · LoRA r8 α16, 30 steps"


def test_an_index_that_does_not_apply_shows_its_note():
    record = rf.record("j", finetune_j=10.0)
    record["cegi"], record["cegi_note"] = None, "no gain"
    row = leaderboards([record])[0].rows[0]
    assert row.cegi.value is None and row.cegi.text == "no gain"
    assert not row.cegi.estimated


@pytest.mark.parametrize("width", [80, 100, 200])
def test_terminal_leaderboard_fits_and_keeps_the_model_names(width):
    import io

    from rich.console import Console

    from greenbench.report import print_leaderboard

    buffer = io.StringIO()
    print_leaderboard(rf.records()[:4], Console(file=buffer, width=width, color_system=None))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    text = buffer.getvalue()
    for name in ["large-lm · base", "small-lm · lora-r8", "rapl-lm · base"]:
        assert name in text
    assert "10.0 kJ†" in text and "500 J " in text  # estimated marked, measured not
    assert "without †: from measured energy (measured:rapl)" in " ".join(text.split())
    assert ("trainable" in text) == (width == 200)


def test_equal_quality_ranks_the_cheaper_first():
    records = [rf.record("a", quality=0.5, inference_j=80.0), rf.record("b", quality=0.5)]
    assert [r.job_id for r in leaderboards(records)[0].rows] == ["b", "a"]
