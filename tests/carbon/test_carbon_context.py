"""Joules -> gCO2e: the intensity table, PUE, overrides, environment fallback, bad input."""

from __future__ import annotations

import re

import pytest

from greenbench.carbon import grid_table, resolve_location
from greenbench.errors import GreenbenchError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("COUNTRY", "REGION", "CARBON_INTENSITY", "PUE"):
        monkeypatch.delenv(f"GREENBENCH_{var}", raising=False)


def test_conversion_is_kwh_times_intensity_times_pue():
    ctx = resolve_location(intensity=100.0, pue=1.5)
    assert ctx.emissions_g(3.6e6) == pytest.approx(150.0)  # 1 kWh
    assert ctx.emissions_g(0.0) == 0.0


def test_country_row_with_source_and_year():
    ctx = resolve_location(country="fra")
    row = grid_table()[("FRA", None)]
    assert (ctx.country, ctx.intensity_g_per_kwh, ctx.year) == ("FRA", row.g_per_kwh, row.year)
    assert ctx.source == row.source and not ctx.is_default
    assert ctx.emissions_g(3.6e6) == pytest.approx(row.g_per_kwh)


def test_region_row_is_an_egrid_subregion_and_says_its_boundary():
    ctx = resolve_location(country="USA", region="camx")
    assert ctx.region == "CAMX"
    assert ctx.intensity_g_per_kwh == grid_table()[("USA", "CAMX")].g_per_kwh
    assert ctx.intensity_g_per_kwh != grid_table()[("USA", None)].g_per_kwh
    assert ctx.boundary == "direct-combustion" and "direct-combustion" in ctx.describe()
    assert resolve_location(country="USA").boundary == "lifecycle"  # the default boundary
    with pytest.raises(GreenbenchError, match=r"unknown region 'CA' of USA .*eGRID subregions"):
        resolve_location(country="USA", region="CA")  # states are not grid regions


def test_no_location_is_the_world_average_and_says_so():
    ctx = resolve_location()
    assert ctx.is_default and ctx.country is None
    assert ctx.intensity_g_per_kwh == grid_table()[("WORLD", None)].g_per_kwh
    assert "world average (no location given)" in ctx.describe()
    assert ctx.to_dict()["is_default"] is True


def test_override_wins_and_is_labelled():
    ctx = resolve_location(country="POL", intensity=12.5)
    assert ctx.intensity_g_per_kwh == 12.5 and ctx.country == "POL"
    assert ctx.source == "override (--carbon-intensity)" and ctx.year is None
    assert not ctx.is_default


def test_environment_fallback(monkeypatch):
    monkeypatch.setenv("GREENBENCH_COUNTRY", "SWE")
    monkeypatch.setenv("GREENBENCH_PUE", "1.2")
    ctx = resolve_location()
    assert (ctx.country, ctx.pue) == ("SWE", 1.2)
    assert resolve_location(country="DEU").country == "DEU"  # an argument beats the env
    monkeypatch.setenv("GREENBENCH_CARBON_INTENSITY", "42")
    assert resolve_location().source == "override (GREENBENCH_CARBON_INTENSITY)"


def test_to_dict_keys():
    assert set(resolve_location(country="GBR").to_dict()) == {
        "country",
        "region",
        "intensity_g_per_kwh",
        "pue",
        "source",
        "year",
        "is_default",
        "boundary",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "XYZ"}, "unknown country 'XYZ' for --country"),
        ({"country": "FR"}, "unknown country 'FR'"),
        ({"pue": -1}, "--pue must be >= 1.0"),
        ({"pue": 0.9}, "--pue must be >= 1.0"),
        ({"pue": "lots"}, "--pue must be a number"),
        ({"intensity": -5}, "--carbon-intensity must be >= 0"),
        ({"country": "USA", "region": "ZZ"}, "unknown region 'ZZ' of USA"),
        ({"region": "CA"}, "needs a country"),
    ],
)
def test_bad_input_names_the_flag(kwargs, message):
    with pytest.raises(GreenbenchError) as err:
        resolve_location(**kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("GREENBENCH_PUE", "0.5")
    with pytest.raises(GreenbenchError, match=r"GREENBENCH_PUE must be >= 1\.0"):
        resolve_location()
    monkeypatch.setenv("GREENBENCH_PUE", "1")
    monkeypatch.setenv("GREENBENCH_COUNTRY", "ATLANTIS")
    with pytest.raises(GreenbenchError, match="for GREENBENCH_COUNTRY"):
        resolve_location()


def test_every_table_row_has_source_and_year():
    table = grid_table()
    assert ("WORLD", None) in table
    for (country, region), row in table.items():
        assert re.fullmatch(r"[A-Z]{3}|WORLD", country)
        assert region is None or (country, None) in table  # regions refine a listed country
        assert 0 <= row.g_per_kwh < 1500
        assert 2015 <= row.year <= 2030 and row.source and row.name


def test_the_table_file_has_its_schema_and_every_row_its_boundary():
    from importlib import resources

    text = resources.files("greenbench.carbon").joinpath("grid_intensity.csv").read_text()
    assert text.splitlines()[0] == "country,region,name,g_per_kwh,year,boundary,source"
    for (_, region), row in grid_table().items():
        # one boundary per kind of row: country and world rows lifecycle (Ember), regions not
        assert row.boundary == ("direct-combustion" if region else "lifecycle")


#: eGRID's 27 subregions (EPA), the unit US rows use; states are not grid regions.
EGRID_SUBREGIONS = set(
    [
        "AKGD",
        "AKMS",
        "AZNM",
        "CAMX",
        "ERCT",
        "FRCC",
        "HIMS",
        "HIOA",
        "MROE",
        "MROW",
        "NEWE",
        "NWPP",
        "NYCW",
        "NYLI",
        "NYUP",
        "PRMS",
        "RFCE",
        "RFCM",
        "RFCW",
        "RMPA",
        "SPNO",
        "SPSO",
        "SRMV",
        "SRMW",
        "SRSO",
        "SRTV",
        "SRVC",
    ]
)


def test_us_regions_are_the_egrid_subregions():
    us = {region for country, region in grid_table() if country == "USA" and region}
    assert us == EGRID_SUBREGIONS
    assert all("eGRID" in grid_table()[("USA", r)].source for r in us)


@pytest.mark.parametrize(("country", "ember_2023"), [("COL", 260), ("CZE", 450), ("IRL", 291)])
def test_rows_found_off_now_match_ember_2023(country, ember_2023):
    row = grid_table()[(country, None)]
    assert row.year == 2023 and row.g_per_kwh == pytest.approx(ember_2023, abs=2)
