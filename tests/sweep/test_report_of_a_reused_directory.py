"""A directory reused by a different config: the report, like results.json, shows the latest
plan's jobs and says how many earlier ones it leaves out; ``--all-jobs`` shows them all."""

from __future__ import annotations

import json

from fake_jobs import fake_config, sweep

from greenbench.cli import main as cli
from greenbench.report import load_run
from greenbench.report.html import write_html


def test_the_report_follows_the_latest_plan(tmp_path, capsys):
    out = tmp_path / "run"
    first = sweep(str(out), "fake:ok")
    second = sweep(str(out), "fake:ok", config=fake_config("fake:ok", limit=3))
    latest = {r["job_id"] for r in json.loads((out / "results.json").read_text())}
    assert latest == set(second.ran) and not latest & set(first.ran)

    shown = load_run(out)
    assert {r.job_id for r in shown.records} == latest
    assert shown.hidden == len(first.ran)
    everything = load_run(out, all_jobs=True)
    assert {r.job_id for r in everything.records} == latest | set(first.ran)
    assert everything.hidden == 0

    page = write_html(out).read_text()
    assert f"{len(first.ran)} jobs of an earlier config in this directory not shown" in page
    assert all(job_id not in page for job_id in first.ran)

    assert (
        cli.main(["report", str(out), "--format", "json", "--out", str(tmp_path / "a.json")]) == 0
    )
    assert "left out (--all-jobs includes them)" in capsys.readouterr().err
    args = ["report", str(out), "--format", "json", "--all-jobs", "--out", str(tmp_path / "b.json")]
    assert cli.main(args) == 0
    listed = {r["job_id"] for r in json.loads((tmp_path / "b.json").read_text())}
    assert listed == latest | set(first.ran)
