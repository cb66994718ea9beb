"""Sweeps logged to a real MLflow file store, read back with ``mlflow.search_runs``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
import report_fixtures as rf

import greenbench

mlflow = pytest.importorskip("mlflow")


@pytest.fixture
def tracking(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def test_each_job_is_a_nested_run_with_params_metrics_tags_and_samples(tmp_path, tracking):
    run_dir = rf.build_store(tmp_path / "sweep", rf.records(), rf.samples_by_job(), rf.META)
    results = greenbench.load(run_dir)
    parent_id = results.log_mlflow(tracking, experiment="study")

    mlflow.set_tracking_uri(tracking)
    runs = mlflow.search_runs(experiment_names=["study"])
    children = runs[runs["tags.mlflow.parentRunId"] == parent_id].set_index("tags.job_id")
    assert len(runs) == len(rf.records()) + 1
    assert sorted(children.index) == sorted(r["job_id"] for r in rf.records())
    lora = children.loc["j-small-lora"]
    assert lora["tags.mlflow.runName"] == "small-lm/lora-r8@text-to-sql"
    assert (lora["params.model"], lora["params.variant"], lora["params.task"]) == (
        "small-lm", "lora-r8", "text-to-sql",
    )  # fmt: skip
    assert lora["params.carbon_country"] == "FRA" and lora["params.finetune_method"] == "lora"
    assert lora["metrics.quality"] == pytest.approx(0.62)
    assert lora["metrics.quality_ci_low"] == pytest.approx(0.52)
    assert lora["metrics.quality.execution_accuracy"] == pytest.approx(0.62)
    assert lora["metrics.energy_j.finetune.total"] == pytest.approx(900.0)
    assert lora["metrics.energy_j.inference.total"] == pytest.approx(42.0)
    assert lora["metrics.emissions_g.total"] > 0
    assert lora["metrics.energy_per_query_j"] == pytest.approx(42.0 / 40)
    assert lora["metrics.cegi"] == pytest.approx(0.0123)
    assert lora["tags.status"] == "ok"
    assert lora["tags.provenance.inference"].startswith("estimated:")
    # a figure that does not apply is not logged (MLflow has no null), never logged as 0
    assert children.loc["j-small"]["metrics.cegi"] != children.loc["j-small"]["metrics.cegi"]
    assert children.loc["j-failed"]["tags.status"] == "failed"

    client = mlflow.tracking.MlflowClient(tracking)
    run_id = children.loc["j-small-lora"]["run_id"]
    path = client.download_artifacts(run_id, "samples.jsonl", str(tmp_path / "dl"))
    logged = [json.loads(line) for line in Path(path).read_text().splitlines()]
    assert [s["id"] for s in logged] == [s["id"] for s in rf.samples_by_job()["j-small-lora"]]
