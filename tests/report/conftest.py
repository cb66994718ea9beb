"""Fixtures of the report tests: a results store built from constructed records, and the
rendered report parsed into a tree."""

from __future__ import annotations

from pathlib import Path

import pytest
import report_fixtures as rf
from report_dom import Element, parse_html


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A sweep directory holding the constructed records of :mod:`report_fixtures`."""
    return rf.build_store(tmp_path, rf.records(), rf.samples_by_job(), rf.META)


@pytest.fixture(scope="session")
def rendered() -> str:
    """The HTML report of the constructed records (rendered once per session)."""
    from greenbench.report import render_html

    # the fixtures' energies are CPU-sized (joules): rated in J, their GQIs have values
    return render_html(rf.records(), rf.samples_by_job(), rf.META, gqi_unit="J")


@pytest.fixture(scope="session")
def page(rendered: str) -> Element:
    """The parsed report."""
    return parse_html(rendered)
