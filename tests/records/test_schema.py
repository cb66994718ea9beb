"""The typed record: JSON round trip keeping shape and unknown keys, versions and migration,
validation errors that name the job and the field."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from greenbench.errors import GreenbenchError
from greenbench.records import SCHEMA_VERSION, load_record
from greenbench.store import ResultsStore

V1 = json.loads((Path(__file__).parent / "data" / "v1_results.json").read_text())


def test_json_round_trip_keeps_the_shape_and_unknown_keys():
    data = {**V1[1], "schema": SCHEMA_VERSION, "node": {"id": "n1"}}
    data["phases"]["inference"]["gpu_clock_mhz"] = 1980  # a newer field, nested
    for name in ("gqi", "gqi_unit", "gqi_note", "pareto_energy", "pareto_emissions"):
        del data[name]
    record = load_record(data)
    assert record.to_json() == data
    assert record.phases["inference"].energy_j["total"] == pytest.approx(16.0)


def test_values_json_cannot_hold_are_written_as_text():
    record = load_record({"job_id": "j-1", "backend": {"device": Path("/dev/x")}})
    record.backend["dtype"] = object  # what a backend's describe() might hand back
    out = record.to_json()
    assert out["backend"] == {"device": "/dev/x", "dtype": "<class 'object'>"}
    json.dumps(out)


def test_a_record_without_a_version_is_version_1_and_loses_its_task_figures():
    data = {k: v for k, v in V1[0].items() if k != "schema"}
    out = load_record(data).to_json()
    assert out["schema"] == SCHEMA_VERSION and "pareto_energy" not in out and "gqi" not in out
    assert out["energy_per_query_j"] == data["energy_per_query_j"]  # per-record: kept


def test_a_version_2_record_gets_the_emissions_of_every_repeat_in_its_total():
    data = {k: v for k, v in V1[1].items() if k not in ("gqi", "gqi_unit", "gqi_note")}
    data = {k: v for k, v in data.items() if not k.startswith("pareto")}
    data["schema"] = 2
    data["phases"]["inference"]["repeats"] = 3  # inference ran 3 times; v2 counted one pass
    grams = data["emissions_g"]
    out = load_record(data).to_json()
    assert out["schema"] == 3
    once = {k: v for k, v in grams.items() if k != "total"}
    assert out["emissions_g"] == {
        **once,  # per phase: one pass, unchanged
        "total": pytest.approx(once["load"] + once["finetune"] + 3 * once["inference"]),
    }
    assert grams["total"] == pytest.approx(sum(once.values()))  # what version 2 stored


def test_a_newer_record_is_refused():
    with pytest.raises(GreenbenchError, match=r"'j-x': record schema 4 is newer .* upgrade"):
        load_record({"schema": 4, "job_id": "j-x"})


def test_a_corrupt_stored_record_names_the_job_and_field(tmp_path):
    with ResultsStore(tmp_path / "r.db") as store:
        store.put_job({"job_id": "j-1", "status": "ok", "samples": 3})
    conn = sqlite3.connect(tmp_path / "r.db")
    conn.execute("""UPDATE jobs SET record = '{"job_id": "j-1", "samples": "three"}'""")
    conn.commit()
    conn.close()
    with (
        ResultsStore(tmp_path / "r.db") as store,
        pytest.raises(GreenbenchError, match=r"'j-1': invalid record field samples"),
    ):
        store.jobs()


def test_the_store_does_not_import_the_index_modules():
    """``greenbench measure --out`` opens a store: it should not pay for numpy."""
    code = (
        "import sys, greenbench.store; "
        "print(sorted({'numpy', 'greenbench.records.per_task'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
