"""Break-even of fine-tuning: after how many queries a fine-tuned small model's one-off
fine-tuning emissions are repaid by its lower per-query emissions against a larger model.

n* = E_ft / (e_large − e_small). Whether the two models reach comparable quality is for the
caller (the recommender) to decide. See ``docs/metrics.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from greenbench.metrics.efficiency._checks import non_negative

NEVER = "never: the small model costs more per query"


@dataclass(frozen=True)
class BreakEven:
    """Break-even of a fine-tuned small model against a larger one."""

    queries: float | None
    """Queries after which the cumulative saving reaches 0 (continuous n*); 0 when there is no
    fine-tuning cost to repay; None when never (see :attr:`note`)."""
    finetune_emissions_g: float
    """One-off fine-tuning emissions of the small model, gCO2e."""
    per_query_small_g: float
    """Emissions per query of the fine-tuned small model, gCO2e."""
    per_query_large_g: float
    """Emissions per query of the larger model, gCO2e."""
    note: str | None = None
    """:data:`NEVER` when the small model never repays; None otherwise."""

    @property
    def whole_queries(self) -> int | None:
        """Smallest whole number of queries with a saving >= 0 (ceil of ``queries``)."""
        return None if self.queries is None else math.ceil(self.queries)

    def saving_g(self, n: float) -> float:
        """Cumulative saving after ``n`` queries, gCO2e: n·(e_large − e_small) − E_ft.

        Negative while the fine-tuning is not yet repaid.
        """
        queries = non_negative("BreakEven.saving_g", "n", n)
        per_query = self.per_query_large_g - self.per_query_small_g
        return queries * per_query - self.finetune_emissions_g


def break_even(
    finetune_emissions_g: float, per_query_small_g: float, per_query_large_g: float
) -> BreakEven:
    """Queries after which fine-tuning a small model pays off against a larger model.

    Args:
        finetune_emissions_g: one-off fine-tuning emissions of the small model, gCO2e (>= 0).
        per_query_small_g: emissions per query of the fine-tuned small model, gCO2e (>= 0).
        per_query_large_g: emissions per query of the larger model, gCO2e (>= 0).

    Returns:
        :class:`BreakEven`: ``queries`` is E_ft / (e_large − e_small) when the small model is
        cheaper per query; 0 when E_ft is 0 and it is no dearer per query; None with note
        :data:`NEVER` when it is dearer per query, or equal with E_ft > 0.

    Raises:
        GreenbenchError: a negative or non-finite input.
    """
    where = "break_even"
    e_ft = non_negative(where, "finetune_emissions_g", finetune_emissions_g, "gCO2e")
    small = non_negative(where, "per_query_small_g", per_query_small_g, "gCO2e")
    large = non_negative(where, "per_query_large_g", per_query_large_g, "gCO2e")
    if e_ft == 0 and small <= large:
        return BreakEven(0.0, e_ft, small, large)
    if small >= large:
        return BreakEven(None, e_ft, small, large, NEVER)
    return BreakEven(e_ft / (large - small), e_ft, small, large)
