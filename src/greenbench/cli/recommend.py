"""``greenbench recommend DIR --task T``: which variant to deploy for a task, and why."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.text import Text

from greenbench.cli.report import warn_problems
from greenbench.safe_text import for_terminal


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``recommend`` subcommand."""
    parser = subparsers.add_parser(
        "recommend",
        help="which variant of a sweep to deploy for a task, and why",
        description=(
            "Pick the variant to deploy for TASK from DIR/results.db: among the variants that "
            "meet the constraint (default: quality within the 95%% CI of the best), the one "
            "with the lowest energy per query, or with a cost constraint the best quality. "
            "With --queries N, costs are over N queries with fine-tuning included, and "
            "fine-tuned variants get their break-even. See docs/report.md."
        ),
    )
    parser.add_argument("dir", metavar="DIR", help="the --out directory of a `greenbench run`")
    parser.add_argument("--task", required=True, help="the task to deploy for")
    constraint = parser.add_mutually_exclusive_group()
    constraint.add_argument(
        "--min-quality", type=float, metavar="X", help="primary metric at least this good"
    )
    constraint.add_argument(
        "--max-energy-j", type=float, metavar="Y", help="inference energy per query at most Y J"
    )
    constraint.add_argument(
        "--max-emissions-g",
        type=float,
        metavar="Z",
        help="inference emissions per query at most Z gCO2e",
    )
    parser.add_argument(
        "--queries",
        type=int,
        metavar="N",
        help="queries the deployment will serve: costs include fine-tuning, amortized over N",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the recommendation; exit 2 when nothing meets the constraint."""
    from greenbench.report import load_run, recommend

    results = load_run(args.dir)
    warn_problems(args.dir, results.problems)
    rec = recommend(
        results.records,
        args.task,
        min_quality=args.min_quality,
        max_energy_j=args.max_energy_j,
        max_emissions_g=args.max_emissions_g,
        queries=args.queries,
    )
    if args.json:
        print(json.dumps(rec.to_dict(), indent=2, ensure_ascii=False))
        return 0
    console = Console()
    label = for_terminal(f"{rec.chosen.label}  ({rec.chosen.job_id})")
    console.print(Text(label, style="bold green"))
    for reason in rec.reasons:
        console.print(Text(for_terminal(f"• {reason}")))
    return 0
