"""The ``--mlflow [URI]`` option of ``greenbench run`` and ``greenbench eval``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from greenbench.sweep.runner import SweepOutcome


def add_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--mlflow [URI]`` to ``parser``."""
    parser.add_argument(
        "--mlflow",
        nargs="?",
        const="",
        metavar="URI",
        help="log the jobs this call runs to MLflow, the sweep as the parent run (default "
        "URI: a ./mlruns file store, no server)",
    )


def check(args: argparse.Namespace) -> None:
    """Before any job runs: refuse ``--mlflow`` without MLflow installed (exit 2)."""
    if args.mlflow is not None:
        from greenbench.tracking.mlflow_runs import require_mlflow

        require_mlflow()


def log(args: argparse.Namespace, outcome: SweepOutcome, console: Console) -> None:
    """Log the jobs run by this call (resumed ones were logged when they ran)."""
    if args.mlflow is None:
        return
    from greenbench.api import load
    from greenbench.tracking.mlflow_runs import log_sweep, tracking_uri

    results = load(outcome.out_dir)
    ran = set(outcome.ran)
    records = [r for r in results.records if r.job_id in ran]
    if not records:
        console.print("mlflow: no job ran in this call; nothing logged")
        return
    sweep = (results.meta.get("config") or {}).get("name") or outcome.out_dir.name
    uri = args.mlflow or None
    run_id = log_sweep(records, results.samples_by_job, sweep=sweep, uri=uri)
    console.print(
        f"mlflow: {len(records)} jobs under run {run_id} at {tracking_uri(uri)}",
        markup=False,
        highlight=False,
    )
