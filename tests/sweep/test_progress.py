"""Progress a user can read while waiting: steps per batch cross the worker's process boundary,
backends report each batch, and the terminal display advances per sample."""

from __future__ import annotations

import io

from fake_jobs import FAKE_RUNNER, fake_jobs
from rich.console import Console

from greenbench.cli.sweep_view import SweepProgress
from greenbench.models.backends.hf_generate import Request, run_batches
from greenbench.models.base import Step
from greenbench.sweep.executors.local import LocalExecutor
from greenbench.sweep.job import StepReporter
from greenbench.sweep.runner import SweepOutcome
from greenbench.sweep.worker import run_in_subprocess


def test_worker_steps_reach_the_driver_per_batch():
    job = fake_jobs("fake:ok")[0].model_copy(update={"limit": 10})
    steps: list[Step] = []
    record, _ = run_in_subprocess(job, runner=FAKE_RUNNER, on_step=steps.append)
    assert record["status"] == "ok"
    assert [s.done for s in steps] == [0, 4, 8, 10]
    assert {(s.phase, s.total) for s in steps} == {("inference", 10)}


def test_batched_generation_reports_each_batch_as_it_finishes():
    requests = [Request(i, "p" * (i + 1), i + 1) for i in range(10)]
    seen: list[int] = []

    def generate(batch: list[Request]) -> list[tuple[str, int, int]]:
        seen.append(len(batch))
        return [(r.text, r.length, 1) for r in batch]

    done: list[int] = []
    out = run_batches(requests, 4, generate, back_off=False, on_done=done.append)
    assert done == [4, 4, 2] == seen
    assert [g.text for g in out] == [r.text for r in requests]  # input order kept


def test_the_step_reporter_tops_up_a_backend_that_reports_nothing():
    steps: list[Step] = []
    reporter = StepReporter(steps.append)
    reporter.start("inference", 6)
    reporter(2)
    reporter.reach(6)  # the pass ended: whatever the backend did not report
    reporter.reach(3)  # never backwards
    assert [(s.phase, s.done, s.total) for s in steps] == [
        ("inference", 0, 6),
        ("inference", 2, 6),
        ("inference", 6, 6),
    ]


def test_the_samples_bar_moves_per_batch_not_per_job(tmp_path):
    jobs = [j.model_copy(update={"limit": 10}) for j in fake_jobs("fake:ok")]
    console = Console(file=io.StringIO(), width=120)
    outcome = SweepOutcome(out_dir=tmp_path, planned=len(jobs), skipped=0)
    midway: list[float] = []
    with SweepProgress(console) as progress:
        progress.sweep_started("fake", outcome, jobs)
        samples = progress._bars.tasks[1]
        progress.job_started(jobs[0])
        progress.job_step(jobs[0], Step("inference", 4, 10))
        midway.append(samples.completed)
        progress.job_step(jobs[0], Step("inference", 8, 10))
        midway.append(samples.completed)
        LocalExecutor(runner=FAKE_RUNNER, check=False).run(
            jobs[1:], lambda record, logs: None, progress=progress
        )
        progress.job_finished(jobs[0], {"status": "ok", "samples": 10})
    assert midway == [4, 8]
    assert samples.completed == samples.total == 10 * len(jobs)
    assert progress._bars.tasks[0].completed == len(jobs)
