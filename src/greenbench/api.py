"""The Python entry points for people who evaluate in a notebook or a script.

- :func:`evaluate`: lm-evaluation-harness's ``simple_evaluate`` habit — one model, some tasks,
  no YAML — run by the same sweep runner and store as ``greenbench run`` (same job ids as the
  equivalent YAML sweep, :mod:`greenbench.sweep.oneline`);
- :func:`load`: the results of a sweep directory (``greenbench run --out DIR``, ``greenbench
  eval --output_path DIR``);
- :class:`Results`: records, ``.to_dataframe()`` (one row per job), ``.samples_dataframe()``,
  ``.leaderboard(task)``, ``.report(path)``.

Example::

    import greenbench

    results = greenbench.evaluate(
        model="hf", model_args="pretrained=zoo:smollm2-135m-instruct", tasks=["sentiment"],
        limit=20, output_path="runs/smollm2",
    )
    df = results.to_dataframe()
    df[["model", "variant", "task", "quality", "energy_per_query_j", "energy_stars"]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.errors import GreenbenchError

if TYPE_CHECKING:
    import pandas as pd

    from greenbench.records import JobRecord
    from greenbench.report.tables import Leaderboard
    from greenbench.sweep.executors import Progress


@dataclass
class Results:
    """The jobs of one sweep directory, as stored."""

    out_dir: Path
    """The directory holding ``results.db``."""
    records: list[JobRecord]
    """Job records (``docs/records.md``) of the directory's latest plan, every status."""
    samples_by_job: dict[str, list[dict]] = field(default_factory=dict)
    """Job id -> per-sample logs (``id``, ``prompt``, ``prediction``, ``reference``, ``scores``)."""
    meta: dict = field(default_factory=dict)
    """Sweep metadata (``config``, ``plan``, ``carbon``, ``environment``…)."""

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per job (:mod:`greenbench.report.dataframe`'s columns)."""
        from greenbench.report.dataframe import job_rows

        return job_rows(self.records)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per job: model, variant fields, task, primary metric and CI, energy per
        phase and component, emissions, indexes, latency, provenance (needs pandas)."""
        from greenbench.report.dataframe import to_frame

        return to_frame(self.rows())

    def samples_dataframe(self) -> pd.DataFrame:
        """One row per evaluated sample of every job, with its per-sample scores."""
        from greenbench.report.dataframe import sample_rows, to_frame

        return to_frame(sample_rows(self.records, self.samples_by_job))

    def leaderboard(self, task: str) -> Leaderboard:
        """The leaderboard of ``task`` (rows best first, failed jobs apart).

        Raises:
            GreenbenchError: no job of that task.
        """
        from greenbench.report.tables import leaderboards

        boards = {b.task: b for b in leaderboards(self.records)}
        if task not in boards:
            known = ", ".join(boards) or "none"
            raise GreenbenchError(f"task {task!r}: no job of it in {self.out_dir}; tasks: {known}")
        return boards[task]

    def log_mlflow(self, uri: str | None = None, *, experiment: str = "greenbench") -> str:
        """Log every job as an MLflow run under a parent run named after the sweep (default
        URI: a ``./mlruns`` file store); return the parent run's id
        (:mod:`greenbench.tracking.mlflow_runs`)."""
        from greenbench.tracking.mlflow_runs import log_sweep

        sweep = (self.meta.get("config") or {}).get("name") or self.out_dir.name
        return log_sweep(
            self.records, self.samples_by_job, sweep=sweep, uri=uri, experiment=experiment
        )

    def report(self, path: str | Path | None = None) -> Path:
        """Write the self-contained HTML report (default: ``out_dir/report.html``)."""
        from greenbench.report.html import render_html

        out = Path(path) if path is not None else self.out_dir / "report.html"
        out.write_text(render_html(self.records, self.samples_by_job, self.meta), encoding="utf-8")
        return out


def load(run_dir: str | Path, *, all_jobs: bool = False) -> Results:
    """The results of ``run_dir`` (the jobs of its latest plan, or every stored job).

    Raises:
        GreenbenchError: no ``results.db`` in ``run_dir``, or an invalid stored record.
    """
    from greenbench.report.loading import load_run

    run = load_run(run_dir, all_jobs=all_jobs)
    return Results(Path(run_dir), run.records, run.samples_by_job, run.meta)


def evaluate(
    model: str = "hf",
    model_args: str | Mapping[str, Any] | None = None,
    tasks: str | Sequence[str] = (),
    *,
    variants: Sequence[Mapping[str, Any]] | None = None,
    limit: int | None = None,
    num_fewshot: int | None = None,
    batch_size: int | str | None = None,
    device: str | None = None,
    country: str | None = None,
    output_path: str | Path = "runs/eval",
    meter: str | None = None,
    repeats: int | None = None,
    idle_seconds: float | None = None,
    include_path: str | None = None,
    progress: Progress | None = None,
) -> Results:
    """Evaluate one model on ``tasks`` and measure it; return the directory's results.

    The arguments are lm-eval's (``model``, ``model_args``, ``tasks``, ``limit``,
    ``num_fewshot``, ``batch_size``, ``device``) plus greenbench's; see
    :func:`greenbench.sweep.oneline.eval_config`. The sweep runs through the same runner, store
    and report as ``greenbench run``, into ``output_path`` (re-running resumes).

    Raises:
        GreenbenchError: an invalid argument (one line naming it).
    """
    from greenbench.sweep.oneline import ORIGIN, eval_config
    from greenbench.sweep.runner import plan_config, run_sweep

    config = eval_config(
        model,
        model_args,
        tasks,
        limit=limit,
        num_fewshot=num_fewshot,
        batch_size=batch_size,
        device=device,
        country=country,
        variants=variants,
        meter=meter,
        repeats=repeats,
        idle_seconds=idle_seconds,
        include_path=include_path,
    )
    jobs = plan_config(config, ORIGIN)
    run_sweep(config, jobs, output_path, progress=progress)
    return load(output_path)
