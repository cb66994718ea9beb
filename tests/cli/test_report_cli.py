"""``greenbench report DIR``: every format, default and explicit outputs, errors as exit 2."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))  # the report tests' fixtures
import report_fixtures as rf

from greenbench.cli import main as cli
from greenbench.report.export import to_json


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    """A sweep directory of constructed records; the CLI limited to the commands under test
    (the parser imports every subcommand module, some of which other work provides)."""
    monkeypatch.setattr(cli, "COMMANDS", ["report", "recommend"])
    return rf.build_store(tmp_path, rf.records(), rf.samples_by_job(), rf.META)


def test_html_by_default(run_dir, capsys):
    assert cli.main(["report", str(run_dir)]) == 0
    path = run_dir / "report.html"
    assert f"wrote {path}" in capsys.readouterr().out
    assert 'class="sortable leaderboard"' in path.read_text("utf-8")


def test_markdown_is_written_and_printed(run_dir, capsys):
    assert cli.main(["report", str(run_dir), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "text-to-sql — execution_accuracy (higher is better)" in out  # rich leaderboard
    assert "## text-to-sql" in (run_dir / "report.md").read_text("utf-8")


def test_csv_to_a_chosen_file(run_dir, tmp_path):
    out = tmp_path / "sub" / "long.csv"
    out.parent.mkdir()
    assert cli.main(["report", str(run_dir), "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert {r["job_id"] for r in rows} == {r["job_id"] for r in rf.records()}


def test_json_to_stdout(run_dir, capsys):
    assert cli.main(["report", str(run_dir), "--format", "json", "--out", "-"]) == 0
    # the stored records exported as greenbench.report.export.to_json writes them
    assert json.loads(capsys.readouterr().out) == json.loads(to_json(rf.records()))


def test_parquet(run_dir):
    pq = pytest.importorskip("pyarrow.parquet")
    assert cli.main(["report", str(run_dir), "--format", "parquet"]) == 0
    table = pq.read_table(run_dir / "report.parquet")  # one row per job
    assert table.column("job_id").to_pylist() == [r["job_id"] for r in rf.records()]
    out = run_dir / "long.parquet"
    argv = ["report", str(run_dir), "--format", "parquet", "--table", "figures", "--out", str(out)]
    assert cli.main(argv) == 0
    assert pq.read_table(out).num_rows > len(rf.records())  # one row per job x figure


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "parquet", "--out", "-"], "Parquet is binary"),
        (["--out", "."], "is a directory"),
    ],
)
def test_bad_outputs_exit_2(run_dir, capsys, argv, message, monkeypatch):
    monkeypatch.chdir(run_dir)
    assert cli.main(["report", str(run_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("greenbench: error:") and message in err
    assert len(err.strip().splitlines()) == 1


def test_directory_without_results_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ["report", "recommend"])
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "no results.db" in capsys.readouterr().err
    assert not (tmp_path / "results.db").exists()  # reading never creates a store
