"""Exact match of generated text, with lm-evaluation-harness's options.

lm-eval's ``exact_match`` metric is Hugging Face ``evaluate``'s ``exact_match`` computed per
document and averaged: each option normalizes prediction and reference alike, in this order —
every regex of ``regexes_to_ignore`` removed (``re.sub(regex, "", text)``, one regex after the
other), then lower case (``ignore_case``), then ASCII punctuation (``string.punctuation``)
deleted (``ignore_punctuation``); a sample scores 1 when the normalized strings are equal. With
several references a sample scores 1 when any matches (lm-eval's ``multiple_target`` rule).

Written here rather than imported: ``evaluate`` loads its metrics as scripts from a hub at run
time (no network here) and lm-eval is an optional, heavy dependency; the normalization is a few
lines and is pinned against values computed by hand (``tests/metrics/test_exact_match.py``).

Difference from lm-eval: greenbench strips leading and trailing whitespace from every generated
text before scoring (:func:`greenbench.tasks.scoring.score_samples`), as it does for all its
metrics; lm-eval compares the generation as its filters leave it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from greenbench.metrics.quality.ci import N_BOOT, MetricResult, bootstrap_mean

_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize(
    text: str,
    *,
    ignore_case: bool = False,
    ignore_punctuation: bool = False,
    regexes_to_ignore: Sequence[str] = (),
) -> str:
    """``text`` as lm-eval's ``exact_match`` compares it (regexes, then case, then punctuation)."""
    for regex in regexes_to_ignore:
        text = re.sub(regex, "", text)
    if ignore_case:
        text = text.lower()
    if ignore_punctuation:
        text = text.translate(_PUNCTUATION)
    return text


def exact_match(
    predictions: Sequence[str],
    references: Sequence[str | Sequence[str]],
    *,
    ignore_case: bool = False,
    ignore_punctuation: bool = False,
    regexes_to_ignore: Sequence[str] = (),
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Fraction in [0, 1] of predictions equal to (one of) their reference(s) after
    :func:`normalize` with the given options, with its bootstrap CI."""
    options = {
        "ignore_case": ignore_case,
        "ignore_punctuation": ignore_punctuation,
        "regexes_to_ignore": regexes_to_ignore,
    }
    scores = []
    for pred, ref in zip(predictions, references, strict=True):
        refs = [ref] if isinstance(ref, str) else list(ref)
        got = normalize(str(pred), **options)
        scores.append(float(any(got == normalize(str(r), **options) for r in refs)))
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)
