"""Few-shot prompts with lm-evaluation-harness's semantics (its ``ContextSampler``).

One ``random.Random(fewshot_seed)`` serves the whole task: for each evaluated row, in order, it
draws ``num_fewshot`` example rows from the pool (``num_fewshot + 1`` when the pool is the
evaluation split itself), drops the evaluated row if it was drawn, keeps the first
``num_fewshot``, and writes each as ``prompt + target_delimiter + target + fewshot_delimiter``
(a row whose target is empty contributes its prompt alone, as lm-eval's). The prefix is placed
before the evaluated row's prompt. The same seed, rows and order therefore give lm-eval's
examples, including under ``--limit`` (the first N rows draw what lm-eval's first N draw).

Where examples come from (``docs/tasks.md``): ``fewshot_file``, else ``fewshot_split`` (the
evaluation split, ``train`` for an offline task's ``data.train``, or another split of a hub
dataset), else lm-eval's rule: the training rows when the task has them, else the evaluation
split.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from greenbench.errors import GreenbenchError

Row = dict[str, Any]


@dataclass(frozen=True)
class FewShotPool:
    """The rows examples are drawn from."""

    rows: list[Row]
    same_split: bool
    """True when the pool is the evaluation split (the evaluated row must be skipped)."""


def target_text(value: Any) -> str:
    """A row's target as an example's answer: the first of a list, else its string form."""
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value)


def prefixes(
    rows: Sequence[Row],
    pool: FewShotPool,
    *,
    num_fewshot: int,
    seed: int,
    render: Callable[[Row], str],
    target: Callable[[Row], str],
    target_delimiter: str,
    fewshot_delimiter: str,
    where: str,
) -> list[str]:
    """The few-shot prefix of each of ``rows`` (evaluation order), drawn as lm-eval draws.

    ``render(row)``: the row's prompt; ``target(row)``: its answer; ``where``: the task file,
    for errors.
    """
    if num_fewshot == 0:
        return ["" for _ in rows]
    draw = num_fewshot + 1 if pool.same_split else num_fewshot
    if draw > len(pool.rows):
        raise GreenbenchError(
            f"{where}: field 'num_fewshot': {num_fewshot} examples need {draw} rows to draw "
            f"from; the few-shot pool has {len(pool.rows)}"
        )
    rng = random.Random(seed)
    out = []
    for row in rows:
        drawn = rng.sample(pool.rows, draw)
        chosen = [x for x in drawn if x != row][:num_fewshot]
        text = ""
        for example in chosen:
            text += render(example)
            answer = target(example)
            if answer != "":
                text += target_delimiter + answer + fewshot_delimiter
        out.append(text)
    return out
