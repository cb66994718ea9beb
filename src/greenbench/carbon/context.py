"""Location -> grid carbon intensity and PUE: :class:`CarbonContext` and :func:`resolve_location`.

Emissions of an energy ``E`` (J) are ``E / 3.6e6 [kWh] x intensity [gCO2e/kWh] x PUE``, the
eco2AI / CEGI form ``CF = γ · PUE · E``. Intensities are annual averages from the bundled table
``grid_intensity.csv`` (country ISO3 rows and some region rows, each with its source, year and
emissions boundary). Country and world rows are **lifecycle** figures (Ember), the default; region
rows (eGRID subregions, Canadian provinces, Australian states) are **direct-combustion** figures,
used only when a region is asked for, and every context says which boundary it holds.
"""

from __future__ import annotations

import csv
import functools
import math
import os
import re
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, Literal

from greenbench.errors import GreenbenchError
from greenbench.units import J_PER_KWH

WORLD = "WORLD"
#: What a grid intensity counts: ``lifecycle`` (generation plus upstream fuel supply and plant
#: construction, IPCC AR5 lifecycle factors as Ember applies them) or ``direct-combustion``
#: (stack emissions at the generator only, as eGRID and scope-2 inventory factors count them).
Boundary = Literal["lifecycle", "direct-combustion"]
#: The boundary of every figure given without a region: the country and world rows.
DEFAULT_BOUNDARY: Boundary = "lifecycle"


@dataclass(frozen=True)
class GridRow:
    """One row of the intensity table."""

    country: str
    """ISO 3166-1 alpha-3 code, or ``WORLD``."""
    region: str | None
    """Region code within the country (state, province), None for the country average."""
    name: str
    """Human-readable place name."""
    g_per_kwh: float
    """Annual average grid carbon intensity, in gCO2e per kWh."""
    year: int
    """Year the average is for."""
    boundary: Boundary
    """What the figure counts (see :data:`Boundary`)."""
    source: str
    """Publication the figure comes from."""


@functools.lru_cache(maxsize=1)
def grid_table() -> dict[tuple[str, str | None], GridRow]:
    """The bundled table keyed by ``(country, region or None)``."""
    text = resources.files("greenbench.carbon").joinpath("grid_intensity.csv").read_text()
    rows = {}
    for r in csv.DictReader(text.splitlines()):
        row = GridRow(
            country=r["country"],
            region=r["region"] or None,
            name=r["name"],
            g_per_kwh=float(r["g_per_kwh"]),
            year=int(r["year"]),
            boundary=r["boundary"],  # type: ignore[arg-type]  # checked by the table's test
            source=r["source"],
        )
        rows[(row.country, row.region)] = row
    return rows


@dataclass(frozen=True)
class CarbonContext:
    """Where energy was used and what a kWh of it emits there."""

    country: str | None
    """ISO3 country code, None when no location was given."""
    region: str | None
    """Region within the country, None for the country average."""
    intensity_g_per_kwh: float
    """Grid carbon intensity, in gCO2e per kWh."""
    pue: float
    """Power usage effectiveness of the facility (>= 1; 1.0 counts IT energy only)."""
    source: str
    """Where the intensity comes from (table source, or the override that set it)."""
    year: int | None
    """Year of the intensity figure; None for an override."""
    is_default: bool
    """True when no location or intensity was given and the world average applies."""
    boundary: Boundary | None = None
    """What the table row counts (:data:`Boundary`); None for an override (its giver knows)."""

    def emissions_g(self, energy_j: float) -> float:
        """gCO2e of ``energy_j`` joules: J / 3.6e6 x g/kWh x PUE."""
        return energy_j / J_PER_KWH * self.intensity_g_per_kwh * self.pue

    def describe(self) -> str:
        """One line for tables, e.g. ``56 gCO2e/kWh (FRA, Ember … 2023), PUE 1.0``."""
        if self.is_default:
            where = "world average (no location given)"
        else:
            place = "-".join(p for p in (self.country, self.region) if p) or "override"
            where = place + (f", {self.year}" if self.year else "")
        if self.boundary:
            where += f", {self.boundary}"
        return (
            f"{self.intensity_g_per_kwh:g} gCO2e/kWh, {where}; source: {self.source}; "
            f"PUE {self.pue:g}"
        )

    def to_dict(self) -> dict[str, Any]:
        """``country, region, intensity_g_per_kwh, pue, source, year, is_default, boundary``."""
        return asdict(self)


#: Largest PUE accepted: the worst data centres surveyed report about 2.5–3; 10 allows for
#: unusual sites while refusing typos and absurd values.
MAX_PUE = 10.0
#: Largest grid intensity accepted, in gCO2e/kWh: lignite, the dirtiest fuel, emits ~1,200.
MAX_INTENSITY_G_PER_KWH = 2000.0


def _number(value: str | float | None, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GreenbenchError(f"{what} must be a number (got {value!r})") from None
    if not math.isfinite(number):
        raise GreenbenchError(f"{what} must be a finite number (got {value!r})")
    return number


def resolve_location(
    country: str | None = None,
    region: str | None = None,
    intensity: float | str | None = None,
    pue: float | str | None = None,
) -> CarbonContext:
    """Build the carbon context from arguments, else environment, else the world average.

    Args:
        country: ISO 3166-1 alpha-3 code (``--country``; env ``GREENBENCH_COUNTRY``).
        region: region of ``country`` in the table, e.g. the eGRID subregion ``CAMX`` for USA
            (``--region``; env ``GREENBENCH_REGION``); region rows are direct-combustion.
        intensity: gCO2e/kWh overriding the table (``--carbon-intensity``;
            env ``GREENBENCH_CARBON_INTENSITY``), >= 0.
        pue: power usage effectiveness (``--pue``; env ``GREENBENCH_PUE``), >= 1; default 1.0.

    Raises:
        GreenbenchError: unknown country or region, intensity outside [0, 2000], PUE outside
            [1, 10], non-numbers, nan or inf.
    """
    env = os.environ
    flag = {"country": "--country", "region": "--region"}
    if country is None and env.get("GREENBENCH_COUNTRY"):
        country, flag["country"] = env["GREENBENCH_COUNTRY"], "GREENBENCH_COUNTRY"
    if region is None and env.get("GREENBENCH_REGION"):
        region, flag["region"] = env["GREENBENCH_REGION"], "GREENBENCH_REGION"
    intensity_what = "--carbon-intensity"
    if intensity is None and env.get("GREENBENCH_CARBON_INTENSITY"):
        intensity, intensity_what = (
            env["GREENBENCH_CARBON_INTENSITY"],
            "GREENBENCH_CARBON_INTENSITY",
        )
    pue_what = "--pue"
    if pue is None and env.get("GREENBENCH_PUE"):
        pue, pue_what = env["GREENBENCH_PUE"], "GREENBENCH_PUE"

    pue_value = _number(pue, pue_what)
    pue_value = 1.0 if pue_value is None else pue_value
    if not pue_value >= 1.0:
        raise GreenbenchError(f"{pue_what} must be >= 1.0 (got {pue_value:g})")
    if pue_value > MAX_PUE:
        raise GreenbenchError(f"{pue_what} must be <= {MAX_PUE:g} (got {pue_value:g})")
    override = _number(intensity, intensity_what)
    if override is not None and not override >= 0:
        raise GreenbenchError(f"{intensity_what} must be >= 0 gCO2e/kWh (got {override:g})")
    if override is not None and override > MAX_INTENSITY_G_PER_KWH:
        raise GreenbenchError(
            f"{intensity_what} must be <= {MAX_INTENSITY_G_PER_KWH:g} gCO2e/kWh (got {override:g})"
        )

    table = grid_table()
    row: GridRow | None = None
    if country:
        country = country.strip().upper()
        if override is not None and re.fullmatch(r"[A-Z]{3}", country):
            pass  # only a label: the override sets the intensity
        elif (country, None) not in table or country == WORLD:
            known = ", ".join(sorted(c for c, r in table if r is None and c != WORLD))
            raise GreenbenchError(
                f"unknown country {country!r} for {flag['country']}: give an ISO 3166-1 alpha-3 "
                f"code from the intensity table ({known}), or --carbon-intensity"
            )
        else:
            row = table[(country, None)]
        if region and override is None:
            region = region.strip().upper()
            if (country, region) not in table:
                known = ", ".join(sorted(r for c, r in table if c == country and r)) or "none"
                kind = "eGRID subregions" if country == "USA" else "regions in the table"
                raise GreenbenchError(
                    f"unknown region {region!r} of {country} for {flag['region']} ({kind}: {known})"
                )
            row = table[(country, region)]
    elif region:
        raise GreenbenchError(f"{flag['region']} {region!r} needs a country (--country ISO3)")

    if override is not None:
        return CarbonContext(
            country=country or None,
            region=region or None,
            intensity_g_per_kwh=override,
            pue=pue_value,
            source=f"override ({intensity_what})",
            year=None,
            is_default=False,
        )
    if row is None:
        world = table[(WORLD, None)]
        return CarbonContext(
            country=None,
            region=None,
            intensity_g_per_kwh=world.g_per_kwh,
            pue=pue_value,
            source=world.source,
            year=world.year,
            is_default=True,
            boundary=world.boundary,
        )
    return CarbonContext(
        country=country,
        region=region or None,
        intensity_g_per_kwh=row.g_per_kwh,
        pue=pue_value,
        source=row.source,
        year=row.year,
        is_default=False,
        boundary=row.boundary,
    )
