"""Which variant to deploy for a task, and why.

The rule (documented in ``docs/report.md``):

1. Candidates are the task's successful jobs with a primary-metric value and per-query figures.
2. One constraint decides which candidates qualify: ``min_quality`` (quality at least this good),
   ``max_energy_j`` (inference energy per query at most this, J) or ``max_emissions_g``
   (emissions per query at most this, gCO2e). Without one, a candidate qualifies when its
   quality is within the 95% CI of the best candidate (at least the best's ``ci_low``;
   at most its ``ci_high`` for lower-is-better metrics): statistically as good as the best.
3. The cost is per query (energy, or emissions with ``max_emissions_g``); with ``queries=N`` it
   is the lifetime cost of serving N queries, one-off fine-tuning included: E_ft + N × e_query,
   both on the record's ``energy_basis`` (net of idle where a baseline was taken); the basis is
   named in :attr:`Recommendation.cost_name`. A fine-tuned variant whose fine-tuning was not
   measured has no lifetime cost and is left out, with a reason.
4. Under a quality constraint the cheapest qualifying candidate is chosen (ties: better quality);
   under a cost constraint the best quality (ties: cheaper). Either way the choice is on the
   Pareto frontier of (quality, cost) of the qualifying candidates; whether it is also on the
   frontier of all candidates is reported (variants outside the constraint may dominate it).
5. Fine-tuned variants are compared by break-even: after how many queries the one-off
   fine-tuning emissions are repaid by lower emissions per query.

On a label task, a job whose quality does not beat the majority-class baseline of its samples
(``TaskFigures.beats_majority``) is never a candidate: always giving the most frequent label
would do as well. The reasons name the jobs left out; when none is left, it is an error saying so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord, load_records
from greenbench.records.answers import answer_warning, baselines
from greenbench.records.energy_range import could_cost_less
from greenbench.records.per_task import lifetime_cost, task_figures
from greenbench.records.values import basis_label, finetune_cost, job_label, primary_quality
from greenbench.report import formatting as fmt
from greenbench.report.energy_notes import GAP_MARK
from greenbench.report.provenance import phase_provenance
from greenbench.report.recommend_reasons import BreakEvenNote, amount, break_even_notes, reasons


class NoneBeatsBaseline(GreenbenchError):
    """No job of a label task beats its majority-class baseline: nothing to recommend."""


@dataclass(frozen=True)
class Candidate:
    """One successful job of the task, as the recommender sees it."""

    job_id: str
    label: str
    """``model · variant``."""
    quality: float
    """Primary metric value."""
    ci_low: float | None
    ci_high: float | None
    energy_per_query_j: float | None
    """Inference energy per query, J."""
    emissions_per_query_g: float | None
    """Inference emissions per query, gCO2e."""
    finetune_energy_j: float | None
    """One-off fine-tuning energy on :attr:`energy_basis`, J (0 when not fine-tuned; None when
    fine-tuned but not measured)."""
    finetune_emissions_g: float | None
    """One-off fine-tuning emissions on :attr:`energy_basis`, gCO2e (0 / None as above)."""
    energy_basis: str | None
    """``net`` or ``gross``: the basis of all its energy and emissions figures."""
    energy_gaps: list[str]
    """What its energy figures leave out (the record's ``energy_gaps``), e.g. an unmeasured GPU."""
    finetuned: bool
    cost: float
    """The cost minimized, in :attr:`Recommendation.cost_unit`."""
    qualifies: bool
    """Meets the constraint."""
    on_frontier: bool
    """Non-dominated in (quality, cost) among all candidates."""
    estimated: bool
    """Its energy figures are not all measured."""
    provenance: str
    """Where its energy figures came from, one line."""


@dataclass(frozen=True)
class Recommendation:
    """The recommended variant of a task with the reasons, in sentences and in figures."""

    task: str
    metric: str
    higher_is_better: bool
    constraint: str
    """The constraint applied, e.g. ``"execution_accuracy >= 0.56 (within the 95% CI of the
    best, large-lm · base)"``."""
    cost_name: str
    """What is minimized and on which basis, e.g. ``"energy per query (net of idle)"``."""
    cost_unit: str
    """``"J"`` or ``"gCO2e"``."""
    queries: int | None
    chosen: Candidate
    candidates: list[Candidate]
    """Every candidate, qualifying first, then by cost."""
    break_even: list[BreakEvenNote] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    """Why, in sentences a person reads."""

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return dataclasses.asdict(self)


def _candidate_fields(record: JobRecord) -> dict | None:
    quality = primary_quality(record)
    if quality.value is None:
        return None
    provenance = phase_provenance(record)
    return {
        "job_id": record.job_id,
        "label": job_label(record),
        "quality": quality.value,
        "ci_low": quality.ci_low,
        "ci_high": quality.ci_high,
        "energy_per_query_j": record.energy_per_query_j,
        "emissions_per_query_g": record.emissions_per_query_g,
        "finetune_energy_j": finetune_cost(record, emissions=False),
        "finetune_emissions_g": finetune_cost(record, emissions=True),
        "energy_basis": record.energy_basis,
        "energy_gaps": list(record.energy_gaps or []),
        "finetuned": record.variant.finetune is not None or "finetune" in record.phases,
        "estimated": not provenance.measured,
        "provenance": provenance.describe(),
    }


def _better(a: float, b: float, higher_is_better: bool) -> bool:
    """``a`` at least as good as ``b``."""
    return a >= b if higher_is_better else a <= b


def recommend(
    records: Sequence[JobRecord | Mapping[str, Any]],
    task: str,
    *,
    min_quality: float | None = None,
    max_energy_j: float | None = None,
    max_emissions_g: float | None = None,
    queries: int | None = None,
) -> Recommendation:
    """Recommend a variant of ``task`` from the job records of a sweep (see the module doc).

    Args:
        records: job records or their JSON (``docs/records.md``), any task and status.
        task: the task to deploy for.
        min_quality: primary metric at least this good (>= for higher-is-better metrics).
        max_energy_j: inference energy per query at most this, J.
        max_emissions_g: inference emissions per query at most this, gCO2e.
        queries: queries the deployment will serve (>= 1): cost becomes E_ft + N × e_query.

    Raises:
        GreenbenchError: unknown task (the message lists the tasks present), more than one
            constraint, ``queries`` < 1, no usable candidate, or none meeting the constraint.
    """
    typed = load_records(records)
    _check_arguments(typed, task, min_quality, max_energy_j, max_emissions_g, queries)
    ok = [r for r in typed if str(r.task) == task and r.ok]
    figures = task_figures([r for r in typed if str(r.task) == task], queries=queries)[task]
    higher = figures.higher_is_better
    metric = figures.metric
    by_emissions = max_emissions_g is not None
    per_query_key = "emissions_per_query_g" if by_emissions else "energy_per_query_j"
    frontier = per_query_key
    if queries is not None:
        frontier = "lifetime_emissions_g" if by_emissions else "lifetime_energy_j"
    fields = [f for f in map(_candidate_fields, ok) if f and f[per_query_key] is not None]
    unmeasured = []
    if queries is not None:  # a lifetime cost needs the one-off cost too
        once = "finetune_emissions_g" if by_emissions else "finetune_energy_j"
        unmeasured = [f["label"] for f in fields if f[once] is None]
        fields = [f for f in fields if f[once] is not None]
    if not fields:
        raise GreenbenchError(
            f"--task {task!r}: no successful job with quality and {per_query_key} to compare"
        )
    by_id = {r.job_id: r for r in ok}
    below = [f for f in fields if figures.beats_majority(by_id[f["job_id"]]) is False]
    fields = [f for f in fields if f not in below]
    if not fields:
        raise NoneBeatsBaseline(
            f"no variant of task {task!r} beats the majority-class baseline: "
            + _below_baseline(below, by_id, metric)
        )
    best = min(fields, key=lambda f: (-f["quality"] if higher else f["quality"], f["job_id"]))
    constraint, qualifies = _constraint(
        fields, best, metric, higher, min_quality, max_energy_j, max_emissions_g
    )
    by_quality = max_energy_j is None and max_emissions_g is None
    if not any(qualifies):
        cheapest = min(fields, key=lambda f: f[per_query_key])
        closest = (
            f"best {metric}: {fmt.number(best['quality'])} ({best['label']})"
            if by_quality
            else f"lowest {_PER_QUERY[per_query_key]}: "
            f"{amount(cheapest[per_query_key], per_query_key)} ({cheapest['label']})"
        )
        raise GreenbenchError(f"no variant of task {task!r} meets {constraint}; {closest}")

    front = set(figures.frontiers[frontier])
    candidates = [
        Candidate(
            **f,
            cost=f[per_query_key]
            if queries is None
            else lifetime_cost(by_id[f["job_id"]], queries, emissions=by_emissions),
            qualifies=q,
            on_frontier=f["job_id"] in front,
        )
        for f, q in zip(fields, qualifies, strict=True)
    ]
    candidates.sort(key=lambda c: (not c.qualifies, c.cost, c.job_id))
    qualifying = [c for c in candidates if c.qualifies]
    signed = (lambda c: -c.quality) if higher else (lambda c: c.quality)
    if by_quality:
        chosen = min(qualifying, key=lambda c: (c.cost, signed(c), c.job_id))
        comparable = qualifying
    else:
        chosen = min(qualifying, key=lambda c: (signed(c), c.cost, c.job_id))
        # Break-even only means something between variants of comparable quality: under a
        # cost constraint, those within the chosen one's CI.
        floor = chosen.ci_low if higher else chosen.ci_high
        floor = chosen.quality if floor is None else floor
        comparable = [c for c in candidates if _better(c.quality, floor, higher)]

    cost_name = _PER_QUERY[per_query_key]
    if queries is not None:
        kind = "emissions" if by_emissions else "energy"
        cost_name = f"{kind} for {queries:,} queries, fine-tuning included"
    cost_name += f" ({basis_label(c.energy_basis for c in candidates)})"
    recommendation = Recommendation(
        task=task,
        metric=metric,
        higher_is_better=higher,
        constraint=constraint,
        cost_name=cost_name,
        cost_unit="gCO2e" if by_emissions else "J",
        queries=queries,
        chosen=chosen,
        candidates=candidates,
        break_even=break_even_notes(chosen, comparable, queries),
    )
    unit = "g" if by_emissions else "J"
    default_rule = by_quality and min_quality is None
    recommendation.reasons.extend(
        reasons(recommendation, qualifying, by_quality, unit, best if default_rule else None)
    )
    recommendation.reasons.extend(
        f"{GAP_MARK} {c.label}: {gap}; its energy figures are understated."
        for c in candidates
        for gap in c.energy_gaps
    )
    if unmeasured:
        recommendation.reasons.append(
            f"Left out: {', '.join(unmeasured)} (fine-tuning phase not measured, so no cost "
            f"for {queries:,} queries)."
        )
    if below:
        recommendation.reasons.append(
            "Not considered, as they do not beat the majority-class baseline: "
            + _below_baseline(below, by_id, metric)
            + "."
        )
    if by_quality and queries is None:  # the cheapest per query: does energy decide it?
        rivals = could_cost_less(by_id[chosen.job_id], [by_id[c.job_id] for c in qualifying])
        if rivals:
            names = ", ".join(job_label(r) for r in rivals)
            recommendation.reasons.append(
                f"Not decided by energy: within the ranges of the estimated energy, {names} "
                f"could cost as little per query as {chosen.label}."
            )
    return recommendation


def _below_baseline(below: list[dict], by_id: Mapping[str, JobRecord], metric: str) -> str:
    """``label (accuracy 0.5 <= majority-class baseline 0.5, always 'positive'; ⚠ …)``, joined."""
    parts = []
    for f in below:
        record = by_id[f["job_id"]]
        base = baselines(record.answers)
        warning = answer_warning(record.answers)
        parts.append(
            f"{f['label']} ({metric} {fmt.number(f['quality'])} <= majority-class baseline "
            f"{fmt.number(base.majority)}, always {base.majority_label!r}"
            + (f"; {warning}" if warning else "")
            + ")"
        )
    return "; ".join(parts)


def _check_arguments(
    records: Sequence[JobRecord],
    task: str,
    min_quality: float | None,
    max_energy_j: float | None,
    max_emissions_g: float | None,
    queries: int | None,
) -> None:
    tasks = sorted({str(r.task) for r in records})
    if task not in tasks:
        raise GreenbenchError(
            f"--task {task!r}: no job of that task; tasks present: {', '.join(tasks) or 'none'}"
        )
    flags = {
        "--min-quality": min_quality,
        "--max-energy-j": max_energy_j,
        "--max-emissions-g": max_emissions_g,
    }
    given = [flag for flag, value in flags.items() if value is not None]
    if len(given) > 1:
        raise GreenbenchError(f"give one constraint, not {' and '.join(given)}")
    for flag in given:
        if not math.isfinite(flags[flag]) or (flag != "--min-quality" and flags[flag] < 0):
            raise GreenbenchError(f"{flag} must be a finite number >= 0, got {flags[flag]}")
    if queries is not None and queries < 1:
        raise GreenbenchError(f"--queries must be >= 1, got {queries}")


def _constraint(
    fields: list[dict],
    best: dict,
    metric: str,
    higher: bool,
    min_quality: float | None,
    max_energy_j: float | None,
    max_emissions_g: float | None,
) -> tuple[str, list[bool]]:
    """The constraint in words, and whether each candidate meets it."""
    op = ">=" if higher else "<="
    if min_quality is not None:
        text = f"{metric} {op} {fmt.number(min_quality)} (--min-quality)"
        return text, [_better(f["quality"], min_quality, higher) for f in fields]
    if max_energy_j is not None:
        text = f"energy per query <= {fmt.si(max_energy_j, 'J')} (--max-energy-j)"
        return text, [f["energy_per_query_j"] <= max_energy_j for f in fields]
    if max_emissions_g is not None:
        text = f"emissions per query <= {fmt.si(max_emissions_g, 'g')} (--max-emissions-g)"
        return text, [f["emissions_per_query_g"] <= max_emissions_g for f in fields]
    bound = best["ci_low"] if higher else best["ci_high"]
    bound = best["quality"] if bound is None else bound
    text = f"{metric} {op} {fmt.number(bound)} (within the 95% CI of the best, {best['label']})"
    return text, [_better(f["quality"], bound, higher) for f in fields]


#: Names of the per-query figures.
_PER_QUERY = {
    "energy_per_query_j": "energy per query",
    "emissions_per_query_g": "emissions per query",
}
