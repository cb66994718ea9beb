"""Plotly figures of a leaderboard: quality against cost with the Pareto frontier, and energy
stacked per phase and per component. Estimated figures are drawn distinctly (open markers,
hatched bars) everywhere.

Every string taken from a record is HTML-escaped before it goes into a figure, because plotly
renders a subset of HTML in text and hover labels.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import plotly.graph_objects as go

from greenbench.records import JobRecord
from greenbench.records.values import job_label
from greenbench.report import formatting as fmt
from greenbench.report.provenance import Provenance, combine
from greenbench.report.tables import Cell, Leaderboard, Row

#: Order and colour of the phases and components we know; others follow in name order.
PHASE_COLOURS = {
    "load": "#94a3b8",
    "finetune": "#d97706",
    "training": "#b45309",
    "inference": "#059669",
}
COMPONENT_COLOURS = {"cpu": "#2563eb", "dram": "#7c3aed", "gpu": "#dc2626", "ram": "#0d9488"}
_OTHER_COLOURS = ["#64748b", "#db2777", "#65a30d", "#0891b2"]
ESTIMATED_PATTERN = "/"

#: Scatter axes: cost key -> (Row attribute, the task frontier against that cost (a cost of
#: ``greenbench.records.per_task.COSTS``), axis title, unit).
COSTS = {
    "energy": (
        "energy_per_1k",
        "energy_per_query_j",
        "inference energy per 1,000 queries",
        "J",
    ),
    "emissions": ("emissions", "emissions_g", "emissions of the job, all phases", "gCO₂e"),
}


def _text(value: object) -> str:
    """A record string made safe for plotly's HTML-like text rendering."""
    return html.escape(str(value), quote=False)


def _short(labels: list[str], width: int = 30) -> list[str]:
    """Labels cut to ``width`` characters with an ellipsis, escaped, kept distinct."""
    cut = [lab if len(lab) <= width else lab[: width - 1] + "…" for lab in labels]
    cut = [f"{c} #{i + 1}" if cut.count(c) > 1 else c for i, c in enumerate(cut)]
    return [_text(c) for c in cut]


def _layout(fig: go.Figure, title: str, **extra: object) -> go.Figure:
    settings: dict = {
        "title": {"text": title, "font": {"size": 15}},
        "template": "plotly_white",
        "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        "margin": {"l": 60, "r": 20, "t": 80, "b": 60},
        "height": 400,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    }
    settings.update(extra)
    fig.update_layout(**settings)
    return fig


def quality_scatter(board: Leaderboard, cost: str) -> go.Figure:
    """Quality of each job of ``board`` against a cost (``"energy"`` or ``"emissions"``, see
    :data:`COSTS`), the CI as error bars, the Pareto frontier as a dashed line, every point
    labelled ``model · variant``; measured points filled, estimated points open. The cost axis
    takes the SI prefix of the median cost (e.g. mgCO₂e) and is logarithmic when the costs
    span more than a factor of 20."""
    attribute, frontier, axis_title, unit = COSTS[cost]
    rows = [
        r
        for r in board.rows
        if r.quality.value is not None and getattr(r, attribute).value is not None
    ]
    costs = sorted(getattr(r, attribute).value for r in rows)
    factor, prefix = fmt.prefix_for(costs[len(costs) // 2] if costs else 0.0)
    # One model: label points by variant (the model is in the hover). Neighbours along the
    # cost axis take turns above and below their marker so labels overlap less.
    one_model = len({r.model for r in rows}) == 1
    labels = {r.job_id: r.variant if one_model else r.label for r in rows}
    by_cost = sorted(rows, key=lambda r: getattr(r, attribute).value)
    above = {r.job_id: i % 2 == 0 for i, r in enumerate(by_cost)}
    fig = go.Figure()
    for estimated in (False, True):
        group = [r for r in rows if getattr(r, attribute).estimated == estimated]
        if group:
            fig.add_trace(_points(group, attribute, estimated, factor, labels, above))
    by_id = {r.job_id: r for r in rows}
    front = [by_id[j] for j in board.figures.frontiers[frontier] if j in by_id]
    if front:
        fig.add_trace(
            go.Scatter(
                x=[getattr(r, attribute).value / factor for r in front],
                y=[r.quality.value for r in front],
                mode="lines",
                line={"dash": "dash", "color": "#16a34a", "width": 2},
                name="Pareto frontier",
                hoverinfo="skip",
            )
        )
    positive = [c / factor for c in costs if c > 0]
    xaxis: dict = {"title": {"text": f"{axis_title} ({prefix}{unit})"}}
    if positive and max(positive) / min(positive) > 20:
        xaxis = {"title": xaxis["title"], "type": "log"}
    elif positive and max(positive) == min(positive):
        xaxis["range"] = [0, 2 * positive[0]]  # one cost: centre it rather than zoom on it
    direction = "higher is better" if board.higher_is_better else "lower is better"
    return _layout(
        fig,
        f"{_text(board.task)}: {_text(board.metric)} vs {cost}",
        xaxis=xaxis,
        yaxis={"title": {"text": f"{_text(board.metric)} ({direction})"}},
    )


def _points(
    rows: list[Row],
    attribute: str,
    estimated: bool,
    factor: float,
    labels: dict[str, str],
    above: dict[str, bool],
) -> go.Scatter:
    cells: list[Cell] = [getattr(r, attribute) for r in rows]
    values = [r.quality.value for r in rows]
    plus = [
        (r.ci_high - v) if r.ci_high is not None else 0 for r, v in zip(rows, values, strict=True)
    ]
    minus = [
        (v - r.ci_low) if r.ci_low is not None else 0 for r, v in zip(rows, values, strict=True)
    ]
    colour = "#b45309" if estimated else "#1d4ed8"
    return go.Scatter(
        x=[c.value / factor for c in cells],
        y=values,
        mode="markers+text",
        name="estimated † (open)" if estimated else "measured (filled)",
        text=_short([labels[r.job_id] for r in rows]),
        hovertext=[_text(r.label) for r in rows],
        textposition=["top center" if above[r.job_id] else "bottom center" for r in rows],
        textfont={"size": 11},
        cliponaxis=False,
        customdata=[
            [_text(c.text), _text(c.provenance.describe() if c.provenance else "")] for c in cells
        ],
        hovertemplate="<b>%{hovertext}</b><br>quality %{y:.4g}<br>%{customdata[0]}"
        "<br>%{customdata[1]}<extra></extra>",
        marker={
            "size": 11,
            "symbol": "circle-open" if estimated else "circle",
            "color": colour,
            "line": {"width": 2, "color": colour},
        },
        error_y={
            "type": "data",
            "symmetric": False,
            "array": plus,
            "arrayminus": minus,
            "color": colour,
            "thickness": 1,
        },
    )


def _colours(names: list[str], known: dict[str, str]) -> dict[str, str]:
    others = iter(_OTHER_COLOURS * (1 + len(names)))
    return {n: known.get(n) or next(others) for n in names}


def _ordered(names: set[str], known: dict[str, str]) -> list[str]:
    return [n for n in known if n in names] + sorted(names - set(known))


def _bar_labels(board: Leaderboard) -> list[str]:
    """Bar labels in :func:`_task_records` order: the variant alone when the task has one
    model (the full ``model · variant`` is in the hover)."""
    records = [r.record for r in board.rows] + [r for r in board.failed if r.phases]
    models = {r.model.name for r in records}
    if len(models) != 1:
        return [label for label, _ in _task_records(board)]
    names = [r.variant.name or "?" for r in records]
    names = [
        f"{n} ({r.job_id})" if names.count(n) > 1 else n
        for n, r in zip(names, records, strict=True)
    ]
    return names[: len(board.rows)] + [f"{n} (failed)" for n in names[len(board.rows) :]]


def _task_records(board: Leaderboard) -> list[tuple[str, JobRecord]]:
    """(label, record) of every job of the task with phases, failed jobs marked."""
    pairs = [(r.label, r.record) for r in board.rows]
    pairs += [(f"{job_label(r)} (failed)", r) for r in board.failed if r.phases]
    return pairs


def _stacked(
    board: Leaderboard,
    names: list[str],
    known: dict[str, str],
    part: Callable[[JobRecord, str], tuple[float | None, Provenance]],
    title: str,
    y_title: str,
) -> go.Figure:
    """Stacked bars, one trace per name in ``names``, one bar per job; ``part(record, name)``
    gives the joules and their provenance; estimated parts are hatched."""
    jobs = _task_records(board)
    colours = _colours(names, known)
    labels = [label for label, _ in jobs]
    ticks = _short(_bar_labels(board))
    fig = go.Figure()
    for name in names:
        parts = [part(record, name) for _, record in jobs]
        fig.add_trace(
            go.Bar(
                x=ticks,
                y=[value for value, _ in parts],
                name=_text(name),
                hovertext=[_text(label) for label in labels],
                customdata=[_text(prov.describe()) for _, prov in parts],
                hovertemplate="%{hovertext}<br>" + _text(name) + ": %{y:.4g} J<br>%{customdata}"
                "<extra></extra>",
                marker={
                    "color": colours[name],
                    "pattern": {
                        "shape": ["" if p.measured else ESTIMATED_PATTERN for _, p in parts]
                    },
                },
            )
        )
    return _layout(
        fig,
        f"{_text(board.task)}: {title} (hatched = estimated)",
        barmode="stack",
        yaxis={"title": {"text": y_title}},
        xaxis={"tickangle": -30 if sum(len(t) for t in ticks) > 60 else 0},
        legend={"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"},
    )


def energy_by_phase(board: Leaderboard) -> go.Figure:
    """Gross energy of each phase of each job of ``board`` (J), stacked; estimated hatched."""

    def part(record: JobRecord, phase: str) -> tuple[float | None, Provenance]:
        data = record.phases.get(phase)
        if data is None:
            return None, combine([])
        return data.energy_j.get("total"), combine(data.provenance.values())

    jobs = _task_records(board)
    phases = _ordered({p for _, r in jobs for p in r.phases}, PHASE_COLOURS)
    return _stacked(
        board, phases, PHASE_COLOURS, part, "energy per phase", "energy (J; inference: one pass)"
    )


def energy_by_component(board: Leaderboard) -> go.Figure:
    """Gross energy of each component (cpu, dram, gpu, ram, …) summed over the phases of each
    job (J), stacked; a bar is hatched when any of its phases estimated that component."""

    def part(record: JobRecord, component: str) -> tuple[float | None, Provenance]:
        phases = record.phases.values()
        values = [p.energy_j.get(component) for p in phases]
        numbers = [v for v in values if v is not None and math.isfinite(v)]
        prov = combine(p.provenance.get(component) for p in phases)
        return (sum(numbers) if numbers else None), prov

    jobs = _task_records(board)
    found = {c for _, r in jobs for p in r.phases.values() for c in p.energy_j if c != "total"}
    components = _ordered(found, COMPONENT_COLOURS)
    return _stacked(
        board,
        components,
        COMPONENT_COLOURS,
        part,
        "energy per component",
        "energy, all phases (J)",
    )
