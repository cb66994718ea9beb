"""Estimated energies show their range beside the figure; orders energy cannot decide are marked."""

from __future__ import annotations

import io

import report_fixtures as rf
from report_dom import parse_html
from rich.console import Console

from greenbench.report import print_leaderboard, render_html
from greenbench.report.tables import leaderboards


def _records() -> list[dict]:
    """Two equal-quality estimated jobs whose ranges overlap, and a measured one far dearer."""
    a = rf.record("j-a", variant="a", quality=0.5, inference_j=40.0)  # 1 J per query
    b = rf.record("j-b", variant="b", quality=0.5, inference_j=60.0)  # 1.5 J per query
    m = rf.record("j-m", variant="m", quality=0.5, inference_j=400.0, provenance=rf.MEASURED)
    a["energy_per_query_range_j"] = [0.8, 2.0]
    b["energy_per_query_range_j"] = [1.2, 3.0]
    for r in (a, b, m):
        r["schema"] = 2
    return [a, b, m]


def test_the_leaderboard_rows_carry_the_range_and_the_undecided_mark():
    (board,) = leaderboards(_records())
    rows = {row.job_id: row for row in board.rows}
    assert rows["j-a"].energy_per_1k.range_text == "800 J–2.00 kJ"
    assert rows["j-a"].energy_per_1k.undecided and rows["j-b"].energy_per_1k.undecided
    assert rows["j-m"].energy_per_1k.range_text == ""  # measured: no range
    assert not rows["j-m"].energy_per_1k.undecided  # surely dearer than both


def test_the_terminal_shows_the_range_beside_the_figure_and_explains_the_mark():
    buffer = io.StringIO()
    print_leaderboard(_records(), Console(file=buffer, width=250, color_system=None))
    text = buffer.getvalue()
    assert "1.00 kJ† (800 J–2.00 kJ)≈" in text
    assert "≈ not decided by energy" in text


def test_the_html_report_shows_the_range_and_the_mark():
    page = parse_html(render_html(_records(), {}))
    row = page.find("tr", data_job="j-b")
    assert row.find("span", class_="range").text == "1.20 kJ–3.00 kJ"
    assert row.find_all("span", class_="undecided")
    measured = page.find("tr", data_job="j-m")
    assert not measured.find_all("span", class_="range")


def test_recommend_says_when_the_cheapest_is_not_decided_by_energy():
    from greenbench.report import recommend

    chosen = recommend(_records(), "text-to-sql")
    assert chosen.chosen.job_id == "j-a"  # cheapest at the centre of its range
    assert any(
        r.startswith("Not decided by energy") and "small-lm · b" in r for r in chosen.reasons
    )
    decided = [r for r in _records() if r["job_id"] != "j-b"]  # a vs the measured, far dearer
    assert not any("Not decided" in r for r in recommend(decided, "text-to-sql").reasons)
