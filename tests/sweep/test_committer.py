"""The driver's commit step: only the finished record is stored, with its per-record figures;
a base committed after its fine-tuned variant gives that variant its CEGI then."""

from __future__ import annotations

import json

import fake_jobs
import pytest

from greenbench.store import ResultsStore
from greenbench.sweep.runner import SweepOutcome, _Committer


@pytest.fixture
def committed(tmp_path):
    """``(commit, store, stored, jobs)``: commit the fake result of the job of a variant name;
    the store; the ids ``put_job`` stored, in order; the jobs by variant name."""
    jobs = fake_jobs.fake_jobs("fake:ok", "fake:ok")  # m0 fp32, m0 lora (base fp32), m1 int8
    by_name = {j.variant.name: j for j in jobs}
    with ResultsStore(tmp_path / "results.db") as store:
        stored: list[str] = []
        put = store.put_job
        store.put_job = lambda record, samples=None: (
            stored.append(record.job_id),
            put(record, samples),
        )
        outcome = SweepOutcome(out_dir=tmp_path, planned=len(jobs), skipped=0)
        committer = _Committer(store, tmp_path, outcome, [j.job_id for j in jobs])

        def commit(name: str) -> None:
            committer(*fake_jobs.run(by_name[name]))

        yield commit, store, stored, by_name


def test_a_late_base_gives_the_fine_tuned_job_its_cegi(committed, tmp_path):
    commit, store, stored, jobs = committed
    commit("lora")
    lora = store.job(jobs["lora"].job_id)
    assert lora["cegi"] is None and lora["cegi_note"].startswith("base variant not measured")
    assert lora["energy_per_query_j"] == 4.0  # per-record figures attached at commit
    stored.clear()
    commit("fp32")
    assert stored == [jobs["fp32"].job_id, jobs["lora"].job_id]  # the base, then its tuned job
    lora = store.job(jobs["lora"].job_id)
    assert lora["cegi_gain_pp"] == 25.0 and lora["cegi"] > 0 and lora["cegi_note"] is None


def test_each_commit_stores_only_the_finished_record(committed, tmp_path):
    commit, store, stored, jobs = committed
    commit("fp32")
    commit("lora")
    stored.clear()
    commit("int8")
    assert stored == [jobs["int8"].job_id]
    results = {r["job_id"]: r for r in json.loads((tmp_path / "results.json").read_text())}
    assert len(results) == 3
    # per-task figures written into results.json, over the committed records
    assert results[jobs["int8"].job_id]["pareto_energy"] is True  # the cheapest
    assert results[jobs["fp32"].job_id]["pareto_energy"] is False  # lora: better, same cost
    assert {r["gqi_unit"] for r in results.values()} == {"kWh"}  # one unit, the paper's
    assert "gqi" not in store.job(jobs["int8"].job_id)  # not stored: depends on the set
