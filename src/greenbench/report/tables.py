"""Leaderboards: one per task, a row per successful job, the figures formatted with provenance.

The HTML report, the terminal and the Markdown export read these rows, so a figure is labelled
in one place; the task's figures (frontier, GQI) come from :mod:`greenbench.records.per_task`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from greenbench.metrics.efficiency import DEFAULT_UNIT
from greenbench.records import JobRecord, load_records
from greenbench.records.per_task import TaskFigures, task_figures
from greenbench.records.schema import Latency
from greenbench.records.values import (
    as_float,
    job_label,
    primary_quality,
    variant_details,
)
from greenbench.report import formatting as fmt
from greenbench.report.provenance import Provenance, figure_provenance


@dataclass(frozen=True)
class Cell:
    """One figure of a row: the raw number, its text, and where it came from."""

    value: float | None
    """The number in the column's unit (see :data:`COLUMNS`); None when it does not apply."""
    text: str
    """The number formatted for people (SI prefix, 3 significant digits); an em dash for None."""
    provenance: Provenance | None = None
    """Energy-derived figures only; None for quality and parameter counts."""
    # issue 12: the estimate constants' range, and whether energy decides the row's place
    range_text: str = ""
    """``"8.1–24.6 J"``: the low–high range of an estimated energy figure; empty otherwise."""
    undecided: bool = False
    """The row's place against energy (frontier, equal-quality order) is not decided by energy:
    it can change within the ranges (``greenbench.records.energy_range.undecided_by_energy``)."""

    @property
    def estimated(self) -> bool:
        """True for an energy-derived figure that is not entirely measured."""
        return (
            self.value is not None and self.provenance is not None and not self.provenance.measured
        )


@dataclass(frozen=True)
class Row:
    """One successful job in its task's leaderboard."""

    rank: int
    """1 for the best quality of the task; equal quality is ranked by energy per query."""
    job_id: str
    label: str
    """``model · variant``, unique within the task (the job id is appended to duplicates)."""
    model: str
    variant: str
    details: str
    """Backend, dtype, quantization, bits, batch size and fine-tuning, e.g.
    ``"hf · fp32 · none · 32-bit · batch 8 · LoRA r8 α16, 30 steps"``."""
    quality: Cell
    """Primary metric value."""
    ci_low: float | None
    ci_high: float | None
    ci_text: str
    """``"0.210–0.490"``, or an em dash without a CI."""
    energy_per_1k: Cell
    """Inference energy per 1,000 queries, J."""
    energy_per_query: Cell
    """Inference energy per query, J."""
    emissions: Cell
    """Emissions of the whole job (every phase), gCO2e."""
    emissions_per_query: Cell
    """Inference emissions per query, gCO2e."""
    cegi: Cell
    """gCO2e per percentage point of gain per million trainable parameters (lower is better)."""
    gqi: Cell
    """GreenQuotientIndex (higher is better)."""
    params_total: Cell
    params_trainable: Cell
    stars: Cell
    """Energy rating, 1-5 stars within the task and hardware class (text ``4/5``)."""
    queries_per_s: Cell
    """Inference throughput, queries per second."""
    latency_p95: Cell
    """95th percentile of the per-query latency, s."""
    finetuned: bool
    on_frontier: bool
    """Non-dominated in (quality, energy per query) within the task."""
    record: JobRecord = field(repr=False, compare=False)
    agreement: Cell = Cell(None, fmt.DASH)
    """Fraction of samples answered as the model's reference variant did; its text is
    ``reference`` for the reference itself."""
    warning: str | None = None
    """Why the job's answers are degenerate (constant, or >= 95% one label); None if sound."""


@dataclass(frozen=True)
class ReferenceRow:
    """A label task's accuracy without a model, shown under its leaderboard for comparison."""

    label: str
    """``majority-class baseline`` or ``chance baseline``."""
    quality: Cell
    note: str
    """How it is obtained, e.g. ``always 'positive' (16 of 24 samples)``."""


@dataclass(frozen=True)
class Leaderboard:
    """The rows of one task, best quality first, and its failed jobs."""

    task: str
    metric: str
    """The task's primary metric."""
    higher_is_better: bool
    rows: list[Row]
    failed: list[JobRecord]
    figures: TaskFigures = field(repr=False, compare=False)
    """The task's figures over the records shown (frontiers, GQI)."""
    reference_rows: list[ReferenceRow] = field(default_factory=list)
    """Label tasks: the majority-class and chance baselines."""

    @property
    def shows_agreement(self) -> bool:
        """Whether any row has an agreement figure (records that kept their answers)."""
        return any(row.agreement.value is not None for row in self.rows)

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """``(row label, warning)`` for each row whose answers are degenerate."""
        return [(row.label, row.warning) for row in self.rows if row.warning]


#: Columns of the text leaderboards (terminal, Markdown): header, Row attribute.
COLUMNS: list[tuple[str, str]] = [
    ("#", "rank"),
    ("model · variant", "label"),
    ("quality", "quality"),
    ("95% CI", "ci_text"),
    ("energy / 1k queries", "energy_per_1k"),
    ("emissions (job)", "emissions"),
    ("CEGI", "cegi"),
    ("GQI", "gqi"),
    ("params", "params_total"),
    ("trainable", "params_trainable"),
    ("energy rating", "stars"),
    ("queries/s", "queries_per_s"),
    ("p95 latency", "latency_p95"),
]


def _energy_cell(record: JobRecord, key: str, unit: str) -> Cell:
    """A per-record energy-derived figure named as in the record, in ``unit`` (J or g)."""
    value = getattr(record, key)
    return Cell(value, fmt.si(value, unit), figure_provenance(record, key))


def _energy_range_cell(record: JobRecord, key: str, queries: int, undecided: bool) -> Cell:
    """Energy per ``queries`` queries (``key`` of the record), J, with the range of an estimate
    beside it and whether energy decides the row's place."""
    cell = _energy_cell(record, key, "J")
    bounds = record.energy_per_query_range_j
    text = ""
    if bounds and cell.value is not None:
        text = f"{fmt.si(bounds[0] * queries, 'J')}–{fmt.si(bounds[1] * queries, 'J')}"
    return replace(cell, range_text=text, undecided=undecided)


def _index_cell(record: JobRecord, key: str, value: float | None, note: str | None) -> Cell:
    """An index; when it does not apply, its note (e.g. CEGI's "no gain") as text."""
    text = str(note) if value is None and note else fmt.number(value)
    return Cell(value, text, figure_provenance(record, key))


def _stars_cell(record: JobRecord, figures: TaskFigures) -> Cell:
    """The energy rating as ``4/5``; ``unrated`` when it cannot be rated (the reason is in the
    JSON's ``energy_stars_note``). Estimated when its inputs are."""
    rating = figures.stars.get(record.job_id)
    if rating is None or rating.stars is None:
        return Cell(None, "unrated" if rating else fmt.DASH)
    kind = "estimated" if rating.estimated else "measured"
    prov = Provenance(kind, figure_provenance(record, "energy_per_query_j").methods)
    return Cell(float(rating.stars), f"{rating.stars}/5", prov)


def _unique_labels(records: Sequence[JobRecord]) -> list[str]:
    labels = [job_label(r) for r in records]
    return [
        f"{label} ({r.job_id})" if labels.count(label) > 1 else label
        for label, r in zip(labels, records, strict=True)
    ]


def _row(record: JobRecord, rank: int, label: str, figures: TaskFigures) -> Row:
    quality = primary_quality(record)
    total = as_float(record.emissions_g.get("total"))
    params, trainable = record.model.params_total, record.model.params_trainable
    rated = figures.gqi.get(record.job_id)
    latency = record.latency or Latency()
    p95 = latency.query_s.p95 if latency.query_s else None
    undecided = record.job_id in figures.energy_undecided
    return Row(
        rank=rank,
        job_id=record.job_id,
        label=label,
        model=record.model.name or "?",
        variant=record.variant.name or "?",
        details=variant_details(record),
        quality=Cell(quality.value, fmt.number(quality.value)),
        ci_low=quality.ci_low,
        ci_high=quality.ci_high,
        ci_text=(
            f"{fmt.number(quality.ci_low)}–{fmt.number(quality.ci_high)}"
            if quality.ci_low is not None
            else fmt.DASH
        ),
        energy_per_1k=_energy_range_cell(record, "energy_per_1k_queries_j", 1000, undecided),
        energy_per_query=_energy_range_cell(record, "energy_per_query_j", 1, undecided),
        emissions=Cell(total, fmt.si(total, "g"), figure_provenance(record, "emissions_g")),
        emissions_per_query=_energy_cell(record, "emissions_per_query_g", "g"),
        cegi=_index_cell(record, "cegi", record.cegi, record.cegi_note),
        gqi=_index_cell(
            record,
            "gqi",
            rated.value if rated else None,
            f"≤ 1 {rated.energy_unit}" if rated and rated.note else None,  # the full note: JSON
        ),
        params_total=Cell(as_float(params), fmt.count(params)),
        params_trainable=Cell(as_float(trainable), fmt.count(trainable)),
        stars=_stars_cell(record, figures),
        queries_per_s=Cell(latency.queries_per_s, fmt.number(latency.queries_per_s)),
        latency_p95=Cell(p95, fmt.si(p95, "s")),
        finetuned=record.variant.finetune is not None,
        on_frontier=bool(figures.on_frontier(record, "energy_per_query_j")),
        record=record,
        agreement=_agreement_cell(record, figures),
        warning=figures.warnings.get(record.job_id),
    )


def _agreement_cell(record: JobRecord, figures: TaskFigures) -> Cell:
    agreed = figures.agreement.get(record.job_id)
    if agreed is None or agreed.value is None:
        is_reference = agreed is not None and agreed.reference_job_id == record.job_id
        return Cell(None, "reference" if is_reference else fmt.DASH)
    return Cell(agreed.value, fmt.number(agreed.value))


def _reference_rows(figures: TaskFigures) -> list[ReferenceRow]:
    base = figures.baselines
    if base is None:
        return []
    accepted = round(base.majority * base.samples)
    return [
        ReferenceRow(
            "majority-class baseline",
            Cell(base.majority, fmt.number(base.majority)),
            f"always {base.majority_label!r} ({accepted} of {base.samples} samples)",
        ),
        ReferenceRow(
            "chance baseline",
            Cell(base.chance, fmt.number(base.chance)),
            "a label drawn uniformly at random (expected accuracy)",
        ),
    ]


def _sort_key(record: JobRecord, higher_is_better: bool) -> tuple:
    """Best quality first; equal quality: lower energy per query first; then job id."""
    value = primary_quality(record).value
    energy = record.energy_per_query_j
    energy_key = (energy is None, energy or 0.0)
    if value is None:
        return (1, 0.0, energy_key, record.job_id)
    return (0, -value if higher_is_better else value, energy_key, record.job_id)


def leaderboard(task: str, records: Sequence[JobRecord], figures: TaskFigures) -> Leaderboard:
    """The leaderboard of ``task`` from the records of that task (any status) and the task's
    figures over them."""
    ok = [r for r in records if r.ok]
    failed = [r for r in records if not r.ok]
    higher = figures.higher_is_better
    ok.sort(key=lambda r: _sort_key(r, higher))
    labels = _unique_labels(ok)
    rows = [_row(r, i + 1, labels[i], figures) for i, r in enumerate(ok)]
    return Leaderboard(
        task=task,
        metric=figures.metric,
        higher_is_better=higher,
        rows=rows,
        failed=failed,
        figures=figures,
        reference_rows=_reference_rows(figures),
    )


def leaderboards(
    records: Sequence[JobRecord | Mapping[str, Any]], *, gqi_unit: str = DEFAULT_UNIT
) -> list[Leaderboard]:
    """One :class:`Leaderboard` per task present in ``records`` (records or their JSON, any
    version), tasks in name order; the task figures are computed over ``records``."""
    typed = load_records(records)
    return [
        leaderboard(task, [r for r in typed if str(r.task) == task], figures)
        for task, figures in task_figures(typed, gqi_unit=gqi_unit).items()
    ]
