"""``greenbench measure --attach RUN_DIR:JOB_ID``: a training script's measured window stored as
a job's ``training`` phase, shown by the watt-for-what view; bad targets change nothing."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
import report_fixtures as rf

from greenbench.cli.main import main
from greenbench.records.per_record import attach
from greenbench.records.per_task import with_task_fields
from greenbench.report.loading import load_run
from greenbench.report.studies import study_tables
from greenbench.store import ResultsStore
from greenbench.units import J_PER_KWH

BUSY = "import time\nend = time.process_time() + 0.2\nwhile time.process_time() < end: pass\n"


def _vision(job_id: str, **kw) -> dict:
    row = rf.record(job_id, task="image-classification", model="vit", metric="top1_accuracy", **kw)
    row["model"]["architecture"] = "image-classifier"
    return row


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """A sweep directory: results.db with a vision job and a fine-tuned one, and results.json."""
    run = tmp_path / "run"
    run.mkdir()
    rows = [
        _vision("j-vision", quality=0.7),
        _vision("j-probe", variant="head", quality=0.72, finetune_j=50.0, trainable=1001),
    ]
    with ResultsStore(run / "results.db") as store:
        for row in rows:
            store.put_job(row)
        store.set_meta("plan", [r["job_id"] for r in rows])
    (run / "results.json").write_text(json.dumps(with_task_fields(rows)))
    return run


def _fingerprint(run: Path) -> tuple[str, str]:
    db = hashlib.sha256((run / "results.db").read_bytes()).hexdigest()
    return db, (run / "results.json").read_text()


def test_an_attached_training_run_is_the_jobs_training_electricity(run_dir, capsys):
    command = [sys.executable, "-c", BUSY]
    assert main(["measure", "--meter", "estimate", "--attach", f"{run_dir}:j-vision", "--",
                 *command]) == 0  # fmt: skip
    assert "attached as the training phase of job j-vision" in capsys.readouterr().err

    with ResultsStore(run_dir / "results.db") as store:
        record = store.job("j-vision")
    phase = record["phases"]["training"]
    assert phase["attached"]["command"] == command
    assert phase["attached"]["tool"] == "greenbench measure"
    assert phase["attached"]["exit_status"] == 0 and phase["attached"]["idle_baseline"] is False
    assert phase["duration_s"] > 0 and phase["energy_j"]["total"] > 0
    assert all(p.startswith("estimated:") for p in phase["provenance"].values())
    # emissions with the job's own grid and PUE (56 g/kWh x 1.2), counted in the job's total
    grams = phase["energy_j"]["total"] / J_PER_KWH * 56.0 * 1.2
    assert record["emissions_g"]["training"] == pytest.approx(grams)
    others = record["emissions_g"]["load"] + 3 * record["emissions_g"]["inference"]
    assert record["emissions_g"]["total"] == pytest.approx(others + grams)
    # results.json rewritten from the store
    written = {r["job_id"]: r for r in json.loads((run_dir / "results.json").read_text())}
    assert "training" in written["j-vision"]["phases"]

    (table,) = study_tables("watt-for-what", load_run(run_dir).records)
    rows = {row[1]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert rows["base"]["training electricity (kWh)"] == pytest.approx(
        phase["energy_j"]["total"] / J_PER_KWH
    )
    assert "training measured by `greenbench measure -- " in rows["base"]["note"]
    assert rows["head"]["training electricity (kWh)"] == pytest.approx(50.0 / J_PER_KWH)

    # no CEGI from an attached run: the variant was not fine-tuned by the sweep
    stored = load_run(run_dir).records[0]
    assert stored.cegi is None and attach(stored, None).cegi is None


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{run}:j-nope", "no job 'j-nope' in"),
        ("{run}:j-probe", "job 'j-probe' was fine-tuned by the sweep"),
        ("{run}/elsewhere:j-vision", "no results.db in"),
        ("j-vision", "expected RUN_DIR:JOB_ID"),
    ],
)
def test_a_bad_target_exits_2_before_running_and_changes_nothing(
    run_dir, tmp_path, capsys, target, message
):
    before = _fingerprint(run_dir)
    marker = tmp_path / "ran"
    command = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]
    assert main(["measure", "--attach", target.format(run=run_dir), "--", *command]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("greenbench: error: --attach")
    assert not marker.exists()  # the command never ran
    assert _fingerprint(run_dir) == before


def test_a_failed_training_command_is_not_attached(run_dir, capsys):
    before = _fingerprint(run_dir)
    failing = [sys.executable, "-c", "import sys; sys.exit(4)"]
    assert main(["measure", "--attach", f"{run_dir}:j-vision", "--", *failing]) == 4
    assert "exited 4: not attached to job j-vision" in capsys.readouterr().err
    assert _fingerprint(run_dir) == before
