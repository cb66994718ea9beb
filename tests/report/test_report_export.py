"""Exports: the long CSV/Parquet table, JSON records, Markdown leaderboards."""

from __future__ import annotations

import csv
import io
import json

import pytest
import report_fixtures as rf

from greenbench.records import SCHEMA_VERSION
from greenbench.records.per_task import TASK_FIELDS
from greenbench.report.export import (
    LONG_COLUMNS,
    long_rows,
    to_csv,
    to_json,
    to_markdown,
    write_parquet,
)


def _by(rows, job_id, metric):
    found = [r for r in rows if r["job_id"] == job_id and r["metric"] == metric]
    assert len(found) == 1, (job_id, metric)
    return found[0]


def test_long_rows_are_one_per_job_and_metric():
    rows = long_rows(rf.records())
    keys = [(r["job_id"], r["metric"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert all(list(r) == LONG_COLUMNS for r in rows)
    quality = _by(rows, "j-large", "quality.execution_accuracy")
    assert quality["value"] == 0.66 and quality["ci_low"] == pytest.approx(0.56)
    energy = _by(rows, "j-small", "energy_j.inference.total")
    assert energy["value"] == 40.0 and energy["unit"] == "J"
    assert energy["provenance"] == "estimated" and "cpu-time×tdp(65W)" in energy["method"]
    measured = _by(rows, "j-measured", "energy_per_query_j")
    assert measured["value"] == 0.5 and measured["provenance"] == "measured"
    assert _by(rows, "j-small-lora", "cegi")["value"] == 0.0123
    # indexes that do not apply are left out, not written as empty rows
    assert not [r for r in rows if r["job_id"] == "j-small" and r["metric"] == "cegi"]
    # failed jobs keep what they measured
    assert _by(rows, "j-failed", "energy_j.load.total")["status"] == "failed"


def test_csv_has_a_header_and_every_row():
    text = to_csv(rf.records())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == LONG_COLUMNS
    assert len(rows) == len(long_rows(rf.records()))
    row = _by(rows, "j-small", "emissions_g.total")
    assert float(row["value"]) == pytest.approx(rf.job_emissions_g(rf.records()[0]))


def test_parquet_round_trips(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = write_parquet(rf.records(), tmp_path / "r.parquet")
    table = pq.read_table(path)
    assert table.column_names == LONG_COLUMNS
    assert table.num_rows == len(long_rows(rf.records()))
    assert str(table.schema.field("value").type) == "double"


def test_json_is_the_record_list():
    exported = json.loads(to_json(rf.records()))
    assert len(exported) == len(rf.records())
    for out, original in zip(exported, rf.records(), strict=True):
        # every stored field as it was, at the current schema; the task's figures over this set
        task = {k: out[k] for k in TASK_FIELDS if k in out}  # answer checks: kept answers only
        emissions = {**original["emissions_g"], "total": rf.job_emissions_g(original)}
        assert out == {**original, "schema": SCHEMA_VERSION, "emissions_g": emissions, **task}
    by_id = {r["job_id"]: r for r in exported}
    assert by_id["j-large"]["pareto_energy"] is True and by_id["j-xss"]["pareto_energy"] is False
    assert by_id["j-sum"]["gqi"] is None and by_id["j-small"]["gqi_unit"] == "kWh"


def test_markdown_has_a_leaderboard_per_task_with_estimates_marked():
    text = to_markdown(rf.records())
    assert "## summarization" in text and "## text-to-sql" in text
    lines = text.splitlines()
    measured = next(line for line in lines if "rapl-lm" in line)
    estimated = next(line for line in lines if "large-lm" in line)
    assert "†" not in measured and "500 J" in measured
    assert "*10.0 kJ*†" in estimated
    assert "† estimated: estimated:cpu-time×tdp(65W); estimated:rss×0.375W/GB." in text
    assert any(line.startswith("- failed: `j-failed`") for line in lines)
