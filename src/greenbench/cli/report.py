"""``greenbench report DIR``: the HTML report, Markdown leaderboards or exports of a sweep."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from greenbench.errors import GreenbenchError
from greenbench.safe_text import for_terminal

#: Formats and the file each writes by default in DIR.
FORMATS = {
    "html": "report.html",
    "md": "report.md",
    "json": "report.json",
    "csv": "report.csv",
    "parquet": "report.parquet",
}


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="write the HTML report, Markdown leaderboards or exports of a sweep",
        description=(
            "Read DIR/results.db and write the self-contained HTML report (default), Markdown "
            "leaderboards (also printed to the terminal), the job records as JSON, or one row "
            "per job × metric as CSV or Parquet."
        ),
    )
    parser.add_argument("dir", metavar="DIR", help="the --out directory of a `greenbench run`")
    parser.add_argument("--format", choices=list(FORMATS), default="html", help="default: html")
    parser.add_argument(
        "--out", metavar="FILE", help="where to write (default: DIR/report.<ext>; '-': stdout)"
    )
    parser.add_argument(
        "--all-jobs",
        action="store_true",
        help="every job in results.db, also those of an earlier config of DIR (default: the "
        "latest run's plan)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Write the report; print where it went."""
    from greenbench.report import export, load_run, render_html
    from greenbench.report.terminal import print_leaderboard

    to_stdout = args.out == "-"
    if to_stdout and args.format == "parquet":
        raise GreenbenchError("--out -: Parquet is binary; give a file name")
    results = load_run(args.dir, all_jobs=args.all_jobs)
    warn_problems(args.dir, results.problems)
    out = None if to_stdout else Path(args.out or Path(args.dir) / FORMATS[args.format])
    if out is not None and out.is_dir():
        raise GreenbenchError(f"--out {out}: is a directory; give a file name")
    if args.format == "parquet":
        export.write_parquet(results.records, out)
    else:
        text = {
            "html": lambda: render_html(
                results.records, results.samples_by_job, results.meta, results.hidden
            ),
            "md": lambda: export.to_markdown(results.records),
            "json": lambda: export.to_json(results.records),
            "csv": lambda: export.to_csv(results.records),
        }[args.format]()
        if to_stdout:
            sys.stdout.write(for_terminal(text) if sys.stdout.isatty() else text)
            return 0
        out.write_text(text, encoding="utf-8")
    if args.format == "md":
        print_leaderboard(results.records)
    if results.hidden:
        print(
            f"note: {results.hidden} jobs of an earlier config in {args.dir} are left out "
            "(--all-jobs includes them)",
            file=sys.stderr,
        )
    print(f"wrote {out}")
    return 0


def warn_problems(run_dir: str, problems: list[str]) -> None:
    """One ``greenbench: warning:`` line on stderr per part of the store that could not be read
    (the rest of the report is still written)."""
    for problem in problems:
        line = f"greenbench: warning: {Path(run_dir) / 'results.db'}: {problem}"
        print(for_terminal(" ".join(line.split())), file=sys.stderr)
