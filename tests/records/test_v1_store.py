"""A store written by greenbench before the typed record layer (record schema 1) opens, migrates
and reports exactly as it did: ``data/`` holds the store of a fake sweep and what the code of
that time rendered from it (Markdown leaderboards, long CSV, a recommendation, results.json)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from greenbench.records import SCHEMA_VERSION
from greenbench.records.migrate import V1_TASK_FIELDS
from greenbench.records.per_task import with_task_fields
from greenbench.report import load_run, recommend
from greenbench.report.export import to_csv, to_markdown

DATA = Path(__file__).parent / "data"


@pytest.fixture
def v1_run(tmp_path: Path) -> Path:
    """A sweep directory holding a copy of the version-1 store."""
    shutil.copy(DATA / "v1_store.db", tmp_path / "results.db")
    return tmp_path


def test_v1_records_migrate_to_the_current_schema(v1_run):
    stored = json.loads((DATA / "v1_results.json").read_text())
    assert {r["schema"] for r in stored} == {1}
    records = load_run(v1_run).records
    assert [r.job_id for r in records] == [r["job_id"] for r in stored]
    for record in records:
        assert record.schema_version == SCHEMA_VERSION
        assert not set(V1_TASK_FIELDS) & set(record.to_json())  # per-task: computed, not kept


def test_results_json_of_migrated_records_is_the_v1_one_at_schema_2(v1_run):
    stored = json.loads((DATA / "v1_results.json").read_text())
    # plus the task field added since (issue 12): measured energies decide every order
    undecided = {"ok": False}
    assert with_task_fields(load_run(v1_run).records) == [
        {**r, "schema": SCHEMA_VERSION, "energy_undecided": undecided.get(r["status"])}
        for r in stored
    ]


def test_leaderboards_and_long_table_render_as_before(v1_run):
    records = load_run(v1_run).records
    assert to_markdown(records) == (DATA / "v1_leaderboard.md").read_text()
    assert to_csv(records) == (DATA / "v1_long.csv").read_text()


def test_recommendation_is_unchanged(v1_run):
    rec = recommend(load_run(v1_run).records, "text-to-sql", queries=1000)
    assert json.loads(json.dumps(rec.to_dict())) == json.loads(
        (DATA / "v1_recommend.json").read_text()
    )
