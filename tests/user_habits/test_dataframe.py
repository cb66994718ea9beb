"""``greenbench.load(DIR).to_dataframe()``, the samples table, and ``report --format
csv|parquet`` writing the same columns."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
import report_fixtures as rf

import greenbench
from greenbench.cli.main import main

pd = pytest.importorskip("pandas")


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return rf.build_store(tmp_path, rf.records(), rf.samples_by_job(), rf.META)


def test_one_row_per_job_with_flat_typed_columns(run_dir):
    frame = greenbench.load(run_dir).to_dataframe()
    assert list(frame["job_id"]) == [r["job_id"] for r in rf.records()]
    for column in (
        "model", "variant", "dtype", "quantization", "bits", "batch_size", "finetune_rank",
        "task", "primary_metric", "quality", "quality_ci_low", "quality_ci_high",
        "energy_j.inference.total", "energy_j.inference.cpu", "energy_j.load.total",
        "net_energy_j.inference.total", "duration_s.inference", "provenance.inference",
        "emissions_g.total", "emissions_g.inference", "energy_per_query_j", "cegi", "gqi",
        "pareto_energy", "energy_stars", "queries_per_s", "query_latency_p95_s", "host",
    ):  # fmt: skip
        assert column in frame.columns, column
    numbers = [
        "quality", "quality_ci_low", "energy_j.inference.total", "emissions_g.total",
        "energy_per_query_j", "bits", "params_total", "energy_stars", "queries_per_s",
    ]  # fmt: skip
    assert all(frame[c].dtype == "float64" for c in numbers)
    assert frame["pareto_energy"].dtype == "boolean"
    assert frame["model"].dtype == object and frame["batch_size"].tolist()[0] == "8"
    by_id = frame.set_index("job_id")
    small = by_id.loc["j-small"]
    assert small["quality"] == pytest.approx(0.40) and small["quality_ci_high"] == pytest.approx(
        0.5
    )
    assert small["energy_j.inference.total"] == pytest.approx(40.0)
    assert small["provenance.inference"] == "estimated:cpu-time×tdp(65W); estimated:rss×0.375W/GB"
    # a figure that does not apply is missing, never 0
    assert pd.isna(by_id.loc["j-small", "cegi"]) and pd.isna(by_id.loc["j-failed", "quality"])
    assert pd.isna(by_id.loc["j-small", "energy_j.finetune.total"])
    assert by_id.loc["j-small-lora", "energy_j.finetune.total"] == pytest.approx(900.0)
    assert by_id.loc["j-small-lora", "finetune_method"] == "lora"
    assert by_id.loc["j-failed", "status"] == "failed"


def test_the_samples_table_has_a_row_per_sample_with_scores(run_dir):
    results = greenbench.load(run_dir)
    frame = results.samples_dataframe()
    expected = sum(len(v) for v in rf.samples_by_job().values())
    assert len(frame) == expected
    assert {"job_id", "model", "task", "sample_id", "prompt", "prediction", "reference"} <= set(
        frame.columns
    )
    assert any(c.startswith("score.") for c in frame.columns)
    assert all(frame[c].dtype == "float64" for c in frame.columns if c.startswith("score."))


def test_report_csv_and_parquet_have_the_dataframes_columns(run_dir, capsys):
    frame = greenbench.load(run_dir).to_dataframe()
    assert main(["report", str(run_dir), "--format", "csv", "--out", "-"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == list(frame.columns)
    assert [r["job_id"] for r in rows] == list(frame["job_id"])
    assert rows[0]["cegi"] == ""  # null, not 0
    pq = pytest.importorskip("pyarrow.parquet")
    assert main(["report", str(run_dir), "--format", "parquet"]) == 0
    table = pq.read_table(run_dir / "report.parquet").to_pandas()
    assert list(table.columns) == list(frame.columns)
    assert table["quality"].tolist()[:2] == pytest.approx(frame["quality"].tolist()[:2])
    capsys.readouterr()
    assert (
        main(["report", str(run_dir), "--format", "csv", "--table", "samples", "--out", "-"]) == 0
    )
    samples = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(samples[0]) == list(greenbench.load(run_dir).samples_dataframe().columns)
