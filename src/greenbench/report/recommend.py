"""Which variant to deploy for a task, and why.

The rule (documented in ``docs/report.md``):

1. Candidates are the task's successful jobs with a primary-metric value and per-query figures.
2. One constraint decides which candidates qualify: ``min_quality`` (quality at least this good),
   ``max_energy_j`` (inference energy per query at most this, J) or ``max_emissions_g``
   (emissions per query at most this, gCO2e). Without one, a candidate qualifies when its
   quality is within the 95% CI of the best candidate (at least the best's ``ci_low``;
   at most its ``ci_high`` for lower-is-better metrics): statistically as good as the best.
3. The cost is per query (energy, or emissions with ``max_emissions_g``); with ``queries=N`` it
   is the lifetime cost of serving N queries, one-off fine-tuning included: E_ft + N × e_query.
4. Under a quality constraint the cheapest qualifying candidate is chosen (ties: better quality);
   under a cost constraint the best quality (ties: cheaper). Either way the choice is on the
   Pareto frontier of (quality, cost) of the qualifying candidates; whether it is also on the
   frontier of all candidates is reported (variants outside the constraint may dominate it).
5. Fine-tuned variants are compared by break-even: after how many queries the one-off
   fine-tuning emissions are repaid by lower emissions per query.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import break_even, pareto_front
from greenbench.report import formatting as fmt
from greenbench.report.provenance import phase_provenance
from greenbench.report.tables import higher_is_better, job_label, primary_quality


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
    finetune_energy_j: float
    """One-off fine-tuning energy, J (0 when not fine-tuned)."""
    finetune_emissions_g: float
    """One-off fine-tuning emissions, gCO2e (0 when not fine-tuned)."""
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
class BreakEvenNote:
    """Break-even of a fine-tuned variant against an alternative."""

    finetuned_job_id: str
    against_job_id: str
    queries: float | None
    """Queries after which the fine-tuned variant has emitted less in total; None: never."""
    saving_g: float | None
    """Emissions saved by the fine-tuned variant after the requested queries, gCO2e (negative:
    it emitted more); None without ``queries``."""
    sentence: str


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
    """What is minimized, e.g. ``"energy per query"``."""
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


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _candidate_fields(record: Mapping) -> dict | None:
    quality = primary_quality(record)
    value = _float(quality.get("value"))
    if value is None:
        return None
    finetune = (record.get("phases") or {}).get("finetune") or {}
    provenance = phase_provenance(record)
    return {
        "job_id": str(record.get("job_id")),
        "label": job_label(record),
        "quality": value,
        "ci_low": _float(quality.get("ci_low")),
        "ci_high": _float(quality.get("ci_high")),
        "energy_per_query_j": _float(record.get("energy_per_query_j")),
        "emissions_per_query_g": _float(record.get("emissions_per_query_g")),
        "finetune_energy_j": _float((finetune.get("energy_j") or {}).get("total")) or 0.0,
        "finetune_emissions_g": _float((record.get("emissions_g") or {}).get("finetune")) or 0.0,
        "finetuned": bool((record.get("variant") or {}).get("finetune")) or bool(finetune),
        "estimated": not provenance.measured,
        "provenance": provenance.describe(),
    }


def _better(a: float, b: float, higher_is_better: bool) -> bool:
    """``a`` at least as good as ``b``."""
    return a >= b if higher_is_better else a <= b


def recommend(
    records: Sequence[Mapping],
    task: str,
    *,
    min_quality: float | None = None,
    max_energy_j: float | None = None,
    max_emissions_g: float | None = None,
    queries: int | None = None,
) -> Recommendation:
    """Recommend a variant of ``task`` from the job records of a sweep (see the module doc).

    Args:
        records: job records (``docs/records.md``), any task and status.
        task: the task to deploy for.
        min_quality: primary metric at least this good (>= for higher-is-better metrics).
        max_energy_j: inference energy per query at most this, J.
        max_emissions_g: inference emissions per query at most this, gCO2e.
        queries: queries the deployment will serve (>= 1): cost becomes E_ft + N × e_query.

    Raises:
        GreenbenchError: unknown task (the message lists the tasks present), more than one
            constraint, ``queries`` < 1, no usable candidate, or none meeting the constraint.
    """
    _check_arguments(records, task, min_quality, max_energy_j, max_emissions_g, queries)
    ok = [r for r in records if str(r.get("task")) == task and r.get("status") == "ok"]
    higher = higher_is_better(ok[0]) if ok else True
    metric = str((ok[0] if ok else {}).get("primary_metric") or "quality")
    by_emissions = max_emissions_g is not None
    per_query_key = "emissions_per_query_g" if by_emissions else "energy_per_query_j"
    one_off_key = "finetune_emissions_g" if by_emissions else "finetune_energy_j"
    fields = [f for f in map(_candidate_fields, ok) if f and f[per_query_key] is not None]
    if not fields:
        raise GreenbenchError(
            f"--task {task!r}: no successful job with quality and {per_query_key} to compare"
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
            f"{_si(cheapest[per_query_key], per_query_key)} ({cheapest['label']})"
        )
        raise GreenbenchError(f"no variant of task {task!r} meets {constraint}; {closest}")

    costs = [
        f[per_query_key] if queries is None else f[one_off_key] + queries * f[per_query_key]
        for f in fields
    ]
    points = [(f["quality"], c) for f, c in zip(fields, costs, strict=True)]
    front = set(pareto_front(points, higher_is_better=higher))
    candidates = [
        Candidate(**f, cost=c, qualifies=q, on_frontier=i in front)
        for i, (f, c, q) in enumerate(zip(fields, costs, qualifies, strict=True))
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
        break_even=_break_even_notes(chosen, comparable, queries),
    )
    unit = "g" if by_emissions else "J"
    default_rule = by_quality and min_quality is None
    recommendation.reasons.extend(
        _reasons(recommendation, qualifying, by_quality, unit, best if default_rule else None)
    )
    return recommendation


def _check_arguments(
    records: Sequence[Mapping],
    task: str,
    min_quality: float | None,
    max_energy_j: float | None,
    max_emissions_g: float | None,
    queries: int | None,
) -> None:
    tasks = sorted({str(r.get("task")) for r in records})
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


def _si(value: float | None, key: str) -> str:
    return fmt.si(value, "g") + " CO₂e" if key.endswith("_g") else fmt.si(value, "J")


def _break_even_note(
    tuned: Candidate, other: Candidate, queries: int | None
) -> BreakEvenNote | None:
    """Break-even of fine-tuned ``tuned`` against ``other`` (emissions; None without figures)."""
    if tuned.emissions_per_query_g is None or other.emissions_per_query_g is None:
        return None
    # What the fine-tuned variant must repay is the one-off emissions it has beyond the other's
    # (the other may be fine-tuned too); a variant with less one-off cost is ahead from query 1.
    extra = max(0.0, tuned.finetune_emissions_g - other.finetune_emissions_g)
    result = break_even(extra, tuned.emissions_per_query_g, other.emissions_per_query_g)
    saving = None if queries is None else result.saving_g(queries)
    per_query = (
        f"{_si(tuned.emissions_per_query_g, '_g')} vs {_si(other.emissions_per_query_g, '_g')} "
        "per query"
    )
    if result.queries is None:
        sentence = (
            f"Against {other.label}, {tuned.label} never repays its fine-tuning "
            f"({_si(extra, '_g')} once): it emits no less per query ({per_query})."
        )
    elif result.queries == 0:
        sentence = (
            f"Against {other.label}, {tuned.label} is ahead from the first query: no extra "
            f"one-off emissions and {per_query}."
        )
    else:
        sentence = (
            f"Against {other.label}, the fine-tuning of {tuned.label} ({_si(extra, '_g')} once) "
            f"is repaid after {result.whole_queries:,} queries ({per_query})."
        )
    if saving is not None:
        sentence += (
            f" Over {queries:,} queries {tuned.label} saves {_si(saving, '_g')}."
            if saving >= 0
            else f" Over {queries:,} queries {tuned.label} emits {_si(-saving, '_g')} more."
        )
    return BreakEvenNote(tuned.job_id, other.job_id, result.queries, saving, sentence)


def _break_even_notes(
    chosen: Candidate, comparable: list[Candidate], queries: int | None
) -> list[BreakEvenNote]:
    """The chosen fine-tuned variant against every other comparable one; or, for a chosen variant
    that is not fine-tuned, every comparable fine-tuned variant cheaper per query against it."""
    others = [c for c in comparable if c.job_id != chosen.job_id]
    if chosen.finetuned:
        pairs = [(chosen, other) for other in others]
    else:
        pairs = [
            (other, chosen)
            for other in others
            if other.finetuned
            and other.emissions_per_query_g is not None
            and chosen.emissions_per_query_g is not None
            and other.emissions_per_query_g < chosen.emissions_per_query_g
        ]
    notes = [_break_even_note(tuned, other, queries) for tuned, other in pairs]
    return [n for n in notes if n is not None]


def _reasons(
    rec: Recommendation,
    qualifying: list[Candidate],
    by_quality: bool,
    unit: str,
    best: dict | None,
) -> list[str]:
    """The sentences of :attr:`Recommendation.reasons`; ``best`` (the best-quality candidate)
    is given under the default rule, to say when the choice is below it but within its CI."""
    chosen = rec.chosen
    ci = (
        f" (95% CI {fmt.number(chosen.ci_low)}–{fmt.number(chosen.ci_high)})"
        if chosen.ci_low is not None and chosen.ci_high is not None
        else ""
    )
    estimated = " — estimated†" if chosen.estimated else ""
    reasons = [
        f"Deploy {chosen.label} for {rec.task}: {rec.metric} {fmt.number(chosen.quality)}{ci}, "
        f"{_si(chosen.energy_per_query_j, '_j')} and "
        f"{_si(chosen.emissions_per_query_g, '_g')} per query{estimated}.",
        f"It meets the constraint {rec.constraint}; {len(qualifying)} of "
        f"{len(rec.candidates)} variants do.",
    ]
    if best is not None and best["job_id"] != chosen.job_id and best["quality"] != chosen.quality:
        reasons.append(
            f"Its {rec.metric} is below the best ({fmt.number(best['quality'])}, "
            f"{best['label']}) but within that variant's 95% CI: with these samples the "
            "difference is not significant."
        )
    cost_text = fmt.si(chosen.cost, unit) + (" CO₂e" if unit == "g" else "")
    if chosen.on_frontier:
        reasons.append(
            f"It is on the Pareto frontier of {rec.metric} against {rec.cost_name}: no other "
            "variant is at least as good and cheaper."
        )
    else:
        better = [
            c.label
            for c in rec.candidates
            if c.job_id != chosen.job_id
            and c.cost <= chosen.cost
            and (
                c.quality >= chosen.quality if rec.higher_is_better else c.quality <= chosen.quality
            )
        ]
        reasons.append(
            f"It is not on the Pareto frontier of {rec.metric} against {rec.cost_name}: "
            f"{', '.join(better)} {'is' if len(better) == 1 else 'are'} at least as good and "
            "cheaper but outside the constraint."
        )
    rivals = [c for c in qualifying if c.job_id != chosen.job_id]
    if not rivals:
        reasons.append("It is the only variant that meets the constraint.")
    elif by_quality:
        nxt = min(rivals, key=lambda c: c.cost)
        other = fmt.si(nxt.cost, unit) + (" CO₂e" if unit == "g" else "")
        reasons.append(
            f"Of those, it has the lowest {rec.cost_name}: {cost_text}, against {other} for "
            f"{nxt.label}, the next lowest."
        )
    else:
        key = (lambda c: -c.quality) if rec.higher_is_better else (lambda c: c.quality)
        nxt = min(rivals, key=key)
        reasons.append(
            f"Of those, it has the best {rec.metric}: {fmt.number(chosen.quality)}, against "
            f"{fmt.number(nxt.quality)} for {nxt.label}, the next best."
        )
    reasons.extend(note.sentence for note in rec.break_even)
    compared = {n.against_job_id for n in rec.break_even} | {
        n.finetuned_job_id for n in rec.break_even
    }
    estimated_any = [
        c for c in rec.candidates if c.estimated and (c is chosen or c.job_id in compared)
    ]
    if estimated_any:
        reasons.append(
            "The energy figures behind this choice are estimated, not measured "
            f"({chosen.provenance if chosen.estimated else estimated_any[0].provenance}); "
            "treat close comparisons with care."
        )
    return reasons
