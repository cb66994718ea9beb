"""Resume checks the task's definition: a stored record scored under an earlier definition of
its task (another default, prompt or data file), or written before ``task_hash`` was kept, is
run again and replaced; one scored under the current definition is reused."""

from __future__ import annotations

import io
import json
import re

import pytest
from fake_jobs import CARBON, FAKE_RUNNER, fake_config, runs
from rich.console import Console

from greenbench.cli.main import main
from greenbench.cli.sweep_view import SweepProgress
from greenbench.report.html import write_html
from greenbench.report.loading import load_run
from greenbench.store import ResultsStore
from greenbench.sweep.executors.local import LocalExecutor
from greenbench.sweep.plan import expand
from greenbench.sweep.runner import run_sweep
from greenbench.tasks import load_task
from greenbench.tasks.definition import task_hash

#: A multiple-choice task as an earlier greenbench scored it by default (generate and parse);
#: removing the line gives today's default, log-likelihood.
MOOD = """\
name: mood
output_type: multiple_choice
data:
  offline: {path: mood.jsonl}
prompt: "Mood of: {{ text }}\\nAnswer:"
target: label
choices: [happy, sad]
metrics: [{name: accuracy}]
primary_metric: accuracy
choice_scoring: generate
"""
ROWS = [
    {"id": "m1", "text": "sunny day", "label": "happy"},
    {"id": "m2", "text": "rain", "label": "sad"},
]


@pytest.fixture
def tasks_dir(tmp_path):
    directory = tmp_path / "tasks"
    directory.mkdir()
    (directory / "mood.yaml").write_text(MOOD)
    (directory / "mood.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return directory


def _config(tasks_dir):
    return fake_config("fake:ok", tasks=[{"name": "mood", "tasks_dir": str(tasks_dir)}])


def _sweep(out, tasks_dir, executor=None, console=None):
    config = _config(tasks_dir)
    executor = executor or LocalExecutor(runner=FAKE_RUNNER, check=False)
    if console is None:
        return run_sweep(config, expand(config, CARBON), out, executor=executor)
    with SweepProgress(console) as progress:
        return run_sweep(config, expand(config, CARBON), out, executor=executor, progress=progress)


def _current_hash(tasks_dir) -> str:
    return task_hash(load_task("mood", tasks_dir=tasks_dir))


def test_records_carry_the_task_hash_and_an_unchanged_task_is_reused(tmp_path, tasks_dir):
    out = tmp_path / "run"
    first = _sweep(out, tasks_dir)
    assert len(first.ran) == 2
    stored = json.loads((out / "results.json").read_text())
    assert {r["task_hash"] for r in stored} == {_current_hash(tasks_dir)}
    assert re.fullmatch(r"[0-9a-f]{64}", stored[0]["task_hash"])
    second = _sweep(out, tasks_dir)
    assert second.skipped == 2 and second.changed == 0 and second.ran == []
    assert len(runs(tmp_path)) == 2  # nothing ran a second time


def test_a_record_scored_under_an_earlier_default_is_run_again_and_replaced(tmp_path, tasks_dir):
    out = tmp_path / "run"
    first = _sweep(out, tasks_dir)
    old = _current_hash(tasks_dir)
    (tasks_dir / "mood.yaml").write_text(MOOD.replace("choice_scoring: generate\n", ""))
    new = _current_hash(tasks_dir)
    assert new != old
    console = Console(file=io.StringIO(), width=200)
    second = _sweep(out, tasks_dir, console=console)
    assert sorted(second.ran) == sorted(first.ran)  # same ids: the job did not change
    assert second.changed == 2 and second.skipped == 0
    shown = console.file.getvalue()
    assert "2 jobs, 0 already done, 2 to run" in shown
    assert "note: 2 jobs are run again: their task's definition changed" in shown
    records = json.loads((out / "results.json").read_text())
    assert sorted(r["job_id"] for r in records) == sorted(first.ran)
    assert {r["task_hash"] for r in records} == {new}
    with ResultsStore(out / "results.db") as store:
        assert len(store.jobs()) == 2  # one record per job id: the old ones were replaced
    report = load_run(out)
    assert {r.task_hash for r in report.records} == {new} and len(report.records) == 2
    assert report.outdated == 0 and report.hidden == 0


def test_a_changed_data_file_changes_the_hash(tmp_path, tasks_dir):
    out = tmp_path / "run"
    _sweep(out, tasks_dir)
    rows = [*ROWS[:1], {**ROWS[1], "label": "happy"}]
    (tasks_dir / "mood.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert _sweep(out, tasks_dir).changed == 2


def test_a_record_written_before_task_hash_is_run_again(tmp_path, tasks_dir):
    out = tmp_path / "run"
    first = _sweep(out, tasks_dir)
    with ResultsStore(out / "results.db") as store:
        for job_id in first.ran:
            record = store.job(job_id)
            del record["task_hash"]
            store.put_job(record)
        assert set(store.done_task_hashes().values()) == {None}
    second = _sweep(out, tasks_dir)
    assert second.changed == 2 and second.skipped == 0 and len(second.ran) == 2
    with ResultsStore(out / "results.db") as store:
        assert set(store.done_task_hashes().values()) == {_current_hash(tasks_dir)}


class _StopsAfterOne:
    """Runs the first job handed to it, then stops (a sweep killed half-way)."""

    def run(self, jobs, on_result, progress=None):
        LocalExecutor(runner=FAKE_RUNNER, check=False).run(jobs[:1], on_result, progress=progress)


def test_a_sweep_stopped_before_re_running_shows_no_outdated_record(tmp_path, tasks_dir, capsys):
    out = tmp_path / "run"
    first = _sweep(out, tasks_dir)
    (tasks_dir / "mood.yaml").write_text(MOOD.replace("generate", "loglikelihood"))
    second = _sweep(out, tasks_dir, executor=_StopsAfterOne())
    assert second.ran == first.ran[:1]
    new = _current_hash(tasks_dir)
    listed = json.loads((out / "results.json").read_text())
    assert [(r["job_id"], r["task_hash"]) for r in listed] == [(first.ran[0], new)]
    report = load_run(out)
    assert [r.job_id for r in report.records] == first.ran[:1]
    assert report.outdated == 1 and report.hidden == 0
    assert len(load_run(out, all_jobs=True).records) == 2
    page = write_html(out).read_text()
    assert "1 job scored under an earlier definition of their task not shown" in page
    assert main(["report", str(out), "--format", "json", "--out", str(tmp_path / "r.json")]) == 0
    assert [r["job_id"] for r in json.loads((tmp_path / "r.json").read_text())] == first.ran[:1]
    assert "note: 1 jobs in" in capsys.readouterr().err
