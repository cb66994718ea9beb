"""The sentences of a recommendation: why the chosen variant, and the break-even of fine-tuned
variants (after how many queries their one-off fine-tuning emissions are repaid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from greenbench.metrics.efficiency import break_even
from greenbench.report import formatting as fmt

if TYPE_CHECKING:
    from greenbench.report.recommend import Candidate, Recommendation


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


def amount(value: float | None, key: str) -> str:
    """``value`` with its unit and SI prefix: gCO₂e for a key ending in ``_g``, else J."""
    return fmt.si(value, "g") + " CO₂e" if key.endswith("_g") else fmt.si(value, "J")


def _break_even_note(
    tuned: Candidate, other: Candidate, queries: int | None
) -> BreakEvenNote | None:
    """Break-even of fine-tuned ``tuned`` against ``other`` (emissions; None without figures)."""
    if None in (
        tuned.emissions_per_query_g,
        other.emissions_per_query_g,
        tuned.finetune_emissions_g,
        other.finetune_emissions_g,
    ):
        return None
    # What the fine-tuned variant must repay is the one-off emissions it has beyond the other's
    # (the other may be fine-tuned too); a variant with less one-off cost is ahead from query 1.
    extra = max(0.0, tuned.finetune_emissions_g - other.finetune_emissions_g)
    result = break_even(extra, tuned.emissions_per_query_g, other.emissions_per_query_g)
    saving = None if queries is None else result.saving_g(queries)
    per_query = (
        f"{amount(tuned.emissions_per_query_g, '_g')} vs "
        f"{amount(other.emissions_per_query_g, '_g')} per query"
    )
    if result.queries is None:
        sentence = (
            f"Against {other.label}, {tuned.label} never repays its fine-tuning "
            f"({amount(extra, '_g')} once): it emits no less per query ({per_query})."
        )
    elif result.queries == 0:
        sentence = (
            f"Against {other.label}, {tuned.label} is ahead from the first query: no extra "
            f"one-off emissions and {per_query}."
        )
    else:
        sentence = (
            f"Against {other.label}, the fine-tuning of {tuned.label} ({amount(extra, '_g')} once) "
            f"is repaid after {result.whole_queries:,} queries ({per_query})."
        )
    if saving is not None:
        sentence += (
            f" Over {queries:,} queries {tuned.label} saves {amount(saving, '_g')}."
            if saving >= 0
            else f" Over {queries:,} queries {tuned.label} emits {amount(-saving, '_g')} more."
        )
    return BreakEvenNote(tuned.job_id, other.job_id, result.queries, saving, sentence)


def break_even_notes(
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


def reasons(
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
        f"{amount(chosen.energy_per_query_j, '_j')} and "
        f"{amount(chosen.emissions_per_query_g, '_g')} per query{estimated}.",
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
