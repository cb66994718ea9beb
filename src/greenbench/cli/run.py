"""``greenbench run [CONFIG]``: run a sweep (default: the packaged offline quickstart)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from greenbench.cli import mlflow_option

if TYPE_CHECKING:
    from rich.console import Console

    from greenbench.sweep.runner import SweepOutcome


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="run a sweep of model variants over tasks (default: the offline quickstart)",
        description=(
            "Run every (model x variant x task) job of a sweep config, measuring the energy of "
            "each phase; results go to DIR/results.db, DIR/results.json and DIR/report.html. "
            "Re-running the same command resumes: finished jobs are skipped, failed ones retried."
        ),
    )
    parser.add_argument(
        "config", nargs="?", default=None, help="sweep config YAML (default: packaged quickstart)"
    )
    parser.add_argument("--out", metavar="DIR", help="output directory (default: the config's)")
    parser.add_argument("--limit", type=_positive, metavar="N", help="samples per task")
    parser.add_argument("--repeats", type=_positive, metavar="K", help="inference repeats per job")
    parser.add_argument("--country", metavar="ISO3", help="grid country, e.g. FRA")
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    parser.add_argument("--address", help="Ray cluster address (auto, HOST:PORT, ray://…)")
    parser.add_argument(
        "--max-retries", type=int, default=None, metavar="N", help="Ray: retries per job"
    )
    parser.add_argument(
        "--max-jobs",
        type=_positive,
        metavar="N",
        help="refuse a plan of more than N jobs (default 10000)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    mlflow_option.add_argument(parser)
    parser.set_defaults(func=run)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Plan (and unless ``--dry-run``, run) the sweep, then show the leaderboards and write the
    report; exit 0 even when some jobs failed."""
    # Imported here, not at module level: every command registers its parser at start-up, and
    # the sweep driver (pydantic config, numpy via the indexes) would slow them all down.
    from rich.console import Console

    from greenbench.cli.sweep_view import SweepProgress, plan_table
    from greenbench.sweep.executors import build_executor
    from greenbench.sweep.runner import Overrides, prepare, run_sweep

    overrides = Overrides(
        limit=args.limit, repeats=args.repeats, country=args.country, max_jobs=args.max_jobs
    )
    config, jobs = prepare(args.config, overrides)
    out = Path(args.out or config.output_dir or Path("runs") / config.name)
    console = Console(stderr=True)
    if args.dry_run:
        Console(width=max(Console().width, 132)).print(plan_table(jobs))
        print(f"output: {out}")
        return 0
    mlflow_option.check(args)
    options = {"address": args.address, "max_retries": args.max_retries}
    executor = build_executor(
        args.executor, config, out, **(options if args.executor == "ray" else {})
    )
    with SweepProgress(console) as progress:
        outcome = run_sweep(config, jobs, out, executor, progress)
    show_results(outcome, console)
    mlflow_option.log(args, outcome, console)
    console.print(
        f"{len(outcome.ran)} jobs run ({len(outcome.failed)} failed), {outcome.skipped} skipped, "
        f"{outcome.wall_s:.0f} s; results: {out / 'results.json'}"
    )
    return 0


def show_results(outcome: SweepOutcome, console: Console) -> None:
    """The leaderboards on stdout (full width when piped) and ``report.html`` in the sweep's
    directory, named on ``console``."""
    from rich.console import Console

    from greenbench.report.html import write_html
    from greenbench.report.terminal import print_leaderboard

    board = Console()
    print_leaderboard(outcome.records, board if board.is_terminal else Console(width=160))
    console.print(f"report: {write_html(outcome.out_dir)}")
