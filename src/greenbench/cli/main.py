"""Entry point of the ``greenbench`` console script.

Each subcommand lives in its own module of this package and exposes
``register(subparsers) -> argparse.ArgumentParser`` (which sets ``func=run`` as a default).
Errors the user can fix are :class:`greenbench.errors.GreenbenchError`: printed as one line,
exit status 2, traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from greenbench import __version__
from greenbench.errors import GreenbenchError
from greenbench.safe_text import for_terminal

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ["run", "eval", "measure", "meters", "tasks", "score", "report", "recommend", "zoo"]


def build_parser() -> argparse.ArgumentParser:
    """Return the full argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="greenbench",
        description="What ML model variants achieve, and what they cost in energy and carbon.",
    )
    parser.add_argument("--version", action="version", version=f"greenbench {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"greenbench.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the process exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # `greenbench` alone is `greenbench run`: the offline quickstart.
        args = parser.parse_args(["run", *argv])
    try:
        status = args.func(args)
    except GreenbenchError as exc:
        if args.debug:
            raise
        print(for_terminal(f"greenbench: error: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("greenbench: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
