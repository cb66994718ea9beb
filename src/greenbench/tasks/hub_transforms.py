"""Row transforms a hub source applies after its column mapping (``data.hub.transforms``).

Each takes the mapped row and a :class:`TransformContext` and returns the row rewritten, or
None to drop it. They fix what a dataset's raw columns get wrong for the task:
``python_code_without_docstring`` (CodeXGLUE's ``code`` still holds the docstring, which is the
reference), ``first_sentence`` (a one-line summary from a whole docstring),
``strip_prompt_tags`` (WritingPrompts' ``[ WP ]`` tags), ``first_sentences`` (a reference story
cut to the length the prompt asks for), ``spider_database`` (the row's SQLite database and its
schema) and ``sqlite_select_only`` (gretel rows SQLite can run).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from greenbench.tasks.hub_repo import HubRepo
    from greenbench.tasks.spec import TransformSpec

Row = dict[str, Any]

# Sentence ends: . ! or ? followed by whitespace or the end. A regex rather than a tokenizer
# (nltk's punkt needs a model download); docstrings and prompts are short, plain English.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# WritingPrompts tags: "[ WP ]", "[WP]", "( EU )", several in a row.
_TAGS = re.compile(r"^\s*(?:[\[(]\s*[A-Za-z]{2}\s*[\])]\s*)+")


@dataclass(frozen=True)
class TransformContext:
    """What a transform may use besides the row."""

    spec: TransformSpec
    repo: HubRepo
    schema_field: str | None = None
    """The task's ``schema_field`` (SQL tasks)."""


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def _drop_segment(source: str, node: ast.expr) -> str:
    """``source`` without ``node``'s text (ast offsets are UTF-8 byte columns); lines left
    blank are removed."""
    lines = source.splitlines(keepends=True)
    start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    head = lines[start].encode()[: node.col_offset].decode(errors="ignore")
    tail = lines[end].encode()[node.end_col_offset or 0 :].decode(errors="ignore")
    kept = [piece for piece in (head, tail) if piece.strip()]
    middle = ["".join(kept).rstrip() + "\n"] if kept else []
    return "".join(lines[:start] + middle + lines[end + 1 :])


def python_code_without_docstring(row: Row, ctx: TransformContext) -> Row:
    """The function's source with its docstring removed; code that Python 3 cannot parse
    (CodeSearchNet holds Python 2) falls back to lm-eval's form, the ``code_tokens`` joined by
    spaces (CodeXGLUE's tokens exclude the docstring)."""
    field = ctx.spec.field
    source = str(row[field])
    try:
        module = ast.parse(source)
    except SyntaxError:
        return {**row, field: " ".join(row.get("code_tokens") or [])}
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return {**row, field: _drop_segment(source, first.value)}
            break
    return {**row, field: source}


def first_sentence(row: Row, ctx: TransformContext) -> Row | None:
    """The first sentence of the first paragraph (a docstring's summary line); rows whose text
    is empty are dropped."""
    field = ctx.spec.field
    paragraph = re.split(r"\n\s*\n", str(row[field]).strip(), maxsplit=1)[0]
    sentences = _sentences(paragraph)
    return {**row, field: sentences[0]} if sentences else None


def strip_prompt_tags(row: Row, ctx: TransformContext) -> Row:
    """WritingPrompts' leading tags (``[ WP ]``, ``[ EU ]``…) removed; ``<newline>`` markers
    become spaces."""
    field = ctx.spec.field
    text = str(row[field]).replace("<newline>", " ")
    return {**row, field: " ".join(_TAGS.sub("", text).split())}


def first_sentences(row: Row, ctx: TransformContext) -> Row | None:
    """The first ``n`` sentences (``<newline>`` markers read as spaces): a reference as long
    as the generation the prompt asks for."""
    field = ctx.spec.field
    sentences = _sentences(str(row[field]).replace("<newline>", " "))
    return {**row, field: " ".join(sentences[: ctx.spec.n or 1])} if sentences else None


def spider_database(row: Row, ctx: TransformContext) -> Row:
    """The row's database (``database/<db_id>/<db_id>.sqlite`` in the repo) as
    ``database_path``, and its schema text in ``field``."""
    from greenbench.tasks.hub_sql import database_schema

    db_id = str(row["db_id"])
    path = ctx.repo.file(f"database/{db_id}/{db_id}.sqlite")
    return {**row, "database_path": str(path), ctx.spec.field: database_schema(path)}


def sqlite_select_only(row: Row, ctx: TransformContext) -> Row | None:
    """Kept only when the gold query (``field``) is a single read-only query that runs, in
    SQLite's dialect, on the row's own context (the task's ``schema_field``); both are
    rewritten in SQLite's dialect."""
    from greenbench.tasks.hub_sql import sqlite_select_row

    if not ctx.schema_field:
        raise ValueError("sqlite_select_only needs the task's schema_field")
    converted = sqlite_select_row(str(row[ctx.spec.field]), str(row[ctx.schema_field]))
    if converted is None:
        return None
    query, script = converted
    return {**row, ctx.spec.field: query, ctx.schema_field: script}


TRANSFORMS: dict[str, Callable[[Row, TransformContext], Row | None]] = {
    f.__name__: f
    for f in (
        python_code_without_docstring,
        first_sentence,
        strip_prompt_tags,
        first_sentences,
        spider_database,
        sqlite_select_only,
    )
}
