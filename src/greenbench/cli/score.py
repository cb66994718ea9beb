"""``greenbench score``: score predictions made elsewhere against a task's references."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from greenbench.errors import GreenbenchError
from greenbench.safe_text import for_terminal


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``score`` subcommand."""
    parser = subparsers.add_parser(
        "score",
        help="score a JSONL file of predictions against a task",
        description=(
            "Score predictions (one JSON object per line: id, prediction) against TASK's "
            "references; ids missing from the file count as wrong. Get the samples to predict "
            "on with: greenbench tasks TASK --export FILE.jsonl"
        ),
    )
    parser.add_argument("task", metavar="TASK", help="task name or YAML file")
    parser.add_argument("--predictions", required=True, metavar="FILE.jsonl")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--tasks-dir", metavar="DIR", help="directory of your own task YAML files")
    parser.add_argument("--source", choices=["offline", "hub"], help="data source of the task")
    parser.add_argument("--limit", type=int, metavar="N", help="score only the first N samples")
    parser.add_argument(
        "--reference-model", metavar="DIR", help="local causal LM directory for perplexity"
    )
    parser.add_argument(
        "--per-sample", metavar="FILE.jsonl", help="also write per-sample records to FILE"
    )
    parser.set_defaults(func=run)
    return parser


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def run(args: argparse.Namespace) -> int:
    """Score and print; exit 0 (missing ids are reported, not an error)."""
    from greenbench.tasks import load_task
    from greenbench.tasks.sources import read_predictions

    if args.limit is not None and args.limit < 1:
        raise GreenbenchError(f"--limit {args.limit}: must be at least 1")
    task = load_task(args.task, args.tasks_dir, args.source)
    predictions = read_predictions(Path(args.predictions))
    samples = task.samples(args.limit)
    resources = {"reference_model_path": args.reference_model} if args.reference_model else None
    result = task.score(samples, predictions, resources)
    known = {s.id for s in samples}
    unknown = sorted(k for k in predictions if k not in known)
    if args.per_sample:
        with Path(args.per_sample).open("w", encoding="utf-8") as fh:
            for record in result.per_sample:
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    if args.json:
        out = {
            "task": task.name,
            "samples": len(samples),
            "primary_metric": task.spec.primary_metric,
            "metrics": {k: v.to_dict() for k, v in result.metrics.items()},
            "missing": result.missing,
            "unknown_ids": unknown,
            "sandbox": result.sandbox,
        }
        print(json.dumps(out, indent=2))
        return 0
    table = Table(title=f"{escape(for_terminal(task.name))}: {len(samples)} samples")
    for column in ("metric", "value", "95% CI", "better"):
        table.add_column(column)
    for name, m in result.metrics.items():
        label = f"[bold]{name}[/]" if name == task.spec.primary_metric else name
        better = "higher" if m.higher_is_better else "lower"
        if m.unavailable:
            table.add_row(label, "unavailable", escape(for_terminal(m.unavailable)), better)
        else:
            table.add_row(label, _fmt(m.value), f"[{_fmt(m.ci_low)}, {_fmt(m.ci_high)}]", better)
    console = Console()
    console.print(table)
    if result.missing:
        shown = ", ".join(result.missing[:10]) + (" …" if len(result.missing) > 10 else "")
        shown = escape(for_terminal(shown))
        console.print(f"{len(result.missing)} samples had no prediction (scored wrong): {shown}")
    if unknown:
        console.print(f"{len(unknown)} predictions matched no sample id and were ignored")
    if result.sandbox:
        console.print(f"generated code ran in: {escape(result.sandbox)}")
    return 0
