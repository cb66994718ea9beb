"""Leaderboards in the terminal with rich: one table per task, estimated figures italic and
marked †, the estimation methods (and the counters of the measured figures) in the caption,
jobs with degenerate answers marked ⚠ and the reason in the caption, a label task's baselines
as dim reference rows, failed jobs listed with their error.

Record strings go into :class:`rich.text.Text` objects, never into console markup, so a model
name such as ``[link=…]`` prints as itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from greenbench.records import JobRecord
from greenbench.records.values import job_label
from greenbench.report.energy_notes import energy_notes
from greenbench.report.tables import COLUMNS, Cell, Leaderboard, leaderboards
from greenbench.safe_text import for_terminal

ESTIMATED_STYLE = "italic dark_orange"
#: Columns left out on a narrow terminal, first to go first.
OPTIONAL = [
    "latency_p95", "queries_per_s", "params_trainable", "gqi", "cegi", "params_total", "stars",
    "agreement", "ci_text",
]  # fmt: skip
#: The agreement column, shown after the CI when a row has an agreement figure.
AGREEMENT = ("agreement w/ ref", "agreement")
WARNING_STYLE = "bold red"
REFERENCE_STYLE = "dim"
#: A wide console used only to measure tables.
_MEASURE = Console(width=1000)
#: Shorter headers than the Markdown ones, so a table fits an 100-column terminal.
_SHORT = {
    "energy_per_1k": "J / 1k q",
    "emissions": "gCO₂e job",
    "params_trainable": "trainable",
    "stars": "rating",
    "latency_p95": "p95 lat.",
    "agreement": "agree",
}


#: Marks an energy figure whose row's place energy does not decide (see :class:`Cell`).
UNDECIDED = "≈"


def _cell(value: object) -> Text:
    if isinstance(value, Cell):
        text = Text(for_terminal(value.text))
        if value.estimated:
            text = Text(f"{for_terminal(value.text)}†", style=ESTIMATED_STYLE)
        if value.range_text:
            text.append(f" ({value.range_text})", style=ESTIMATED_STYLE)
        if value.undecided:
            text.append(UNDECIDED, style="bold")
        return text
    return Text(for_terminal(str(value)))


def _methods(board: Leaderboard, *, estimated: bool) -> list[str]:
    methods = {
        m
        for row in board.rows
        for _, attribute in COLUMNS
        if isinstance(cell := getattr(row, attribute), Cell)
        and cell.value is not None
        and cell.provenance is not None
        and (cell.estimated if estimated else cell.provenance.measured)
        for m in cell.provenance.methods
        if m.startswith("measured") != estimated
    }
    return sorted(methods)


def estimated_methods(board: Leaderboard) -> list[str]:
    """The distinct estimation methods behind the estimated figures of ``board``."""
    return _methods(board, estimated=True)


def measured_methods(board: Leaderboard) -> list[str]:
    """The distinct counters behind the measured (unmarked) energy figures of ``board``."""
    return _methods(board, estimated=False)


def provenance_notes(board: Leaderboard) -> list[str]:
    """Footnotes saying which energy figures of ``board`` are estimated (marked †, with the
    methods) and which are measured (unmarked, with the counters); one line each, if any; then
    the energy basis and what the jobs' energy leaves out (:func:`energy_notes`)."""
    notes = []
    if methods := estimated_methods(board):
        notes.append("† estimated: " + "; ".join(methods))
    if counters := measured_methods(board):
        notes.append(
            "energy-derived figures without †: from measured energy (" + "; ".join(counters) + ")"
        )
    return [*notes, *energy_notes(board)]


def leaderboard_table(board: Leaderboard, width: int | None = None) -> Table:
    """The rich table of one task's leaderboard.

    Args:
        board: the task's leaderboard.
        width: the console width in characters; columns of :data:`OPTIONAL` are left out,
            last first, until the table fits (the model name always stays). None: all columns.
    """
    columns = list(COLUMNS)
    if board.shows_agreement:
        columns.insert(columns.index(("95% CI", "ci_text")) + 1, AGREEMENT)
    table = _table(board, columns)
    for attribute in OPTIONAL:
        if width is None or Measurement.get(_MEASURE, _MEASURE.options, table).minimum <= width:
            break
        columns = [c for c in columns if c[1] != attribute]
        table = _table(board, columns)
    return table


def _table(board: Leaderboard, columns: list[tuple[str, str]]) -> Table:
    direction = "higher" if board.higher_is_better else "lower"
    table = Table(
        title=Text(
            for_terminal(f"{board.task} — {board.metric} ({direction} is better)"), style="bold"
        ),
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for header, attribute in columns:
        label = _SHORT.get(attribute, header)
        if attribute == "label":
            table.add_column(Text(label), overflow="fold", min_width=18)
        else:
            table.add_column(Text(label), justify="right", no_wrap=True, min_width=len(label))
    for row in board.rows:
        cells = [_cell(getattr(row, attribute)) for _, attribute in columns]
        if row.on_frontier:
            cells[1].append(" ★", style="yellow")
        if row.warning:
            cells[1].append(" ⚠", style=WARNING_STYLE)
        table.add_row(*cells)
    for ref in board.reference_rows:
        texts = {"label": f"{ref.label}: {ref.note}", "quality": ref.quality.text}
        table.add_row(
            *(Text(texts.get(attribute, ""), style=REFERENCE_STYLE) for _, attribute in columns)
        )
    notes = ["★ on the Pareto frontier (quality vs energy per query)", *provenance_notes(board)]
    if any(row.energy_per_1k.undecided for row in board.rows):
        notes.append(
            f"{UNDECIDED} not decided by energy: the energy ranges (low–high of the estimate's "
            "constants) overlap, so this row's place against energy could change"
        )
    notes += [f"⚠ {label}: {warning}" for label, warning in board.warnings]
    if board.shows_agreement:
        notes.append(
            "agree: fraction of samples answered as the model's reference variant (plain fp32)"
        )
    table.caption = Text(for_terminal("\n".join(notes)))
    table.caption_justify = "left"
    return table


def print_leaderboard(
    records: Sequence[JobRecord | Mapping[str, Any]], console: Console | None = None
) -> None:
    """Print one leaderboard per task of ``records`` and the failed jobs with their errors.

    Args:
        records: job records or their JSON (``docs/records.md``), any status.
        console: where to print; a new :class:`rich.console.Console` on stdout when None.
    """
    console = console or Console()
    for board in leaderboards(records):
        if board.rows:
            console.print(leaderboard_table(board, console.width))
        for record in board.failed:
            line = Text("failed: ", style="bold red")
            line.append(for_terminal(f"{board.task} · {job_label(record)} ({record.job_id}): "))
            line.append(for_terminal(record.error or "no error recorded"))
            console.print(line)
        console.print()
