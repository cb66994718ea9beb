"""Efficiency indexes: pure functions of measured quality, energy and emissions.

- :func:`cegi` — Carbon Efficient Gain Index of a fine-tuned variant (Kumar et al., 2024)
- :func:`gqi` — GreenQuotientIndex (Gowda et al., "Watt For What")
- :func:`per_query` — energy and emissions per query, per token, per correct answer
- :func:`pareto_front` — non-dominated (quality, cost) points
- :func:`break_even` — queries until fine-tuning a small model pays off against a larger one

Formulas, units, sources and edge cases: ``docs/metrics.md``.
"""

from greenbench.metrics.efficiency.break_even import BreakEven, break_even
from greenbench.metrics.efficiency.cegi import CEGIResult, cegi
from greenbench.metrics.efficiency.gqi import DEFAULT_UNIT, ENERGY_UNITS_J, GQIResult, gqi
from greenbench.metrics.efficiency.pareto import pareto_front
from greenbench.metrics.efficiency.per_query import PerQuery, per_query

__all__ = [
    "DEFAULT_UNIT",
    "ENERGY_UNITS_J",
    "BreakEven",
    "CEGIResult",
    "GQIResult",
    "PerQuery",
    "break_even",
    "cegi",
    "gqi",
    "pareto_front",
    "per_query",
]
