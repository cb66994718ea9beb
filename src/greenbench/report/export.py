"""Exports: JSON (the job records), CSV and Parquet (one row per job × metric), Markdown
leaderboards.

The long table has the columns of :data:`LONG_COLUMNS`; each row is one figure of one job with
its unit and provenance, so a spreadsheet or dataframe can filter measured from estimated.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import DEFAULT_UNIT
from greenbench.records import JobRecord, load_records
from greenbench.records.per_task import TaskFigures, task_figures, with_task_fields
from greenbench.records.values import as_float
from greenbench.report.provenance import (
    Provenance,
    combine,
    figure_provenance,
    phase_provenance,
)
from greenbench.report.tables import COLUMNS, Cell, leaderboards
from greenbench.report.terminal import provenance_notes
from greenbench.safe_text import replace_surrogates

#: Columns of the long table, in order.
LONG_COLUMNS = [
    "job_id", "sweep", "task", "model", "variant", "status",
    "metric", "value", "ci_low", "ci_high", "unit", "provenance", "method",
]  # fmt: skip

#: Record-level figures exported when not null: key -> unit (``gqi`` from the task's figures).
INDEX_UNITS = {
    "energy_per_query_j": "J",
    "emissions_per_query_g": "gCO2e",
    "energy_per_1k_queries_j": "J",
    "energy_per_token_j": "J",
    "energy_per_correct_j": "J",
    "quality_per_kwh": "quality/kWh",
    "cegi": "gCO2e/pp/Mparams",
    "gqi": "index",
}


def _figures(
    record: JobRecord, task: TaskFigures
) -> Iterator[tuple[str, float, str, Provenance | None, dict]]:
    """(metric, value, unit, provenance, extra columns) for every figure of ``record``."""
    for name, q in record.quality.items():
        if q.value is not None:
            yield f"quality.{name}", q.value, "", None, {"ci_low": q.ci_low, "ci_high": q.ci_high}
    for key in ("params_total", "params_trainable", "params_active"):
        if (count := getattr(record.model, key)) is not None:
            yield key, float(count), "params", None, {}
    for phase, data in record.phases.items():
        if data.duration_s is not None:
            yield f"duration_s.{phase}", data.duration_s, "s", None, {}
        for field in ("energy_j", "net_energy_j"):
            for component, value in getattr(data, field).items():
                if value is None:
                    continue
                sources = (
                    data.provenance.values()
                    if component == "total"
                    else [data.provenance.get(component)]
                )
                yield f"{field}.{phase}.{component}", value, "J", combine(sources), {}
    for key, value in record.emissions_g.items():
        if value is not None:
            phases = None if key == "total" else [key]
            yield f"emissions_g.{key}", value, "gCO2e", phase_provenance(record, phases), {}
    rated = task.gqi.get(record.job_id)
    indexes = {key: getattr(record, key, None) for key in INDEX_UNITS}
    indexes["gqi"] = rated.value if rated else None
    for key, unit in INDEX_UNITS.items():
        if indexes[key] is not None:
            yield key, float(indexes[key]), unit, figure_provenance(record, key), {}
    if record.samples is not None:
        yield "samples", float(record.samples), "queries", None, {}
    if record.tokens is not None:
        for key, value in record.tokens.model_dump(exclude_unset=True).items():
            if (count := as_float(value)) is not None:
                yield f"tokens.{key}", count, "tokens", None, {}


def long_rows(
    records: Sequence[JobRecord | Mapping[str, Any]], *, gqi_unit: str = DEFAULT_UNIT
) -> list[dict]:
    """One dict per job × figure with the keys of :data:`LONG_COLUMNS`.

    ``provenance`` is ``measured``, ``estimated`` or ``unknown`` for energy-derived figures and
    empty for quality and counts; ``method`` lists the provenance strings behind it. Lone
    surrogates in strings are replaced (``safe_text``), so CSV and Parquet can encode them.
    """
    typed = load_records(records)
    figures = task_figures(typed, gqi_unit=gqi_unit)
    rows = []
    for record in typed:
        base = {
            "job_id": record.job_id,
            "sweep": record.sweep or "",
            "task": str(record.task),
            "model": record.model.name or "",
            "variant": record.variant.name or "",
            "status": str(record.status),
        }
        for metric, value, unit, prov, extra in _figures(record, figures[str(record.task)]):
            rows.append(
                {
                    **base,
                    "metric": metric,
                    "value": value,
                    "ci_low": extra.get("ci_low"),
                    "ci_high": extra.get("ci_high"),
                    "unit": unit,
                    "provenance": prov.kind if prov else "",
                    "method": "; ".join(prov.methods) if prov else "",
                }
            )
    return [
        {k: replace_surrogates(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows
    ]


def to_json(
    records: Sequence[JobRecord | Mapping[str, Any]], *, gqi_unit: str = DEFAULT_UNIT
) -> str:
    """The job records as a JSON list with their per-task figures (the format of
    ``results.json``, ``docs/records.md``)."""
    text = json.dumps(
        with_task_fields(records, gqi_unit=gqi_unit), indent=2, ensure_ascii=False, default=str
    )
    return replace_surrogates(text) + "\n"


#: First characters that make a spreadsheet read a CSV cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value: object) -> object:
    """Strings a spreadsheet would run as formulas get a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(
    records: Sequence[JobRecord | Mapping[str, Any]], *, gqi_unit: str = DEFAULT_UNIT
) -> str:
    """The long table (:func:`long_rows`) as CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LONG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in long_rows(records, gqi_unit=gqi_unit):
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def write_parquet(
    records: Sequence[JobRecord | Mapping[str, Any]],
    path: str | Path,
    *,
    gqi_unit: str = DEFAULT_UNIT,
) -> Path:
    """Write the long table (:func:`long_rows`) as a Parquet file.

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
    strings = [c for c in LONG_COLUMNS if c not in ("value", "ci_low", "ci_high")]
    schema = pa.schema(
        [(c, pa.float64() if c not in strings else pa.string()) for c in LONG_COLUMNS]
    )
    table = pa.Table.from_pylist(long_rows(records, gqi_unit=gqi_unit), schema=schema)
    pq.write_table(table, str(path))
    return Path(path)


def _md(text: object) -> str:
    """Record text made inert in Markdown: HTML escaped, table and emphasis syntax escaped."""
    escaped = html.escape(" ".join(str(text).split()), quote=False)
    for char in "\\`*_[]|#":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def _md_cell(value: object) -> str:
    if isinstance(value, Cell):
        return f"*{_md(value.text)}*†" if value.estimated else _md(value.text)
    return _md(value)


def to_markdown(
    records: Sequence[JobRecord | Mapping[str, Any]], *, gqi_unit: str = DEFAULT_UNIT
) -> str:
    """One Markdown leaderboard per task; estimated figures italic with †, methods below."""
    if not records:
        return "No jobs recorded.\n"
    parts = []
    for board in leaderboards(records, gqi_unit=gqi_unit):
        direction = "higher" if board.higher_is_better else "lower"
        parts.append(f"## {_md(board.task)}\n")
        parts.append(f"Primary metric `{_md(board.metric)}` ({direction} is better).\n")
        if board.rows:
            headers = [board.metric if a == "quality" else h for h, a in COLUMNS]
            parts.append("| " + " | ".join(_md(h) for h in headers) + " |")
            parts.append(
                "|" + "|".join("---" if a == "label" else "---:" for _, a in COLUMNS) + "|"
            )
            for row in board.rows:
                cells = [_md_cell(getattr(row, a)) for _, a in COLUMNS]
                if row.on_frontier:
                    cells[1] += " ★"
                parts.append("| " + " | ".join(cells) + " |")
            parts.append("")
            parts.append("★ on the Pareto frontier (quality vs energy per query).")
            parts.extend(f"{_md(note)}." for note in provenance_notes(board))
        for record in board.failed:
            error = record.error or "no error recorded"
            parts.append(f"- failed: `{_md(record.job_id)}` {_md(error)}")
        parts.append("")
    return replace_surrogates("\n".join(parts))
