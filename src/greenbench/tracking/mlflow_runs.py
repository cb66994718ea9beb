"""Log a sweep to MLflow: the sweep as a parent run, each job as a nested run.

Each job's run holds (from the job table of :mod:`greenbench.report.dataframe`, so MLflow shows
the figures the DataFrame and the CSV show):

- params: model, variant and task fields, sample limit, location (``carbon_country``,
  ``carbon_intensity_g_per_kwh``, ``pue``);
- metrics: every number of the job table that is not null — quality (``quality``,
  ``quality_ci_low``, ``quality_ci_high``, and each metric as ``quality.<name>``), energy per
  phase and component (J), emissions (gCO2e), indexes, energy rating, latency and throughput;
- tags: ``job_id``, ``status``, ``error``, the provenance of each phase's energy,
  ``energy_estimated``, ``hardware_class``, ``greenbench`` version, host;
- an artifact ``samples.jsonl``: the job's per-sample log.

Null figures are left out (MLflow has no null metric), never logged as 0.

The default tracking URI is a local ``./mlruns`` file store (no server). MLflow 3 keeps its
file store in maintenance mode and refuses it unless ``MLFLOW_ALLOW_FILE_STORE=true``;
greenbench sets that variable (when unset) only for a ``file:`` URI it is given or defaults to.
A database URI (``sqlite:///mlflow.db``, needs the full ``mlflow`` package) or a server URL
works as MLflow documents.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord

#: Tracking URI when none is given: a file store in the working directory.
DEFAULT_DIR = "mlruns"
#: Job-table columns logged as params (the rest of the text columns go to tags).
PARAM_COLUMNS = (
    "model", "model_kind", "model_source", "variant", "backend", "dtype", "quantization",
    "bits", "batch_size", "finetune_method", "finetune_rank", "finetune_steps", "task",
    "primary_metric", "samples", "carbon_country", "carbon_intensity_g_per_kwh", "pue",
    "meter", "sweep",
)  # fmt: skip
#: Text columns logged as tags.
TAG_COLUMNS = (
    "job_id", "status", "error", "energy_basis", "energy_estimated", "hardware_class",
    "energy_stars_note", "cegi_note", "greenbench", "host",
)  # fmt: skip


def tracking_uri(uri: str | None) -> str:
    """``uri``, or the ``./mlruns`` file store; a plain path becomes a ``file:`` URI."""
    target = uri or DEFAULT_DIR
    if "://" in target or target.startswith("file:"):
        return target
    return Path(target).resolve().as_uri()


def require_mlflow() -> Any:
    """The ``mlflow`` module.

    Raises:
        GreenbenchError: it is not installed (the ``mlflow`` extra).
    """
    try:
        import mlflow
    except ImportError:
        raise GreenbenchError("--mlflow needs MLflow: pip install 'greenbench[mlflow]'") from None
    return mlflow


def _name(key: str) -> str:
    """A metric/param/tag name MLflow accepts (letters, digits, ``_ - . / :`` and space)."""
    return re.sub(r"[^\w\-./: ]", "_", key)


def _split(row: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """(params, metrics, tags) of one job-table row; nulls left out."""
    from greenbench.report.dataframe import column_kind

    params = {k: row[k] for k in PARAM_COLUMNS if row.get(k) is not None}
    tags = {k: row[k] for k in TAG_COLUMNS if row.get(k) is not None}
    tags.update({k: v for k, v in row.items() if k.startswith("provenance.") and v})
    metrics = {
        _name(k): float(v)
        for k, v in row.items()
        if k not in params
        and column_kind(k) in ("number", "bool")
        and isinstance(v, (int, float))
        and v == v  # not NaN
    }
    return params, metrics, {k: str(v) for k, v in tags.items()}


def log_sweep(
    records: Sequence[JobRecord],
    samples_by_job: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    sweep: str,
    uri: str | None = None,
    experiment: str = "greenbench",
) -> str:
    """Log ``records`` as nested runs under one parent run named ``sweep``; return the parent
    run's id.

    Raises:
        GreenbenchError: mlflow is not installed (the ``mlflow`` extra).
    """
    mlflow = require_mlflow()
    from greenbench.report.dataframe import job_rows

    target = tracking_uri(uri)
    if target.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(target)
    mlflow.set_experiment(experiment)
    rows = {row["job_id"]: row for row in job_rows(records)}
    with mlflow.start_run(run_name=sweep) as parent:
        mlflow.log_params({"sweep": sweep, "jobs": len(records)})
        for record in records:
            params, metrics, tags = _split(rows[record.job_id])
            for name, value in record.quality.items():
                if value.value is not None:
                    metrics[_name(f"quality.{name}")] = float(value.value)
            label = f"{record.model.name}/{record.variant.name}@{record.task}"
            with mlflow.start_run(run_name=label, nested=True):
                mlflow.log_params(params)
                mlflow.log_metrics(metrics)
                mlflow.set_tags(tags)
                logs = samples_by_job.get(record.job_id) or []
                text = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in logs)
                mlflow.log_text(text, "samples.jsonl")
        return parent.info.run_id
