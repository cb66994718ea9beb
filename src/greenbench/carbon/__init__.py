"""Joules -> gCO2e: grid carbon intensity by country/region (bundled table), PUE and overrides."""

from greenbench.carbon.context import CarbonContext, GridRow, grid_table, resolve_location

__all__ = ["CarbonContext", "GridRow", "grid_table", "resolve_location"]
