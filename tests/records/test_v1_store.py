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


#: Per-task figures added after version 1 (issue 16's energy rating): not in v1_results.json.
RATING_FIELDS = ("energy_stars", "energy_stars_estimated", "energy_stars_note", "hardware_class")


def test_results_json_of_migrated_records_is_the_v1_one_at_schema_2(v1_run):
    stored = json.loads((DATA / "v1_results.json").read_text())
    # version 1 chose the GQI unit per task (joules for every task of this store); the same
    # unit, now chosen for the whole report, gives the same figures. New since: the GQI whose
    # energy (8 J) lies within 10x of the singularity is flagged in its note, the rating
    # fields (RATING_FIELDS) and energy_undecided (measured energies decide every order).
    got = with_task_fields(load_run(v1_run).records, gqi_unit="J")
    assert all(set(RATING_FIELDS) <= set(row) for row in got)
    flagged = next(r for r in got if r["job_id"] == "j-92b3cdab5303")
    assert "8 J is within 10x of 1 J" in flagged["gqi_note"]
    flagged["gqi_note"] = None
    undecided = {"ok": False}
    assert [{k: v for k, v in row.items() if k not in RATING_FIELDS} for row in got] == [
        {**r, "schema": SCHEMA_VERSION, "energy_undecided": undecided.get(r["status"])}
        for r in stored
    ]


def test_leaderboards_and_long_table_render_as_before(v1_run):
    records = load_run(v1_run).records
    expected = (DATA / "v1_leaderboard.md").read_text()
    # added since (issue 12): the energy basis of the figures, under the provenance notes
    expected = expected.replace(
        "† estimated: estimated:fake.\n",
        "† estimated: estimated:fake.\nenergy and emissions: gross, no idle baseline.\n",
    )
    assert to_markdown(records, gqi_unit="J") == expected
    assert to_csv(records, gqi_unit="J") == (DATA / "v1_long.csv").read_text()


def test_recommendation_is_unchanged(v1_run):
    rec = recommend(load_run(v1_run).records, "text-to-sql", queries=1000)
    expected = json.loads((DATA / "v1_recommend.json").read_text())
    # added since (issue 12): every cost names its energy basis, every candidate carries it
    basis = "fine-tuning included (gross, no idle baseline)"
    expected["cost_name"] = expected["cost_name"].replace("fine-tuning included", basis)
    expected["reasons"] = [r.replace("fine-tuning included", basis) for r in expected["reasons"]]
    for candidate in [expected["chosen"], *expected["candidates"]]:
        candidate["energy_basis"] = "gross"
        candidate["energy_gaps"] = []
    assert json.loads(json.dumps(rec.to_dict())) == expected
