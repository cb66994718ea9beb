"""Metric results and their 95% bootstrap confidence intervals over samples.

Every quality metric returns a :class:`MetricValue` (aggregate value plus a seeded percentile
bootstrap CI) and its per-sample scores. Bootstrap: resample the samples with replacement
``n_boot`` times (default 1000) with ``numpy.random.default_rng(seed)``, recompute the aggregate,
take the 2.5th and 97.5th percentiles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

#: Bootstrap resamples unless a caller asks otherwise.
N_BOOT = 1000
#: Confidence level of every interval.
CONFIDENCE = 0.95


@dataclass
class MetricValue:
    """One metric's aggregate over a task's samples."""

    value: float | None
    """The metric over all samples (None when unavailable); scale as the metric's docs state."""
    ci_low: float | None = None
    """Lower end of the 95% percentile bootstrap interval, same scale as ``value``."""
    ci_high: float | None = None
    """Upper end of the 95% percentile bootstrap interval, same scale as ``value``."""
    higher_is_better: bool = True
    """Whether a larger value means better quality (False for perplexity)."""
    unavailable: str | None = None
    """Why the metric could not be computed (missing Java, model, …); None when computed."""

    def to_dict(self) -> dict:
        """Plain-JSON form: ``value``, ``ci_low``, ``ci_high``, ``higher_is_better`` and
        ``unavailable`` (only when set)."""
        out = asdict(self)
        if out["unavailable"] is None:
            del out["unavailable"]
        return out


@dataclass
class MetricResult:
    """A metric's aggregate and the score of each sample (in input order)."""

    metric: MetricValue
    per_sample: list[float | None] = field(default_factory=list)
    """Per-sample score, same scale as the aggregate; None when the metric is unavailable."""


def unavailable(reason: str, n: int, higher_is_better: bool = True) -> MetricResult:
    """A result for a metric that cannot be computed here, with the reason (never silent)."""
    return MetricResult(
        MetricValue(None, higher_is_better=higher_is_better, unavailable=reason), [None] * n
    )


def _interval(stats: np.ndarray, value: float) -> tuple[float, float]:
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    # A percentile interval can miss a skewed statistic's point estimate by a hair; widen it
    # to contain the value so that a reported interval always brackets what it qualifies.
    return float(min(low, value)), float(max(high, value))


def bootstrap_mean(
    scores: Sequence[float],
    *,
    higher_is_better: bool = True,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Mean of per-sample ``scores`` with its bootstrap CI (vectorized; no samples -> None)."""
    arr = np.asarray(scores, dtype=float)
    if arr.size == 0:
        return MetricResult(MetricValue(None, higher_is_better=higher_is_better), [])
    value = float(arr.mean())
    idx = np.random.default_rng(seed).integers(0, arr.size, size=(n_boot, arr.size))
    low, high = _interval(arr[idx].mean(axis=1), value)
    return MetricResult(MetricValue(value, low, high, higher_is_better), [float(s) for s in arr])


def bootstrap_statistic(
    n: int,
    statistic: Callable[[np.ndarray], float],
    per_sample: Sequence[float],
    *,
    higher_is_better: bool = True,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """A corpus-level ``statistic(indices)`` (e.g. corpus BLEU from summed n-gram counts) over
    ``n`` samples, with its bootstrap CI from recomputing it on resampled index arrays."""
    if n == 0:
        return MetricResult(MetricValue(None, higher_is_better=higher_is_better), [])
    value = float(statistic(np.arange(n)))
    rng = np.random.default_rng(seed)
    stats = np.array([statistic(rng.integers(0, n, size=n)) for _ in range(n_boot)])
    low, high = _interval(stats, value)
    return MetricResult(MetricValue(value, low, high, higher_is_better), list(per_sample))
