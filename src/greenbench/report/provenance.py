"""Where a figure of a job record came from: measured by a hardware counter, or estimated.

A record's ``phases.<name>.provenance`` maps each energy component to ``measured:<counter>`` or
``estimated:<method>``. A figure derived from several components or phases is *measured* only
when every input was measured; one estimated input makes the whole figure an estimate, and a
figure with no provenance at all is *unknown* (never shown as measured).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from greenbench.records import JobRecord

#: Phases each derived figure of a record is computed from (None: every phase).
FIGURE_PHASES: dict[str, tuple[str, ...] | None] = {
    "energy_per_query_j": ("inference",),
    "energy_per_1k_queries_j": ("inference",),
    "emissions_per_query_g": ("inference",),
    "energy_per_token_j": ("inference",),
    "energy_per_correct_j": ("inference",),
    "quality_per_kwh": ("inference",),
    "cegi": ("finetune", "inference"),
    "gqi": None,
    "emissions_g": None,
}


@dataclass(frozen=True)
class Provenance:
    """The provenance of one figure."""

    kind: str
    """``"measured"`` (every input from a hardware counter), ``"estimated"`` (at least one input
    estimated) or ``"unknown"`` (the record names no provenance)."""
    methods: tuple[str, ...] = ()
    """The distinct provenance strings of the inputs, sorted, e.g.
    ``("estimated:rss×0.375W/GB", "measured:rapl")``."""

    @property
    def measured(self) -> bool:
        """True only when every input was measured; estimates and unknowns are not."""
        return self.kind == "measured"

    def describe(self) -> str:
        """One line for a tooltip or footnote, e.g. ``"estimated — cpu-time×tdp(…)"``."""
        if not self.methods:
            return "provenance unknown"
        return f"{self.kind} — " + "; ".join(self.methods)


def combine(methods: Iterable[str]) -> Provenance:
    """The provenance of a figure computed from inputs with the given provenance strings."""
    distinct = tuple(sorted({str(m) for m in methods if m}))
    if not distinct:
        return Provenance("unknown")
    if all(m.startswith("measured") for m in distinct):
        return Provenance("measured", distinct)
    return Provenance("estimated", distinct)


def phase_provenance(record: JobRecord, phases: Iterable[str] | None = None) -> Provenance:
    """Provenance of the energy of ``phases`` of ``record`` (all phases when None)."""
    recorded = record.phases
    names = recorded if phases is None else [p for p in phases if p in recorded]
    methods: list[str] = []
    for name in names:
        methods.extend(m for m in recorded[name].provenance.values() if m)
    return combine(methods)


def figure_provenance(record: JobRecord, figure: str) -> Provenance:
    """Provenance of a derived figure of ``record`` named as in the record (see
    :data:`FIGURE_PHASES`; unlisted figures take every phase)."""
    return phase_provenance(record, FIGURE_PHASES.get(figure))
