"""``@greenbench.measured``: CodeCarbon's ``@track_emissions`` habit, a window per call.

Example::

    import greenbench

    @greenbench.measured("train", out="runs.db", csv="emissions.csv", country="FRA")
    def train(model, data):
        ...

Each call of ``train`` is measured in its own energy window (a fresh
:class:`~greenbench.energy.EnergyMeter`, closed after the call) and appended to the results
store ``out`` as a measurement — the window's name, the function's qualified name, duration,
energy per component with provenance, emissions, carbon context and host — which
``greenbench report runs.db`` reads; with ``csv=`` the same call is also appended to a
CodeCarbon-layout ``emissions.csv`` (:mod:`greenbench.tracking.codecarbon_csv`). A call that
raises is recorded too (``measurement.error`` names the exception), then the exception
propagates unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])


@overload
def measured(name: F) -> F: ...


@overload
def measured(
    name: str | None = None,
    *,
    out: str | Path | None = "runs.db",
    csv: str | Path | None = None,
    meter: str = "auto",
    country: str | None = None,
    region: str | None = None,
    pue: float | None = None,
    carbon_intensity: float | None = None,
) -> Callable[[F], F]: ...


def measured(
    name: Any = None,
    *,
    out: str | Path | None = "runs.db",
    csv: str | Path | None = None,
    meter: str = "auto",
    country: str | None = None,
    region: str | None = None,
    pue: float | None = None,
    carbon_intensity: float | None = None,
) -> Any:
    """Decorate a function so that each call is measured and recorded.

    Args:
        name: the window's name (default: the function's name). ``@measured`` without
            parentheses works too.
        out: results store to append each call to (None: none).
        csv: CodeCarbon-layout CSV to append each call to (None: none).
        meter: energy source, as ``greenbench measure --meter``.
        country, region, pue, carbon_intensity: the grid, as ``greenbench measure``.

    Raises:
        GreenbenchError: at decoration time, an unknown location or an ``out`` that is not a
            results store.
    """
    if callable(name):
        return measured()(name)
    from greenbench.carbon import resolve_location
    from greenbench.tracking.saving import check_outputs, save_window

    ctx = resolve_location(country, region, carbon_intensity, pue)
    check_outputs(out, csv)

    def decorate(fn: F) -> F:
        window_name = name or fn.__name__
        function = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from greenbench.energy import EnergyMeter

            error, window = None, None
            with EnergyMeter(meter, country=ctx.country) as energy:
                try:
                    with energy.window(window_name) as window:
                        return fn(*args, **kwargs)
                except BaseException as exc:
                    error = type(exc).__name__
                    raise
                finally:
                    if window is not None and window.measurement is not None:
                        extra = {"function": function, "error": error}
                        save_window(window.measurement, ctx, out=out, csv=csv, extra=extra)

        return wrapper  # type: ignore[return-value]

    return decorate
