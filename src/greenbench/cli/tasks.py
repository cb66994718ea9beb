"""``greenbench tasks``: list the tasks (built-in and ``--tasks-dir``), or export one's samples."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from greenbench.errors import GreenbenchError
from greenbench.safe_text import for_terminal

if TYPE_CHECKING:
    from greenbench.tasks import Task


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``tasks`` subcommand."""
    parser = subparsers.add_parser(
        "tasks",
        help="list tasks, or export a task's samples to predict on",
        description=(
            "Without TASK: list every task with its metrics and data sources. With TASK: show it, "
            "or with --export write its samples (id, prompt, reference) as JSONL."
        ),
    )
    parser.add_argument(
        "task", nargs="*", metavar="TASK", help="task name or YAML file (several with --check-hub)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--tasks-dir", metavar="DIR", help="directory of your own task YAML files")
    parser.add_argument("--export", metavar="FILE.jsonl", help="write TASK's samples to FILE")
    parser.add_argument("--limit", type=int, metavar="N", help="export only the first N samples")
    parser.add_argument(
        "--source", choices=["offline", "hub"], help="data source (default: the task's default)"
    )
    parser.add_argument(
        "--images", metavar="DIR", help="with --export: save each sample's image as DIR/<id>.png"
    )
    parser.add_argument(
        "--check-hub",
        action="store_true",
        help="load 5 rows of each TASK's (default: every task's) hub source at its pinned "
        "revision and say what differs; exit 1 if any fails (needs network, or "
        "GREENBENCH_HUB_MIRROR)",
    )
    parser.add_argument(
        "--from-lm-eval",
        metavar="FILE",
        help="convert an lm-evaluation-harness task YAML to greenbench's (printed, or --out)",
    )
    parser.add_argument("--out", metavar="FILE.yaml", help="with --from-lm-eval: write here")
    parser.set_defaults(func=run)
    return parser


def _convert(args: argparse.Namespace) -> int:
    """Print (or write to --out) the greenbench YAML of an lm-eval task file."""
    import yaml

    from greenbench.tasks.lm_eval_import import convert, is_lm_eval, read_yaml
    from greenbench.tasks.loader import validate

    source = Path(args.from_lm_eval)
    if not source.is_file():
        raise GreenbenchError(f"--from-lm-eval {source}: no such file")
    try:
        raw = read_yaml(source)
    except yaml.YAMLError:
        raise GreenbenchError(f"--from-lm-eval {source}: not valid YAML") from None
    if not is_lm_eval(raw):
        raise GreenbenchError(f"--from-lm-eval {source}: not an lm-eval task (no 'task' key)")
    out = Path(args.out) if args.out else None
    spec = convert(raw, source, out.parent if out else None)
    validate(spec, source)
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, encoding="utf-8")
        print(f"wrote {spec['name']} to {out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from greenbench.tasks import load_task

    if args.limit is not None and args.limit < 1:
        raise GreenbenchError(f"--limit {args.limit}: must be at least 1")
    task = load_task(args.task, args.tasks_dir, args.source)
    samples = task.samples(args.limit)
    image_dir = Path(args.images) if args.images else None
    if image_dir:
        image_dir.mkdir(parents=True, exist_ok=True)
    out = Path(args.export)
    with out.open("w", encoding="utf-8") as fh:
        for s in samples:
            row = {"id": s.id, "prompt": s.prompt, "reference": s.reference}
            if s.choices:
                row["choices"] = s.choices
            if s.image is not None and image_dir:
                path = image_dir / f"{s.id.replace('/', '_')}.png"
                s.image.save(path)
                row["image"] = str(path)
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    print(f"wrote {len(samples)} samples of {task.name} to {out}")
    return 0


def _listed(tasks_dir: str | None) -> list[Task]:
    """Every task; one line on stderr per lm-eval file of ``tasks_dir`` that is not listed
    because it cannot be mapped, with the reason."""
    from greenbench.tasks.loader import scan_tasks

    listing = scan_tasks(tasks_dir)
    for refused in listing.refused:
        print(f"not listed: {for_terminal(refused.reason)}", file=sys.stderr)
    return listing.tasks


def _check_hub(args: argparse.Namespace) -> int:
    from greenbench.tasks import load_task
    from greenbench.tasks.hub_check import check_hub

    tasks = (
        [load_task(name, args.tasks_dir) for name in args.task]
        if args.task
        else _listed(args.tasks_dir)
    )
    checks = check_hub(tasks)
    if args.json:
        print(json.dumps([{**asdict(c), "ok": c.ok} for c in checks], indent=2))
    else:
        table = Table(title="hub sources")
        for column in ("task", "source", "result"):
            table.add_column(column)
        for c in checks:
            result = (
                f"[green]ok[/] ({c.rows} rows)"
                if c.ok
                else f"[red]fails:[/] {escape(c.problem or '')}"
            )
            table.add_row(escape(c.task), escape(c.source), result)
        Console().print(table)
    return 0 if all(c.ok for c in checks) else 1


def run(args: argparse.Namespace) -> int:
    """List tasks, show one, export one's samples, or check hub sources."""
    from greenbench.tasks import load_task

    if args.from_lm_eval:
        return _convert(args)
    if args.check_hub:
        return _check_hub(args)
    if len(args.task) > 1:
        raise GreenbenchError(
            f"tasks {' '.join(args.task)}: one TASK at a time (except --check-hub)"
        )
    args.task = args.task[0] if args.task else None
    if args.export:
        if not args.task:
            raise GreenbenchError(
                "--export needs a TASK: greenbench tasks TASK --export FILE.jsonl"
            )
        return _export(args)
    tasks = (
        [load_task(args.task, args.tasks_dir, args.source)]
        if args.task
        else _listed(args.tasks_dir)
    )
    described = [t.describe() for t in tasks]
    if args.json:
        print(json.dumps(described if not args.task else described[0], indent=2))
        return 0
    table = Table(title="tasks")
    for column in ("task", "output", "metrics (primary first)", "data sources"):
        table.add_column(column)
    for d in described:
        names = [
            m["name"] + ("" if m["higher_is_better"] else " (lower better)") for m in d["metrics"]
        ]
        primary = next(n for n in names if n.split(" ")[0] == d["primary_metric"])
        metrics = ", ".join([f"[bold]{primary}[/]", *(n for n in names if n != primary)])
        src = d["sources"]
        sources = [
            f"{k}: {escape(for_terminal(v))}" + (" (default)" if k == src["default"] else "")
            for k, v in src.items()
            if k != "default"
        ]
        table.add_row(
            escape(for_terminal(d["name"])), d["output_type"], metrics, "\n".join(sources)
        )
    Console().print(table)
    return 0
