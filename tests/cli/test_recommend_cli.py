"""``greenbench recommend DIR --task T``: the choice and reasons, JSON, exit 2 with a reason."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))  # the report tests' fixtures
import report_fixtures as rf

from greenbench.cli import main as cli


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    """A sweep directory of constructed records; the CLI limited to the commands under test
    (the parser imports every subcommand module, some of which other work provides)."""
    monkeypatch.setattr(cli, "COMMANDS", ["report", "recommend"])
    return rf.build_store(tmp_path, rf.records(), {}, rf.META)


def test_prints_the_choice_and_why(run_dir, capsys):
    assert cli.main(["recommend", str(run_dir), "--task", "text-to-sql"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("small-lm · lora-r8  (j-small-lora)")
    assert "It meets the constraint execution_accuracy >= 0.560" in out
    assert "is repaid after 101 queries" in out


def test_json_for_scripts(run_dir, capsys):
    argv = ["recommend", str(run_dir), "--task", "text-to-sql", "--queries", "100", "--json"]
    assert cli.main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["chosen"]["job_id"] == "j-large"
    assert data["queries"] == 100 and data["break_even"][0]["against_job_id"] == "j-large"


def test_constraints_reach_the_recommender(run_dir, capsys):
    argv = ["recommend", str(run_dir), "--task", "text-to-sql", "--min-quality", "0.3", "--json"]
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["chosen"]["job_id"] == "j-measured"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--task", "vqa"], "tasks present: summarization, text-to-sql"),
        (["--task", "text-to-sql", "--min-quality", "0.95"], "meets execution_accuracy >= 0.950"),
        (["--task", "text-to-sql", "--max-emissions-g", "1e-12"], "(--max-emissions-g)"),
    ],
)
def test_no_answer_exits_2_with_one_line(run_dir, capsys, argv, message):
    assert cli.main(["recommend", str(run_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_one_constraint_at_a_time(run_dir, capsys):
    argv = ["recommend", str(run_dir), "--task", "t", "--min-quality", "1", "--max-energy-j", "1"]
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
