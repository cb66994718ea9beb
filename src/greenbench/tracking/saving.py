"""Saving one measured window — of a command (``greenbench measure``) or of a decorated call
(``@greenbench.measured``) — to a results store and/or a CodeCarbon-layout CSV."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from greenbench.carbon import CarbonContext
    from greenbench.energy import Measurement


def check_outputs(out: str | Path | None, csv: str | Path | None) -> None:
    """Refuse, before anything runs, a store or CSV that could not be appended to.

    Raises:
        GreenbenchError: one line naming the file.
    """
    from greenbench.store import check_path
    from greenbench.tracking import codecarbon_csv

    if out is not None:
        check_path(out)
    if csv is not None:
        codecarbon_csv.check(csv)


def save_window(
    measurement: Measurement,
    ctx: CarbonContext,
    *,
    out: str | Path | None,
    csv: str | Path | None,
    command: list[str] | None = None,
    exit_status: int | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Append ``measurement`` (stored as ``to_dict()`` plus ``extra`` keys) to the store ``out``
    and the CodeCarbon CSV ``csv`` (either may be None); emissions from ``ctx`` on the window's
    energy basis (net of idle when an idle baseline was applied, as a sweep's records)."""
    from greenbench.environment import describe
    from greenbench.store import ResultsStore
    from greenbench.tracking import codecarbon_csv

    emissions = ctx.emissions_g(measurement.basis_total_j)
    data = {**measurement.to_dict(), **(extra or {})}
    stored = {
        "id": None,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "measurement": data,
        "carbon": ctx.to_dict(),
        "environment": describe(),
        "emissions_g": emissions,
    }
    if out is not None:
        with ResultsStore(out) as store:
            stored["id"] = store.add_measurement(
                command, data, stored["carbon"], stored["environment"], exit_status,
                emissions,
            )  # fmt: skip
    if csv is not None:
        codecarbon_csv.append(csv, [codecarbon_csv.row(stored)])
