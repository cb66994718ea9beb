"""Image-captioning metrics through pycocoevalcap: BLEU-4, CIDEr-D, METEOR and SPICE.

BLEU-4 and CIDEr are pycocoevalcap's pure-Python scorers. METEOR and SPICE are Java programs:
they run only when ``java`` and their jars/models are present, and are otherwise reported as
unavailable with the reason (never silently skipped). SPICE additionally needs the Stanford
CoreNLP 3.6.0 jars, which pycocoevalcap downloads on first use; we never trigger that download.

Scales: BLEU-4 and METEOR in [0, 1]; CIDEr-D on its usual 0–10 scale (a caption equal to one of
its references typically scores well above 1).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from greenbench.metrics.quality.ci import (
    N_BOOT,
    MetricResult,
    bootstrap_mean,
    bootstrap_statistic,
    unavailable,
)

_PUNCT = re.compile(r"[^\w\s]")


def tokenize(text: str) -> str:
    """Lower-case, drop punctuation, collapse spaces.

    pycocoevalcap's PTBTokenizer does this through a Java CoreNLP process; this in-process
    equivalent keeps BLEU and CIDEr free of Java (a JVM start per scoring call would dominate
    the harness's own energy).
    """
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def _coco_inputs(
    predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[dict, dict]:
    gts = {
        i: [tokenize(r) for r in ([refs] if isinstance(refs, str) else refs)]
        for i, refs in enumerate(references)
    }
    res = {i: [tokenize(p)] for i, p in enumerate(predictions)}
    return gts, res


def bleu4(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Corpus BLEU-4 of pycocoevalcap (``closest`` reference length), in [0, 1].

    The CI re-aggregates pycocoevalcap's per-caption n-gram counts over resampled captions
    (the counts are computed once). Per-sample scores are pycocoevalcap's per-caption BLEU-4.
    """
    from pycocoevalcap.bleu.bleu_scorer import BleuScorer

    gts, res = _coco_inputs(predictions, references)
    scorer = BleuScorer(n=4)
    for i in gts:
        scorer += (res[i][0], gts[i])
    _, per_order = scorer.compute_score(option="closest", verbose=0)
    per_sample = [float(s) for s in per_order[3]]

    def corpus(indices: np.ndarray) -> float:
        sub = BleuScorer(n=4)
        sub.crefs = [scorer.crefs[i] for i in indices]
        sub.ctest = [scorer.ctest[i] for i in indices]
        score, _ = sub.compute_score(option="closest", verbose=0)
        return float(score[3])

    return bootstrap_statistic(len(gts), corpus, per_sample, seed=seed, n_boot=n_boot)


def cider(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """CIDEr-D (pycocoevalcap ``Cider``): the mean of per-caption scores, document frequencies
    taken from this corpus's references. The CI resamples per-caption scores (frequencies fixed)."""
    from pycocoevalcap.cider.cider import Cider

    gts, res = _coco_inputs(predictions, references)
    if not gts:
        return bootstrap_mean([], seed=seed, n_boot=n_boot)
    _, scores = Cider().compute_score(gts, res)
    return bootstrap_mean([float(s) for s in scores], seed=seed, n_boot=n_boot)


def _pycocoevalcap_dir() -> Path:
    import pycocoevalcap

    return Path(next(iter(pycocoevalcap.__path__)))


def meteor_unavailable_reason() -> str | None:
    """Why METEOR cannot run here (no ``java``, jar or paraphrase table missing), or None."""
    if shutil.which("java") is None:
        return "METEOR needs a Java runtime (`java` not found on PATH)"
    base = _pycocoevalcap_dir() / "meteor"
    for need in (base / "meteor-1.5.jar", base / "data" / "paraphrase-en.gz"):
        if not need.exists():
            return f"METEOR needs {need} (not installed with pycocoevalcap)"
    return None


def spice_unavailable_reason() -> str | None:
    """Why SPICE cannot run here, or None. SPICE needs ``java`` and the Stanford CoreNLP 3.6.0
    jars in pycocoevalcap's ``spice/lib`` (pycocoevalcap downloads them; we do not)."""
    if shutil.which("java") is None:
        return "SPICE needs a Java runtime (`java` not found on PATH)"
    lib = _pycocoevalcap_dir() / "spice" / "lib"
    for name in ("stanford-corenlp-3.6.0.jar", "stanford-corenlp-3.6.0-models.jar"):
        if not (lib / name).exists():
            return (
                f"SPICE needs {lib / name} (Stanford CoreNLP models; fetch them with "
                "pycocoevalcap.spice.get_stanford_models on a machine with network)"
            )
    return None


def meteor(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """METEOR 1.5 (pycocoevalcap ``Meteor``, Java): the mean of per-caption scores in [0, 1],
    CI over captions; unavailable (with the reason) without Java or the jar."""
    reason = meteor_unavailable_reason()
    if reason:
        return unavailable(reason, len(predictions))
    from pycocoevalcap.meteor.meteor import Meteor

    gts, res = _coco_inputs(predictions, references)
    if not gts:
        return bootstrap_mean([], seed=seed, n_boot=n_boot)
    scorer = Meteor()
    try:
        _, scores = scorer.compute_score(gts, res)
    finally:
        scorer.meteor_p.kill()
        scorer.meteor_p.wait()
    return bootstrap_mean([float(s) for s in scores], seed=seed, n_boot=n_boot)


def spice(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """SPICE (pycocoevalcap ``Spice``, Java + CoreNLP): mean per-caption F-score in [0, 1];
    unavailable (with the reason) when Java or the CoreNLP jars are missing."""
    reason = spice_unavailable_reason()
    if reason:
        return unavailable(reason, len(predictions))
    from pycocoevalcap.spice.spice import Spice

    gts, res = _coco_inputs(predictions, references)
    _, scores = Spice().compute_score(gts, res)
    return bootstrap_mean([float(s["All"]["f"]) for s in scores], seed=seed, n_boot=n_boot)
