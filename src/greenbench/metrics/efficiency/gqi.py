"""GQI, the GreenQuotientIndex of "Watt For What" (Gowda et al., arXiv:2310.06522, ECCV 2024
workshops): GQI = β · accuracy^α / log10(E), with E the electricity in ``energy_unit``.

log10(E) <= 0 when E <= 1 unit, so the index is undefined there: :func:`gqi` returns None with a
note instead of a negative or infinite value, and flags values whose energy lies within 10x of
that singularity (1 < E <= 10 units, log10 <= 1), where the index swings with small changes of
energy. One unit serves a whole report (the paper's kWh by default): a unit chosen per group of
models would move the singularity next to the smallest figure of each group and make GQIs of
different groups incomparable. See ``docs/metrics.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency._checks import non_negative, positive, real
from greenbench.units import J_PER_KWH, J_PER_WH

#: Joules per unit.
ENERGY_UNITS_J = {"kWh": J_PER_KWH, "Wh": J_PER_WH, "J": 1.0}
#: Exponent on accuracy (our default; see docs/metrics.md for what the paper states).
DEFAULT_ALPHA = 5.0
#: Scale factor (our default; see docs/metrics.md).
DEFAULT_BETA = 10.0
#: Energies (in the unit) at or below this are flagged: within 10x of the singularity at 1.
NEAR_SINGULARITY = 10.0
#: The unit of the paper, and of a report unless another is chosen.
DEFAULT_UNIT = "kWh"


@dataclass(frozen=True)
class GQIResult:
    """The GQI of one model; comparable only with GQIs of the same unit, α and β."""

    value: float | None
    """β · accuracy^α / log10(energy), dimensionless; higher is better. None when
    energy <= 1 ``energy_unit`` (see :attr:`note`)."""
    energy: float
    """The electricity in ``energy_unit``."""
    energy_unit: str
    """``"J"``, ``"Wh"`` or ``"kWh"``."""
    alpha: float
    beta: float
    note: str | None = None
    """Why ``value`` is None; None otherwise."""
    near_singularity: bool = False
    """True when 1 < energy <= 10 ``energy_unit``: log10 <= 1, the index is unstable there."""


def _unit_factor(where: str, energy_unit: str) -> float:
    try:
        return ENERGY_UNITS_J[energy_unit]
    except KeyError:
        allowed = ", ".join(ENERGY_UNITS_J)
        raise GreenbenchError(
            f"{where}: energy_unit must be one of {allowed}, got {energy_unit!r}"
        ) from None


def gqi(
    accuracy: float,
    energy_j: float,
    *,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_BETA,
    energy_unit: str = DEFAULT_UNIT,
) -> GQIResult:
    """GreenQuotientIndex of a model from its accuracy and the electricity it used.

    Args:
        accuracy: fraction 0..1 (divide percentages by 100 first).
        energy_j: electricity of the phase being rated (training or test), joules (>= 0).
        alpha: exponent on accuracy (> 0); rewards the last points of accuracy.
        beta: scale factor (> 0); only changes the magnitude.
        energy_unit: unit the logarithm is taken in: ``"kWh"`` (the paper's), ``"Wh"`` or
            ``"J"``. GQIs are comparable only within one unit.

    Returns:
        :class:`GQIResult`; ``value`` is None, with a note naming the unit, when the energy is
        <= 1 unit (log10 <= 0 would give an infinite or negative index).

    Raises:
        GreenbenchError: accuracy outside 0..1, negative or non-finite energy, alpha or beta
            <= 0, unknown unit.
    """
    where = "gqi"
    acc = real(where, "accuracy", accuracy)
    if not 0.0 <= acc <= 1.0:
        raise GreenbenchError(
            f"{where}: accuracy must be a fraction 0..1 (divide percentages by 100), "
            f"got {accuracy!r}"
        )
    joules = non_negative(where, "energy_j", energy_j, "J")
    a = positive(where, "alpha", alpha)
    b = positive(where, "beta", beta)
    energy = joules / _unit_factor(where, energy_unit)
    if energy <= 1.0:
        note = (
            f"energy <= 1 {energy_unit}: GQI undefined in this unit (log10 <= 0); "
            "rate the report in a smaller unit (greenbench report --gqi-unit Wh or J)"
        )
        return GQIResult(None, energy, energy_unit, a, b, note)
    value = b * acc**a / math.log10(energy)
    return GQIResult(value, energy, energy_unit, a, b, near_singularity=energy <= NEAR_SINGULARITY)
