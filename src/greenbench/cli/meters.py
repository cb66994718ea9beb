"""``greenbench meters``: which energy sources work on this machine, and why the others do not."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from greenbench.safe_text import for_terminal


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``meters`` subcommand."""
    parser = subparsers.add_parser(
        "meters",
        help="list the energy sources found on this machine",
        description=(
            "List the energy sources (rapl, nvml, estimate, codecarbon and any registered under "
            "the greenbench.energy_sources entry-point group): what each measures here, or why "
            "it is unavailable and how to fix it."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the sources; always exit 0 (the estimate source always works)."""
    from greenbench.energy import available_sources

    found = available_sources()
    if args.json:
        rows = [{"name": n, "available": ok, "reason": why} for n, ok, why in found]
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title="energy sources")
    table.add_column("source")
    table.add_column("available")
    table.add_column("details")
    for name, ok, why in found:
        table.add_row(
            escape(for_terminal(name)),
            "[green]yes[/]" if ok else "[red]no[/]",
            escape(for_terminal(why)),
        )
    Console().print(table)
    return 0
