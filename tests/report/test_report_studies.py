"""The three studies' tables (``greenbench report DIR --study``) on a constructed results
store: values from the records' own figures, Markdown and CSV exports, the HTML section."""

from __future__ import annotations

import csv
import io

import pytest
import study_fixtures as sf
from report_dom import parse_html

from greenbench.cli import main as cli
from greenbench.report import render_html
from greenbench.report.studies import study_tables

KWH = 3.6e6
#: Fine-tuning emissions of a J-joule phase at the fixtures' 56 g/kWh and PUE 1.2.
G_PER_J = 56.0 * 1.2 / KWH


@pytest.fixture()
def run_dir(tmp_path):
    return sf.build(tmp_path, cegi_basis="gross")


def rows_by(table, column):
    index = table.columns.index(column)
    return {row[index]: row for row in table.rows}


def test_cegi_table_per_model_bits_and_rank():
    (table,) = study_tables("cegi", sf.records(), cegi_basis="gross")
    assert table.task == "text-to-sql"
    rows = {(r[1], r[2]): r for r in table.rows}  # (bits, rank)
    assert set(rows) == {(16, 8), (16, 64), (4, 8)}
    r8 = rows[(16, 8)]
    assert r8[3] == pytest.approx(10.0)  # ΔP: 0.40 -> 0.50
    assert (r8[4], r8[5]) == (pytest.approx(6.0), pytest.approx(14.0))  # [0.48-0.42, 0.52-0.38]
    assert r8[6] == pytest.approx(900 * G_PER_J)  # gross fine-tuning emissions
    assert r8[7] == pytest.approx(0.4608)  # trainable params, M
    assert r8[8] == pytest.approx(900 * G_PER_J / (10.0 * 0.4608))
    assert r8[9] is None
    # r64: 0.40 [0.38, 0.42] -> 0.42 [0.37, 0.47]: the gain lies in the CIs' overlap
    assert rows[(16, 64)][8] is not None and rows[(16, 64)][9] == "gain not significant"


def test_cegi_net_basis_says_when_there_is_no_net_figure():
    # the fixtures measured no idle baseline (gross records): no net CEGI, and why
    (table,) = study_tables("cegi", sf.records(), cegi_basis="net")
    for row in table.rows:
        assert row[8] is None and row[9] == "no net figure: the sweep took no idle baseline"


def test_slm_vs_llm_pairs_each_finetuned_model_with_each_llm():
    (table,) = study_tables("slm-vs-llm", sf.records())
    assert len(table.rows) == 3  # three fine-tuned variants x one model never fine-tuned
    row = next(r for r in table.rows if r[0].endswith("lora-r8"))
    assert row[1].startswith("large") and (row[2], row[3]) == (0.50, 0.55)
    small, large = 40 * G_PER_J / 40, 4000 * G_PER_J / 40  # per query: 40 samples
    assert (row[4], row[5]) == (pytest.approx(small), pytest.approx(large))
    assert row[6] == pytest.approx(100.0)
    assert row[7] == 10  # ceil(900 g-equivalent / (large - small)) = ceil(9.09)
    assert "LLM energy estimated" in row[8]


def test_watt_for_what_model_by_hardware_with_training_and_test_electricity():
    (table,) = study_tables("watt-for-what", sf.records(), gqi_unit="J")
    rows = {r[0] + " " + r[1]: r for r in table.rows}
    r8 = rows["small-lm lora-r8"]
    assert r8[2] == "Test CPU 9000" and r8[3] == 0.50
    assert r8[4] == pytest.approx(900 / KWH) and r8[5] == pytest.approx(40 / KWH)
    assert r8[6] is not None  # 40 J in joules: rated
    llm = next(r for key, r in rows.items() if key.startswith("large"))
    assert llm[2] == "NVIDIA H100 80GB HBM3" and llm[4] is None
    assert "no training phase" in llm[7]
    # in kWh (the default) these CPU-sized energies lie below the singularity: no GQI, why
    (kwh,) = study_tables("watt-for-what", sf.records())
    assert all(r[6] is None and "<= 1 kWh" in r[7] for r in kwh.rows)


def test_markdown_and_csv_exports(run_dir, capsys):
    assert cli.main(["report", str(run_dir), "--study", "cegi", "--format", "md"]) == 0
    text = (run_dir / "study-cegi.md").read_text()
    assert text.startswith("# Study: cegi")
    assert "| model | bits | LoRA rank | ΔP (pp) |" in text and "gain not significant" in text
    capsys.readouterr()
    args = ["report", str(run_dir), "--study", "slm-vs-llm", "--format", "csv", "--out", "-"]
    assert cli.main(args) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 3 and rows[0]["study"] == "slm-vs-llm"
    assert float(rows[0]["LLM/SLM emissions"]) == pytest.approx(100.0)
    # hostile model names stay text in Markdown
    assert cli.main(["report", str(run_dir), "--study", "slm-vs-llm", "--format", "md"]) == 0
    assert "<img" not in (run_dir / "study-slm-vs-llm.md").read_text()


def test_cegi_basis_comes_from_the_config_or_the_flag(tmp_path, capsys):
    run = sf.build(tmp_path, cegi_basis="gross")
    assert cli.main(["report", str(run), "--study", "cegi", "--format", "csv", "--out", "-"]) == 0
    gross = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert all(r["CEGI, gross (gCO2e/pp/M)"] for r in gross)
    args = ["report", str(run), "--study", "cegi", "--format", "csv", "--out", "-"]
    assert cli.main([*args, "--cegi-basis", "net"]) == 0
    net = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert not any(r["CEGI, net (gCO2e/pp/M)"] for r in net)


def test_study_with_a_format_it_has_not_is_a_user_error(run_dir, capsys):
    assert cli.main(["report", str(run_dir), "--study", "cegi", "--format", "json"]) == 2
    assert "use md, csv or html" in capsys.readouterr().err


def test_html_section_when_the_config_names_the_study():
    meta = {"config": {"study": "watt-for-what"}}
    page = parse_html(render_html(sf.records(), {}, meta, gqi_unit="J"))
    (section,) = page.find_all("section", id="study")
    assert section.attrs["data-study"] == "watt-for-what"
    table = section.find("table")
    assert [th.text for th in table.find_all("th")][:3] == ["model", "variant", "hardware"]
    assert len(table.find("tbody").find_all("tr")) == 6
    # no study named: no section
    assert not parse_html(render_html(sf.records(), {}, {})).find_all("section", id="study")


def test_a_head_probe_has_no_lora_rank_in_the_cegi_table():
    rows = sf.raw_records()
    tuned = next(r for r in rows if r["job_id"] == "j-r8-16")
    tuned["variant"]["finetune"]["method"] = "head"
    (table,) = study_tables("cegi", rows)
    probe = next(r for r in table.rows if r[1] == 16 and r[2] is None)
    assert probe[0] == "small-lm"
    assert sorted(r[2] for r in table.rows if r[2] is not None) == [8, 64]
