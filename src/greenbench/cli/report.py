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
    "codecarbon-csv": "emissions.csv",
}
#: Tables ``--format csv|parquet`` can write (``greenbench.report.dataframe``, ``export``).
TABLES = ("jobs", "samples", "figures")


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
    parser.add_argument(
        "dir",
        metavar="DIR",
        help="the --out directory of a `greenbench run`, or a results file of measurements "
        "(`greenbench measure --out`, `@greenbench.measured(out=…)`)",
    )
    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        help="default: html for a sweep directory, md (a table) for a file of measurements; "
        "codecarbon-csv: measurements in CodeCarbon's emissions.csv layout",
    )
    parser.add_argument(
        "--table",
        choices=TABLES,
        default="jobs",
        help="csv/parquet: one row per job (default, the columns of Results.to_dataframe()), "
        "per evaluated sample, or per job x figure",
    )
    parser.add_argument(
        "--out", metavar="FILE", help="where to write (default: DIR/report.<ext>; '-': stdout)"
    )
    parser.add_argument(
        "--all-jobs",
        action="store_true",
        help="every job in results.db, also those of an earlier config of DIR (default: the "
        "latest run's plan)",
    )
    parser.add_argument(
        "--gqi-unit",
        choices=["kWh", "Wh", "J"],
        default="kWh",
        help="energy unit of every GQI in the report (default: kWh, the paper's); one unit "
        "for all tasks, so their GQIs compare",
    )
    parser.add_argument(
        "--study",
        choices=["cegi", "slm-vs-llm", "watt-for-what"],
        help="the study's own tables: as Markdown or CSV (--format md|csv, default file "
        "DIR/study-<name>.md|csv), or as a section of the HTML report (default: the study the "
        "sweep's config names)",
    )
    parser.add_argument(
        "--cegi-basis",
        choices=["net", "gross"],
        help="fine-tuning emissions the CEGI study view charges (default: the config's "
        "cegi_basis, else net)",
    )
    parser.set_defaults(func=run)
    return parser


def _study(args: argparse.Namespace, results) -> int:
    """Write (or print, with --out -) the study's tables as Markdown or CSV."""
    from greenbench.report import studies_export
    from greenbench.report.studies import study_tables

    config = results.meta.get("config") if isinstance(results.meta.get("config"), dict) else {}
    basis = args.cegi_basis or config.get("cegi_basis") or "net"
    tables = study_tables(args.study, results.records, cegi_basis=basis, gqi_unit=args.gqi_unit)
    render = studies_export.to_markdown if args.format == "md" else studies_export.to_csv
    text = render(tables)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out or Path(args.dir) / f"study-{args.study}.{args.format}")
    if out.is_dir():
        raise GreenbenchError(f"--out {out}: is a directory; give a file name")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Write the report; print where it went."""
    from greenbench.report import export, load_run, render_html
    from greenbench.report.terminal import print_leaderboard

    if Path(args.dir).is_file():
        return _measurements(args)
    args.format = args.format or "html"
    if args.format == "codecarbon-csv":
        raise GreenbenchError(
            f"--format codecarbon-csv: {args.dir} is a sweep directory; give a file of "
            "measurements (greenbench measure --out FILE.db, @greenbench.measured(out=FILE.db))"
        )
    to_stdout = args.out == "-"
    if to_stdout and args.format == "parquet":
        raise GreenbenchError("--out -: Parquet is binary; give a file name")
    results = load_run(args.dir, all_jobs=args.all_jobs)
    warn_problems(args.dir, results.problems)
    if args.study and args.format in ("md", "csv"):
        return _study(args, results)
    if args.study and args.format != "html":
        raise GreenbenchError(f"--study with --format {args.format}: use md, csv or html")
    out = None if to_stdout else Path(args.out or Path(args.dir) / FORMATS[args.format])
    if out is not None and out.is_dir():
        raise GreenbenchError(f"--out {out}: is a directory; give a file name")
    if args.format == "parquet":
        _write_table(args.table, results, out, parquet=True, gqi_unit=args.gqi_unit)
    else:
        text = {
            "html": lambda: render_html(
                results.records,
                results.samples_by_job,
                results.meta,
                results.hidden,
                gqi_unit=args.gqi_unit,
                study=args.study,
                outdated=results.outdated,
            ),
            "md": lambda: export.to_markdown(results.records, gqi_unit=args.gqi_unit),
            "json": lambda: export.to_json(results.records, gqi_unit=args.gqi_unit),
            "csv": lambda: _write_table(
                args.table, results, None, parquet=False, gqi_unit=args.gqi_unit
            ),
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
    if results.outdated:
        print(
            f"note: {results.outdated} jobs in {args.dir} were scored under an earlier "
            "definition of their task and are left out; run the sweep again to score them anew",
            file=sys.stderr,
        )
    print(f"wrote {out}")
    return 0


def _write_table(
    table: str, results, out: Path | None, *, parquet: bool, gqi_unit: str
) -> str | None:
    """The ``--table`` of a sweep as CSV text (``parquet=False``) or a Parquet file at ``out``,
    every GQI in ``gqi_unit``."""
    from greenbench.report import dataframe, export

    if table == "figures":
        if parquet:
            export.write_parquet(results.records, out, gqi_unit=gqi_unit)
            return None
        return export.to_csv(results.records, gqi_unit=gqi_unit)
    if table == "jobs":
        rows = dataframe.job_rows(results.records, gqi_unit=gqi_unit)
    else:
        rows = dataframe.sample_rows(results.records, results.samples_by_job)
    if parquet:
        dataframe.write_parquet(rows, out)
        return None
    return dataframe.write_csv(rows, None)


def _measurements(args: argparse.Namespace) -> int:
    """``greenbench report FILE.db``: the measurements of a results file."""
    import json

    from rich.console import Console

    from greenbench.report.dataframe import write_csv
    from greenbench.report.measurements import (
        measurement_rows,
        measurements_markdown,
        print_measurements,
    )
    from greenbench.store import ResultsStore, check_path
    from greenbench.tracking import codecarbon_csv

    fmt = args.format or "md"
    if fmt in ("html", "parquet"):
        raise GreenbenchError(
            f"--format {fmt}: {args.dir} is a file of measurements; use md, csv, json or "
            "codecarbon-csv"
        )
    with ResultsStore.open_readonly(check_path(args.dir)) as store:
        stored = store.measurements()
    if not stored:
        raise GreenbenchError(f"{args.dir}: holds no measurements")
    if fmt == "md" and args.out is None:
        print_measurements(stored, Console())
        return 0
    text = {
        "md": lambda: measurements_markdown(stored),
        "csv": lambda: write_csv(measurement_rows(stored), None),
        "json": lambda: json.dumps(stored, indent=2, ensure_ascii=False) + "\n",
        "codecarbon-csv": lambda: codecarbon_csv.to_text([codecarbon_csv.row(m) for m in stored]),
    }[fmt]()
    if args.out == "-" or (args.out is None and fmt != "codecarbon-csv"):
        sys.stdout.write(text)
        return 0
    out = Path(args.out or FORMATS[fmt])
    if out.is_dir():
        raise GreenbenchError(f"--out {out}: is a directory; give a file name")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def warn_problems(run_dir: str, problems: list[str]) -> None:
    """One ``greenbench: warning:`` line on stderr per part of the store that could not be read
    (the rest of the report is still written)."""
    for problem in problems:
        line = f"greenbench: warning: {Path(run_dir) / 'results.db'}: {problem}"
        print(for_terminal(" ".join(line.split())), file=sys.stderr)
