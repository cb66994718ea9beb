"""The study tables (:mod:`greenbench.report.studies`) as Markdown, CSV, the data of the HTML
report's study section, and the CEGI plot (CEGI against LoRA rank, one trace per bit width).

Text from records (model and variant names, notes) is escaped for Markdown and guarded against
spreadsheet formulas in CSV; the HTML template escapes it (autoescape).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from greenbench.report import formatting as fmt
from greenbench.report.export import _csv_safe, _md
from greenbench.report.studies import StudyTable

#: Study -> one line under its title: what the rows are and where the method is documented.
CAPTIONS = {
    "cegi": (
        "CEGI (Kumar et al., 2024): fine-tuning emissions per percentage point of gain per "
        "million trainable parameters, lower is better; ΔP interval from the two 95% CIs "
        "(docs/metrics.md)."
    ),
    "slm-vs-llm": (
        "SLMs vs LLMs (Garg et al., 2025): per-query emissions of each fine-tuned small model "
        "and each model not fine-tuned on the task; break-even = queries after which the "
        "fine-tuning is repaid (docs/metrics.md)."
    ),
    "watt-for-what": (
        "Watt for what (Gowda et al.): accuracy against training (the fine-tuning phase, or "
        "a training run attached by greenbench measure --attach; gross) and test (inference) "
        "electricity; GQI in one unit for the report (docs/metrics.md)."
    ),
}


def cell_text(value: Any) -> str:
    """A table value for people: 3 significant digits, an em dash for None."""
    if value is None:
        return fmt.DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return fmt.number(value)
    return str(value)


def to_markdown(tables: Sequence[StudyTable]) -> str:
    """One Markdown table per task under the study's caption."""
    if not tables:
        return "No jobs recorded.\n"
    parts = [f"# Study: {_md(tables[0].study)}\n", CAPTIONS[tables[0].study] + "\n"]
    for table in tables:
        parts.append(f"## {_md(table.task)}\n")
        if not table.rows:
            parts.append("No rows: the sweep has no jobs this study compares.\n")
            continue
        parts.append("| " + " | ".join(_md(c) for c in table.columns) + " |")
        parts.append("|" + "|".join("---" for _ in table.columns) + "|")
        for row in table.rows:
            parts.append("| " + " | ".join(_md(cell_text(v)) for v in row) + " |")
        parts.append("")
    return "\n".join(parts)


def to_csv(tables: Sequence[StudyTable]) -> str:
    """Every row of every task as CSV: ``study``, ``task``, then the study's columns (raw
    numbers, empty for None)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if tables:
        writer.writerow(["study", "task", *tables[0].columns])
    for table in tables:
        for row in table.rows:
            values = ["" if v is None else v for v in row]
            writer.writerow([_csv_safe(v) for v in (table.study, table.task, *values)])
    return buffer.getvalue()


def html_view(tables: Sequence[StudyTable]) -> dict[str, Any]:
    """What the report template's study section shows: caption, and per task the column
    names and the rows as text (escaped by the template)."""
    return {
        "study": tables[0].study if tables else None,
        "caption": CAPTIONS[tables[0].study] if tables else None,
        "tables": [
            {
                "task": t.task,
                "columns": list(t.columns),
                "rows": [[cell_text(v) for v in row] for row in t.rows],
            }
            for t in tables
        ],
    }


def cegi_plot(tables: Sequence[StudyTable]) -> go.Figure:
    """CEGI against LoRA rank, one trace per task and bit width (rows with a CEGI only)."""
    figure = go.Figure()
    for table in tables:
        columns = list(table.columns)
        rank, bits = columns.index("LoRA rank"), columns.index("bits")
        value = next(i for i, c in enumerate(columns) if c.startswith("CEGI"))
        by_bits: dict[Any, list[tuple[Any, ...]]] = {}
        for row in table.rows:
            if row[value] is not None and row[rank] is not None:
                by_bits.setdefault(row[bits], []).append(row)
        for width, rows in sorted(by_bits.items(), key=lambda item: str(item[0])):
            rows.sort(key=lambda r: r[rank])
            figure.add_trace(
                go.Scatter(
                    x=[r[rank] for r in rows],
                    y=[r[value] for r in rows],
                    mode="lines+markers",
                    name=f"{table.task} · {width}-bit",
                    text=[str(r[0]) for r in rows],
                )
            )
    figure.update_layout(
        title="CEGI by LoRA rank and bits (lower is better)",
        xaxis_title="LoRA rank",
        yaxis_title="CEGI (gCO2e / pp / M params)",
        template="plotly_white",
    )
    return figure
