"""Leaderboards: one per task, a row per successful job, the figures formatted with provenance.

The HTML report, the terminal, the Markdown export and ``recommend`` all read these rows, so a
figure is computed and labelled in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from greenbench.metrics.efficiency import pareto_front
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
    finetuned: bool
    on_frontier: bool
    """Non-dominated in (quality, energy per query) within the task."""
    record: Mapping = field(repr=False, compare=False)


@dataclass(frozen=True)
class Leaderboard:
    """The rows of one task, best quality first, and its failed jobs."""

    task: str
    metric: str
    """The task's primary metric."""
    higher_is_better: bool
    rows: list[Row]
    failed: list[Mapping]


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
]


def variant_details(record: Mapping) -> str:
    """The variant of ``record`` in one line (see :attr:`Row.details`)."""
    variant = record.get("variant") or {}
    parts = [
        str(variant[key])
        for key in ("backend", "dtype", "quantization")
        if variant.get(key) not in (None, "")
    ]
    if variant.get("bits") is not None:
        parts.append(f"{variant['bits']}-bit")
    if variant.get("batch_size") is not None:
        parts.append(f"batch {variant['batch_size']}")
    tune = variant.get("finetune")
    if tune:
        text = str(tune.get("method", "finetune"))
        text = "LoRA" if text == "lora" else "QLoRA" if text == "qlora" else text
        if tune.get("rank") is not None and tune.get("method") in ("lora", "qlora"):
            text += f" r{tune['rank']}"
        if tune.get("alpha") is not None and tune.get("method") in ("lora", "qlora"):
            text += f" α{float(tune['alpha']):g}"
        if tune.get("steps") is not None:
            text += f", {tune['steps']} steps"
        parts.append(text)
    return " · ".join(parts)


def job_label(record: Mapping) -> str:
    """``model · variant`` of a record (not necessarily unique)."""
    model = (record.get("model") or {}).get("name", "?")
    variant = (record.get("variant") or {}).get("name", "?")
    return f"{model} · {variant}"


def higher_is_better(record: Mapping) -> bool:
    """Whether the record's primary metric is maximized (True when the record does not say,
    as in the skeleton of a job that failed before scoring)."""
    return record.get("higher_is_better") is not False


def primary_quality(record: Mapping) -> Mapping:
    """The ``{value, ci_low, ci_high}`` of the record's primary metric, or ``{}``."""
    return (record.get("quality") or {}).get(record.get("primary_metric"), {}) or {}


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _energy_cell(record: Mapping, key: str, value: float | None, unit: str) -> Cell:
    return Cell(value, fmt.si(value, unit), figure_provenance(record, key))


def _index_cell(record: Mapping, key: str) -> Cell:
    """An index; when it does not apply, its ``<key>_note`` (e.g. CEGI's "no gain") as text."""
    value = _float(record.get(key))
    note = record.get(f"{key}_note")
    text = str(note) if value is None and note else fmt.number(value)
    return Cell(value, text, figure_provenance(record, key))


def _unique_labels(records: Sequence[Mapping]) -> list[str]:
    labels = [job_label(r) for r in records]
    return [
        f"{label} ({r.get('job_id')})" if labels.count(label) > 1 else label
        for label, r in zip(labels, records, strict=True)
    ]


def _row(record: Mapping, rank: int, label: str, on_frontier: bool) -> Row:
    quality = primary_quality(record)
    value = _float(quality.get("value"))
    low, high = _float(quality.get("ci_low")), _float(quality.get("ci_high"))
    model = record.get("model") or {}
    emissions = _float((record.get("emissions_g") or {}).get("total"))
    total, trainable = _float(model.get("params_total")), _float(model.get("params_trainable"))
    return Row(
        rank=rank,
        job_id=str(record.get("job_id")),
        label=label,
        model=str(model.get("name", "?")),
        variant=str((record.get("variant") or {}).get("name", "?")),
        details=variant_details(record),
        quality=Cell(value, fmt.number(value)),
        ci_low=low,
        ci_high=high,
        ci_text=f"{fmt.number(low)}–{fmt.number(high)}" if low is not None else fmt.DASH,
        energy_per_1k=_energy_cell(
            record, "energy_per_1k_queries_j", _float(record.get("energy_per_1k_queries_j")), "J"
        ),
        energy_per_query=_energy_cell(
            record, "energy_per_query_j", _float(record.get("energy_per_query_j")), "J"
        ),
        emissions=_energy_cell(record, "emissions_g", emissions, "g"),
        emissions_per_query=_energy_cell(
            record, "emissions_per_query_g", _float(record.get("emissions_per_query_g")), "g"
        ),
        cegi=_index_cell(record, "cegi"),
        gqi=_index_cell(record, "gqi"),
        params_total=Cell(total, fmt.count(total)),
        params_trainable=Cell(trainable, fmt.count(trainable)),
        finetuned=bool((record.get("variant") or {}).get("finetune")),
        on_frontier=on_frontier,
        record=record,
    )


def _sort_key(record: Mapping, higher_is_better: bool) -> tuple:
    """Best quality first; equal quality: lower energy per query first; then job id."""
    value = _float(primary_quality(record).get("value"))
    energy = _float(record.get("energy_per_query_j"))
    energy_key = (energy is None, energy or 0.0)
    if value is None:
        return (1, 0.0, energy_key, str(record.get("job_id")))
    return (0, -value if higher_is_better else value, energy_key, str(record.get("job_id")))


def leaderboard(task: str, records: Sequence[Mapping]) -> Leaderboard:
    """The leaderboard of ``task`` from the records of that task (any status)."""
    ok = [r for r in records if r.get("status") == "ok"]
    failed = [r for r in records if r.get("status") != "ok"]
    first = ok[0] if ok else (failed[0] if failed else {})
    higher = higher_is_better(first)
    ok.sort(key=lambda r: _sort_key(r, higher))
    # Not the record's ``pareto_energy``: that flag was set over its sweep's plan, while a
    # report shows every job of the store (jobs of an earlier config of the same directory too).
    points = [
        (_float(primary_quality(r).get("value")), _float(r.get("energy_per_query_j"))) for r in ok
    ]
    front = set(pareto_front(points, higher_is_better=higher))
    labels = _unique_labels(ok)
    rows = [_row(r, i + 1, labels[i], i in front) for i, r in enumerate(ok)]
    return Leaderboard(
        task=task,
        metric=str(first.get("primary_metric") or "quality"),
        higher_is_better=higher,
        rows=rows,
        failed=failed,
    )


def leaderboards(records: Sequence[Mapping]) -> list[Leaderboard]:
    """One :class:`Leaderboard` per task present in ``records``, tasks in name order."""
    tasks = sorted({str(r.get("task")) for r in records})
    return [leaderboard(t, [r for r in records if str(r.get("task")) == t]) for t in tasks]
