"""Reports of a store of ad-hoc measurements: windows recorded by ``@greenbench.measured`` and
commands recorded by ``greenbench measure --out`` (``ResultsStore.measurements()``).

One row per measurement, columns: ``id``, ``created_at``, ``name`` (the window), ``function``
(a decorated call's ``module.qualname``), ``command`` (a measured command line),
``exit_status``, ``error`` (the exception a decorated call raised), ``duration_s``,
``energy_j.total`` and ``energy_j.<component>`` (J), ``provenance`` (component=method, ``; ``
-joined), ``emissions_g`` (gCO2e), ``carbon_country``, ``carbon_intensity_g_per_kwh``, ``pue``.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from greenbench.report import formatting as fmt


def measurement_rows(stored: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One flat dict per stored measurement (the module's columns), every row every column."""
    rows = []
    for item in stored:
        m = item["measurement"]
        carbon = item.get("carbon") or {}
        command = item.get("command")
        row = {
            "id": item.get("id"),
            "created_at": item.get("created_at"),
            "name": m.get("name"),
            "function": m.get("function"),
            "command": shlex.join(command) if command else None,
            "exit_status": item.get("exit_status"),
            "error": m.get("error"),
            "duration_s": m.get("duration_s"),
            **{f"energy_j.{k}": v for k, v in m.get("energy_j", {}).items()},
            "provenance": "; ".join(f"{k}={v}" for k, v in (m.get("provenance") or {}).items()),
            "emissions_g": item.get("emissions_g"),
            "carbon_country": carbon.get("country"),
            "carbon_intensity_g_per_kwh": carbon.get("intensity_g_per_kwh"),
            "pue": carbon.get("pue"),
        }
        rows.append(row)
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return [{c: row.get(c) for c in columns} for row in rows]


def print_measurements(stored: Sequence[Mapping[str, Any]], console: Console) -> None:
    """A table of the measurements: what, when, duration, energy, emissions, provenance kind."""
    table = Table(title="measurements", title_justify="left")
    for header in ("#", "window / command", "when", "duration", "energy", "CO₂e", "energy from"):
        table.add_column(header, justify="left" if header.startswith("w") else "right")
    for row in measurement_rows(stored):
        what = row["function"] or row["command"] or ""
        label = Text(f"{row['name']}  {what}".strip())
        if row["error"]:
            label.append(f" (raised {row['error']})", style="red")
        kinds = {p.split("=", 1)[1].split(":")[0] for p in row["provenance"].split("; ") if p}
        table.add_row(
            str(row["id"]),
            label,
            Text(str(row["created_at"] or "")),
            fmt.si(row["duration_s"], "s"),
            fmt.si(row.get("energy_j.total"), "J"),
            fmt.si(row["emissions_g"], "g"),
            "measured" if kinds == {"measured"} else "estimated" if kinds else "unknown",
        )
    console.print(table)


#: Columns of the Markdown table.
MARKDOWN_COLUMNS = [
    "id", "created_at", "name", "function", "command", "duration_s", "energy_j.total",
    "emissions_g", "provenance",
]  # fmt: skip


def measurements_markdown(stored: Sequence[Mapping[str, Any]]) -> str:
    """The measurements as one Markdown table (record text made inert)."""
    from greenbench.report.export import _md

    lines = ["| " + " | ".join(MARKDOWN_COLUMNS) + " |", "|" + "---|" * len(MARKDOWN_COLUMNS)]
    for row in measurement_rows(stored):
        cells = [_md("" if row.get(c) is None else row[c]) for c in MARKDOWN_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
