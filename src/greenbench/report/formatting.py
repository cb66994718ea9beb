"""Numbers as people read them: three significant digits and an SI prefix (``1.23 kJ``)."""

from __future__ import annotations

import math

_PREFIXES = [
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "µ"),
    (1e-9, "n"),
    (1e-12, "p"),
]
DASH = "—"


def number(value: float | None, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits (plain notation between 1e-4 and 1e6);
    an em dash for None or a non-finite value."""
    if value is None or not math.isfinite(value):
        return DASH
    value = float(f"{value:.{digits}g}")
    if value == 0:
        return "0"
    if 1e-4 <= abs(value) < 1e6:
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
        return f"{value:.{decimals}f}"
    return f"{value:.{digits - 1}e}"


def prefix_for(value: float) -> tuple[float, str]:
    """The SI ``(factor, prefix)`` under which ``abs(value)`` reads between 1 and 1000,
    e.g. ``(1e-3, "m")`` for 0.0042; ``(1.0, "")`` for 0 or a non-finite value."""
    if not math.isfinite(value) or value == 0:
        return 1.0, ""
    return next(((f, p) for f, p in _PREFIXES if abs(value) >= f), _PREFIXES[-1])


def si(value: float | None, unit: str, digits: int = 3) -> str:
    """``value`` in ``unit`` with an SI prefix, e.g. ``si(1234, "J") == "1.23 kJ"``,
    ``si(5e-5, "g") == "50.0 µg"``; an em dash for None."""
    if value is None or not math.isfinite(value):
        return DASH
    value = float(f"{value:.{digits}g}")  # round first: 999.9 J is "1.00 kJ"
    if value == 0:
        return f"0 {unit}"
    factor, prefix = prefix_for(value)
    scaled = value / factor
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(scaled))))
    return f"{scaled:.{decimals}f} {prefix}{unit}"


def count(value: int | float | None) -> str:
    """A parameter count: ``134.5M``, ``460.8k``, ``1.2B``; an em dash for None."""
    if value is None:
        return DASH
    for factor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.1f}{suffix}"
    return str(int(value))
