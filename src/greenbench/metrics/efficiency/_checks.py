"""Input checks shared by the efficiency indexes.

Every bad value becomes a one-line :class:`~greenbench.errors.GreenbenchError` naming the
function, the argument and what is allowed.
"""

from __future__ import annotations

import math
import numbers

from greenbench.errors import GreenbenchError


def real(where: str, name: str, value: object) -> float:
    """``value`` as a finite float; NaN, infinities, booleans and non-numbers are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise GreenbenchError(f"{where}: {name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise GreenbenchError(f"{where}: {name} must be a finite number, got {value!r}")
    return number


def non_negative(where: str, name: str, value: object, unit: str = "") -> float:
    """``value`` as a finite float >= 0 (``unit`` is named in the message)."""
    number = real(where, name, value)
    if number < 0:
        unit_text = f" {unit}" if unit else ""
        raise GreenbenchError(f"{where}: {name} must be >= 0{unit_text}, got {value!r}")
    return number


def positive(where: str, name: str, value: object) -> float:
    """``value`` as a finite float > 0."""
    number = real(where, name, value)
    if number <= 0:
        raise GreenbenchError(f"{where}: {name} must be > 0, got {value!r}")
    return number


def count(where: str, name: str, value: object, *, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``; whole floats such as ``40.0`` are accepted."""
    number = real(where, name, value)
    if number != int(number) or number < minimum:
        raise GreenbenchError(f"{where}: {name} must be a whole number >= {minimum}, got {value!r}")
    return int(number)
