"""Label metrics: accuracy, top-k accuracy, and exact match of a final number (GSM8K style)."""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable, Sequence

from greenbench.metrics.quality.ci import N_BOOT, MetricResult, bootstrap_mean


def _accepted(reference: Hashable | Collection[Hashable]) -> set:
    if isinstance(reference, (list, tuple, set, frozenset)):
        return set(reference)
    return {reference}


def accuracy(
    predictions: Sequence[Hashable],
    references: Sequence[Hashable | Collection[Hashable]],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Fraction in [0, 1] of predictions equal to their reference (or in a list of accepted
    references). A None prediction (unparseable output) is wrong."""
    scores = [
        float(p is not None and p in _accepted(r))
        for p, r in zip(predictions, references, strict=True)
    ]
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)


def top_k_accuracy(
    predictions: Sequence[Sequence[Hashable]],
    references: Sequence[Hashable | Collection[Hashable]],
    k: int = 5,
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Fraction in [0, 1] of samples whose ``k`` best-ranked predictions contain an accepted
    reference. ``predictions[i]`` is ranked best first."""
    scores = [
        float(bool(set(list(p)[:k]) & _accepted(r)))
        for p, r in zip(predictions, references, strict=True)
    ]
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_MARKERS = ("####", "answer is", "answer:")


def final_number(text: str) -> float | None:
    """The final numeric answer in ``text``: the first number after the last ``####`` /
    "answer is" / "answer:" marker if there is one, else the last number; commas and a
    trailing period are ignored. None when there is no number."""
    lowered = str(text).lower()
    for marker in _MARKERS:
        pos = lowered.rfind(marker)
        if pos >= 0:
            found = _NUMBER.findall(lowered[pos + len(marker) :])
            if found:
                return float(found[0].replace(",", ""))
    found = _NUMBER.findall(lowered)
    return float(found[-1].replace(",", "")) if found else None


def final_number_match(
    predictions: Sequence[str],
    references: Sequence[str | float],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Fraction in [0, 1] of predictions whose final number equals the reference's final number
    (to 1e-6)."""
    scores = []
    for pred, ref in zip(predictions, references, strict=True):
        got, want = final_number(pred), final_number(str(ref))
        scores.append(float(got is not None and want is not None and abs(got - want) < 1e-6))
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)
