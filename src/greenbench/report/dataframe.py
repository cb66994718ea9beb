"""Flat tables of a sweep: one row per job, and one row per evaluated sample.

The same columns go to :meth:`greenbench.Results.to_dataframe` (pandas), ``greenbench report
--format csv`` and ``--format parquet``. Job table columns, in order:

- identity: ``job_id``, ``sweep``, ``status``, ``error``;
- model: ``model``, ``model_kind``, ``model_source``, ``params_total``, ``params_trainable``,
  ``params_active``;
- variant: ``variant``, ``backend``, ``dtype``, ``quantization``, ``bits``, ``batch_size``,
  ``finetune_method``, ``finetune_rank``, ``finetune_steps``;
- task and quality: ``task``, ``samples``, ``primary_metric``, ``higher_is_better``, ``quality``,
  ``quality_ci_low``, ``quality_ci_high`` (the primary metric, 95% bootstrap CI);
- energy: ``energy_basis``, ``energy_estimated``, then per phase (``load``, ``finetune``,
  ``inference``) ``duration_s.<phase>``, ``energy_j.<phase>.<component>`` (gross, J, ``total``
  and each component), ``net_energy_j.<phase>.total`` (J) and ``provenance.<phase>`` (the
  distinct provenance strings, ``; ``-joined);
- emissions: ``emissions_g.<phase>`` and ``emissions_g.total`` (gCO2e), ``carbon_country``,
  ``carbon_intensity_g_per_kwh``, ``pue``;
- indexes: the per-record figures (``energy_per_query_j`` … ``cegi_note``), the task's ``gqi``,
  ``pareto_energy``, ``energy_stars`` (and ``energy_stars_estimated``, ``energy_stars_note``,
  ``hardware_class``);
- latency: ``queries_per_s``, ``generated_tokens_per_s``, ``batch_latency_{mean,p50,p95}_s``,
  ``query_latency_{mean,p50,p95}_s``; tokens: ``tokens_prompt``, ``tokens_generated``;
- provenance of the run: ``meter``, ``started_at``, ``finished_at``, ``host``, ``greenbench``.

Missing figures are empty (None / NaN), never 0. The samples table has ``job_id``, ``model``,
``variant``, ``task``, ``sample_id``, ``prompt``, ``prediction``, ``reference`` (JSON text),
``generated_tokens`` and one ``score.<name>`` column per per-sample score.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import DEFAULT_UNIT
from greenbench.records import JobRecord, load_records
from greenbench.records.per_record import PER_QUERY_FIELDS
from greenbench.records.per_task import task_figures
from greenbench.records.values import primary_quality
from greenbench.safe_text import replace_surrogates

#: Phases in column order (others follow in name order).
PHASES = ("load", "finetune", "inference")
#: Per-record figures copied as they are.
INDEXES = (*PER_QUERY_FIELDS, "cegi", "cegi_gain_pp", "cegi_note")
#: Task figures copied from :meth:`TaskFigures.fields`.
TASK_COLUMNS = (
    "gqi",
    "gqi_unit",
    "pareto_energy",
    "energy_stars",
    "energy_stars_estimated",
    "energy_stars_note",
    "hardware_class",
)
#: Columns of text (the others are numbers or booleans).
TEXT = {
    "job_id", "sweep", "status", "error", "model", "model_kind", "model_source", "variant",
    "backend", "dtype", "quantization", "batch_size", "finetune_method", "task",
    "primary_metric", "energy_basis", "carbon_country", "cegi_note", "gqi_unit",
    "energy_stars_note", "hardware_class", "meter", "started_at", "finished_at", "host",
    "greenbench",
}  # fmt: skip
#: Boolean columns.
BOOLEANS = {"higher_is_better", "energy_estimated", "pareto_energy", "energy_stars_estimated"}


def _phases(record: JobRecord) -> list[str]:
    names = list(record.phases)
    return [p for p in PHASES if p in names] + sorted(p for p in names if p not in PHASES)


def _energy(record: JobRecord) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in _phases(record):
        phase = record.phases[name]
        row[f"duration_s.{name}"] = phase.duration_s
        for component, joules in phase.energy_j.items():
            row[f"energy_j.{name}.{component}"] = joules
        row[f"net_energy_j.{name}.total"] = phase.net_energy_j.get("total")
        row[f"provenance.{name}"] = "; ".join(sorted({p for p in phase.provenance.values() if p}))
    for name, grams in record.emissions_g.items():
        row[f"emissions_g.{name}"] = grams
    return row


def _latency(record: JobRecord) -> dict[str, Any]:
    latency = record.latency
    row: dict[str, Any] = {
        "queries_per_s": latency.queries_per_s if latency else None,
        "generated_tokens_per_s": latency.generated_tokens_per_s if latency else None,
    }
    for prefix, key in (("batch_latency", "batch_s"), ("query_latency", "query_s")):
        spread = getattr(latency, key) if latency else None
        for stat in ("mean", "p50", "p95"):
            row[f"{prefix}_{stat}_s"] = getattr(spread, stat) if spread else None
    return row


def _job_row(record: JobRecord, task: Mapping[str, Any]) -> dict[str, Any]:
    model, variant = record.model, record.variant
    tune = variant.finetune
    quality = primary_quality(record)
    carbon = record.carbon
    env = record.environment or {}
    batch = variant.batch_size
    row: dict[str, Any] = {
        "job_id": record.job_id,
        "sweep": record.sweep,
        "status": record.status,
        "error": record.error,
        "model": model.name,
        "model_kind": model.kind,
        "model_source": model.source,
        "params_total": model.params_total,
        "params_trainable": model.params_trainable,
        "params_active": model.params_active,
        "variant": variant.name,
        "backend": variant.backend,
        "dtype": variant.dtype,
        "quantization": variant.quantization,
        "bits": variant.bits,
        "batch_size": None if batch is None else str(batch),
        "finetune_method": tune.method if tune else None,
        "finetune_rank": tune.rank if tune else None,
        "finetune_steps": tune.steps if tune else None,
        "task": record.task,
        "samples": record.samples,
        "primary_metric": record.primary_metric,
        "higher_is_better": record.higher_is_better,
        "quality": quality.value,
        "quality_ci_low": quality.ci_low,
        "quality_ci_high": quality.ci_high,
        "energy_basis": record.energy_basis,
        "energy_estimated": record.energy_estimated,
        **_energy(record),
        "carbon_country": carbon.country if carbon else None,
        "carbon_intensity_g_per_kwh": carbon.intensity_g_per_kwh if carbon else None,
        "pue": carbon.pue if carbon else None,
        **{key: getattr(record, key) for key in INDEXES},
        **{key: task.get(key) for key in TASK_COLUMNS},
        **_latency(record),
        "tokens_prompt": record.tokens.prompt if record.tokens else None,
        "tokens_generated": record.tokens.generated if record.tokens else None,
        "meter": record.meter,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "host": env.get("host"),
        "greenbench": env.get("greenbench"),
    }
    return row


def job_rows(
    records: Sequence[JobRecord | Mapping[str, Any]], *, gqi_unit: str = DEFAULT_UNIT
) -> list[dict[str, Any]]:
    """One flat dict per job (the module's columns), the task figures over ``records``.

    Every row has every column of :func:`job_columns` (None where it does not apply).
    """
    typed = load_records(records)
    figures = task_figures(typed, gqi_unit=gqi_unit)
    rows = [_job_row(r, figures[str(r.task)].fields(r)) for r in typed]
    columns = job_columns(rows)
    return [{c: row.get(c) for c in columns} for row in rows]


def job_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The union of the rows' columns, in first-seen order, the energy columns of a phase
    kept together (a record with more components adds its columns beside the others)."""
    columns: list[str] = []
    for row in rows:
        for i, key in enumerate(row):
            if key in columns:
                continue
            previous = next((k for k in reversed(list(row)[:i]) if k in columns), None)
            columns.insert(columns.index(previous) + 1 if previous else 0, key)
    return columns


def sample_rows(
    records: Sequence[JobRecord], samples_by_job: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """One flat dict per evaluated sample of each job, in job then sample order."""
    rows = []
    for record in records:
        for sample in samples_by_job.get(record.job_id, []):
            scores = sample.get("scores") or {}
            rows.append(
                {
                    "job_id": record.job_id,
                    "model": record.model.name,
                    "variant": record.variant.name,
                    "task": record.task,
                    "sample_id": sample.get("id"),
                    "prompt": sample.get("prompt"),
                    "prediction": sample.get("prediction"),
                    "reference": json.dumps(sample.get("reference"), ensure_ascii=False),
                    "generated_tokens": sample.get("generated_tokens"),
                    **{f"score.{k}": _number(v) for k, v in scores.items()},
                }
            )
    columns = job_columns(rows)
    return [{c: row.get(c) for c in columns} for row in rows]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def column_kind(name: str) -> str:
    """``text``, ``bool`` or ``number``: how a column of these tables is typed."""
    if name in TEXT or name.startswith("provenance.") or name in SAMPLE_TEXT:
        return "text"
    if name in BOOLEANS:
        return "bool"
    return "number"


#: Text columns of the samples table.
SAMPLE_TEXT = {"sample_id", "prompt", "prediction", "reference"}


def to_frame(rows: Sequence[Mapping[str, Any]]) -> Any:
    """``rows`` as a pandas DataFrame: numbers float64 (NaN where missing), booleans pandas'
    nullable ``boolean``, text ``object`` (str or None).

    Raises:
        GreenbenchError: pandas is not installed (the ``pandas`` extra).
    """
    try:
        import pandas as pd
    except ImportError:
        raise GreenbenchError("DataFrames need pandas: pip install 'greenbench[pandas]'") from None
    columns = job_columns(rows)
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for name in columns:
        kind = column_kind(name)
        if kind == "number":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        elif kind == "bool":
            frame[name] = frame[name].astype("boolean")
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def write_csv(rows: Sequence[Mapping[str, Any]], path: str | Path | None) -> str:
    """``rows`` as CSV (header row; cells a spreadsheet would run as formulas are quoted with a
    leading apostrophe); written to ``path`` unless None. Returns the text."""
    from greenbench.report.export import _csv_safe

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=job_columns(rows), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    text = replace_surrogates(buffer.getvalue())
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def write_parquet(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """``rows`` as a Parquet file typed as :func:`to_frame` types them.

    Raises:
        GreenbenchError: pyarrow is not installed (the ``export`` extra).
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise GreenbenchError(
            "--format parquet needs pyarrow: pip install 'greenbench[export]'"
        ) from None
    types = {"text": pa.string(), "bool": pa.bool_(), "number": pa.float64()}
    columns = job_columns(rows)
    schema = pa.schema([(c, types[column_kind(c)]) for c in columns])
    data = [{c: _typed(c, row.get(c)) for c in columns} for row in rows]
    pq.write_table(pa.Table.from_pylist(data, schema=schema), str(path))
    return Path(path)


def _typed(column: str, value: Any) -> Any:
    if value is None:
        return None
    kind = column_kind(column)
    if kind == "number":
        return _number(value)
    if kind == "text":
        return replace_surrogates(str(value))
    return bool(value)
