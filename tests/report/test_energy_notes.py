"""Every view names the energy basis of its figures and what a job's energy leaves out."""

from __future__ import annotations

import report_fixtures as rf
from report_dom import parse_html
from rich.console import Console

from greenbench.report import recommend, render_html
from greenbench.report.export import to_markdown
from greenbench.report.terminal import print_leaderboard

GAP = "GPU energy not measured: NVML unavailable (Driver Not Loaded)"


def _records() -> list[dict]:
    records = rf.records()
    records[1]["energy_gaps"] = [GAP]  # j-small-lora ran on CUDA; its GPU was not measured
    return records


def _terminal(records: list[dict]) -> str:
    console = Console(record=True, width=300)
    print_leaderboard(records, console)
    return console.export_text()


def test_an_unmeasured_gpu_is_named_in_every_view():
    records = _records()
    line = f"⚠ small-lm · lora-r8: {GAP}"
    assert line in _terminal(records)
    assert line in to_markdown(records)
    row = parse_html(render_html(records, {})).find("tr", data_job="j-small-lora")
    assert f"⚠ {GAP}" in row.text
    reasons = recommend(records, "text-to-sql").reasons
    assert f"{line}; its energy figures are understated." in reasons


def test_every_leaderboard_names_its_energy_basis():
    records = [r for r in rf.records() if r["job_id"] != "j-measured"]  # all gross
    assert "energy and emissions: gross, no idle baseline" in _terminal(records)
    mixed = to_markdown(rf.records())  # j-measured is net of idle, the others gross
    assert "energy and emissions: mixed bases (gross and net): not comparable" in mixed
    assert "gap" not in _terminal(records).lower()  # nothing missing: no warning
