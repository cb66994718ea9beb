"""Per-query figures of one evaluation: energy and emissions per sample, per 1,000 queries,
per generated token and per correct answer, and quality per kWh (see ``docs/metrics.md``)."""

from __future__ import annotations

from dataclasses import dataclass

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency._checks import count, non_negative, real
from greenbench.units import J_PER_KWH


@dataclass(frozen=True)
class PerQuery:
    """Per-query figures; a figure that does not apply is None (``notes`` says why when the
    input was given but unusable)."""

    energy_per_query_j: float
    """Energy per sample (query), J."""
    emissions_per_query_g: float
    """Emissions per sample, gCO2e."""
    energy_per_1k_queries_j: float
    """Energy per 1,000 samples, J."""
    emissions_per_1k_queries_g: float
    """Emissions per 1,000 samples, gCO2e."""
    energy_per_token_j: float | None
    """Energy per generated token, J; None without tokens."""
    energy_per_correct_j: float | None
    """Energy per correct answer, J; None when ``correct`` is not given or is 0."""
    quality_per_kwh: float | None
    """Quality divided by the energy per query in kWh (independent of the number of samples);
    None without quality or with zero energy."""
    notes: tuple[str, ...] = ()
    """One line per figure left out although its input was given."""


def per_query(
    energy_j: float,
    emissions_g: float,
    samples: int,
    *,
    correct: int | None = None,
    generated_tokens: int | None = None,
    quality: float | None = None,
) -> PerQuery:
    """Per-query energy and emissions of an evaluation of ``samples`` queries.

    Args:
        energy_j: energy of the inference phase over all samples, J (>= 0); net of idle where
            an idle baseline was taken (the record's ``energy_basis``).
        emissions_g: emissions of the same phase, gCO2e (>= 0).
        samples: queries evaluated (>= 1).
        correct: samples answered correctly (0..samples), for the energy per correct answer.
        generated_tokens: tokens generated over all samples (>= 0).
        quality: primary metric (any scale), for quality per kWh.

    Raises:
        GreenbenchError: ``samples`` < 1, negative or non-finite energy/emissions, ``correct``
            outside 0..samples, negative token count, non-finite quality.
    """
    where = "per_query"
    energy = non_negative(where, "energy_j", energy_j, "J")
    emissions = non_negative(where, "emissions_g", emissions_g, "gCO2e")
    n = count(where, "samples", samples, minimum=1)
    notes: list[str] = []

    energy_q = energy / n
    emissions_q = emissions / n

    per_token = None
    if generated_tokens is not None:
        tokens = count(where, "generated_tokens", generated_tokens)
        if tokens == 0:
            notes.append("no generated tokens: energy per token undefined")
        else:
            per_token = energy / tokens

    per_correct = None
    if correct is not None:
        right = count(where, "correct", correct)
        if right > n:
            raise GreenbenchError(f"{where}: correct must be <= samples ({n}), got {correct!r}")
        if right == 0:
            notes.append("no correct answers: energy per correct answer undefined")
        else:
            per_correct = energy / right

    per_kwh = None
    if quality is not None:
        q = real(where, "quality", quality)
        if energy_q == 0:
            notes.append("zero energy: quality per kWh undefined")
        else:
            per_kwh = q / (energy_q / J_PER_KWH)

    return PerQuery(
        energy_per_query_j=energy_q,
        emissions_per_query_g=emissions_q,
        energy_per_1k_queries_j=energy_q * 1000,
        emissions_per_1k_queries_g=emissions_q * 1000,
        energy_per_token_j=per_token,
        energy_per_correct_j=per_correct,
        quality_per_kwh=per_kwh,
        notes=tuple(notes),
    )
