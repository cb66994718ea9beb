"""``greenbench eval``: lm-evaluation-harness's command line, measured — no YAML.

``greenbench eval --model hf --model_args pretrained=DIR,dtype=bf16 --tasks sentiment,nli
--limit 100`` plans the one-model sweep (:mod:`greenbench.sweep.oneline`), runs it with the
same runner and store as ``greenbench run``, prints the leaderboards and each job's energy and
emissions per query, and writes ``DIR/results.db``, ``results.json`` and ``report.html``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from greenbench.cli import mlflow_option
from greenbench.cli.run import _positive

if TYPE_CHECKING:
    from greenbench.records import JobRecord


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``eval`` subcommand."""
    parser = subparsers.add_parser(
        "eval",
        help="evaluate one model on some tasks with lm-eval's arguments, measuring its energy",
        description=(
            "lm-evaluation-harness's arguments, no YAML: build the one-model sweep, run it "
            "through the same runner, store and report as `greenbench run`, and print the "
            "leaderboards with the energy and emissions per query."
        ),
    )
    parser.add_argument(
        "--model",
        default="hf",
        help="backend: hf, llamacpp, onnx, torch, estimate or a plugin's (default: hf)",
    )
    parser.add_argument(
        "--model_args",
        "--model-args",
        required=True,
        metavar="ARGS",
        help="pretrained=DIR_OR_HUB_ID_OR_zoo:NAME[,dtype=bf16][,quantization=…][,name=…]",
    )
    parser.add_argument(
        "--tasks", required=True, metavar="T1,T2", help="comma-separated task names"
    )
    parser.add_argument(
        "--include_path",
        "--include-path",
        metavar="DIR",
        help="directory of extra task YAML files (greenbench's or lm-eval's format)",
    )
    parser.add_argument("--limit", type=_positive, metavar="N", help="samples per task")
    parser.add_argument("--num_fewshot", "--num-fewshot", type=_count, metavar="K")
    parser.add_argument(
        "--batch_size", "--batch-size", type=_batch, metavar="N|auto", help="default: 8"
    )
    parser.add_argument("--device", metavar="DEV", help="cpu, cuda or cuda:N (default: auto)")
    parser.add_argument(
        "--output_path",
        "--output-path",
        metavar="DIR",
        default="runs/eval",
        help="output directory (default: runs/eval); re-running resumes",
    )
    parser.add_argument(
        "--log_samples",
        "--log-samples",
        action="store_true",
        help="also write each job's per-sample log as DIR/samples_<task>_<job id>.jsonl",
    )
    parser.add_argument("--country", metavar="ISO3", help="grid country, e.g. FRA")
    parser.add_argument(
        "--meter", help="energy source: auto, rapl, nvml, estimate, codecarbon (default: auto)"
    )
    parser.add_argument(
        "--idle_seconds",
        "--idle-seconds",
        type=float,
        metavar="S",
        help="idle calibration before the first job, s (default 5; 0: none)",
    )
    parser.add_argument("--repeats", type=_positive, metavar="K", help="inference repeats")
    mlflow_option.add_argument(parser)
    parser.add_argument(
        "--show_config",
        "--show-config",
        action="store_true",
        help="print the equivalent sweep YAML and exit",
    )
    parser.set_defaults(func=run)
    return parser


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _batch(text: str) -> int | str:
    return "auto" if text == "auto" else _positive(text)


def run(args: argparse.Namespace) -> int:
    """Plan, run, show; exit 0 even when some jobs failed (they are listed)."""
    from rich.console import Console

    from greenbench.cli.run import show_results
    from greenbench.cli.sweep_view import SweepProgress
    from greenbench.sweep.oneline import ORIGIN, equivalent_yaml, eval_config
    from greenbench.sweep.runner import plan_config, run_sweep

    config = eval_config(
        args.model,
        args.model_args,
        args.tasks,
        limit=args.limit,
        num_fewshot=args.num_fewshot,
        batch_size=args.batch_size,
        device=args.device,
        country=args.country,
        meter=args.meter,
        repeats=args.repeats,
        idle_seconds=args.idle_seconds,
        include_path=args.include_path,
    )
    jobs = plan_config(config, ORIGIN)
    if args.show_config:
        print(equivalent_yaml(config), end="")
        return 0
    mlflow_option.check(args)
    out = Path(args.output_path)
    console = Console(stderr=True)
    with SweepProgress(console) as progress:
        outcome = run_sweep(config, jobs, out, progress=progress)
    show_results(outcome, console)
    mlflow_option.log(args, outcome, console)
    from greenbench.records import load_records

    records = load_records(outcome.records)
    for record in records:
        console.print(per_query_line(record), soft_wrap=True, markup=False, highlight=False)
    if args.log_samples:
        for path in write_sample_logs(out, records):
            console.print(f"samples: {path}", markup=False, highlight=False)
    console.print(
        f"{len(outcome.ran)} jobs run ({len(outcome.failed)} failed), {outcome.skipped} skipped, "
        f"{outcome.wall_s:.0f} s; results: {out / 'results.json'}",
        markup=False,
        highlight=False,
    )
    return 0


def per_query_line(record: JobRecord) -> str:
    """``model · variant @ task: energy 1.23 J/query, emissions 45.6 µg/query (estimated)``."""
    from greenbench.records.values import job_label
    from greenbench.report.formatting import si
    from greenbench.report.provenance import figure_provenance

    label = f"{job_label(record)} @ {record.task}"
    if not record.ok:
        return f"{label}: failed: {record.error or 'no error recorded'}"
    kind = figure_provenance(record, "energy_per_query_j").kind
    return (
        f"{label}: energy {si(record.energy_per_query_j, 'J')}/query, "
        f"emissions {si(record.emissions_per_query_g, 'g')} CO2e/query ({kind})"
    )


def write_sample_logs(out: Path, records: list[JobRecord]) -> list[Path]:
    """Each job's per-sample log as ``out/samples_<task>_<job id>.jsonl`` (lm-eval's
    ``--log_samples`` habit; the same logs are in ``results.db``)."""
    from greenbench.store import ResultsStore

    written = []
    with ResultsStore(out / "results.db") as store:
        for record in records:
            task = re.sub(r"[^A-Za-z0-9_.-]", "_", str(record.task))
            path = out / f"samples_{task}_{record.job_id}.jsonl"
            lines = [json.dumps(s, ensure_ascii=False) for s in store.samples(record.job_id)]
            path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
            written.append(path)
    return written
