"""Text-overlap metrics: ROUGE (Google's ``rouge-score``) and BLEU (``sacrebleu``).

Scales: ROUGE F-measures and BLEU are fractions in [0, 1] (sacrebleu's 0–100 BLEU divided by 100,
to share a scale with pycocoevalcap's BLEU-4 and the accuracies).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from greenbench.metrics.quality.ci import N_BOOT, MetricResult, bootstrap_mean, bootstrap_statistic

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def _as_refs(reference: str | Sequence[str]) -> list[str]:
    return [reference] if isinstance(reference, str) else [str(r) for r in reference]


def rouge(
    predictions: Sequence[str],
    references: Sequence[str | Sequence[str]],
    rouge_type: str = "rougeL",
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Mean ROUGE F-measure (Porter stemming on) of each prediction against its reference(s).

    With several references a sample scores its best match (``RougeScorer.score_multi``).
    ``rouge_type``: rouge1 | rouge2 | rougeL | rougeLsum.
    """
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer([rouge_type], use_stemmer=True)
    scores = [
        scorer.score_multi(_as_refs(ref), pred)[rouge_type].fmeasure
        for pred, ref in zip(predictions, references, strict=True)
    ]
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)


def sacrebleu_bleu(
    predictions: Sequence[str],
    references: Sequence[str | Sequence[str]],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Corpus BLEU (sacrebleu defaults: 13a tokenizer, exp smoothing) as a fraction in [0, 1].

    The CI recomputes corpus BLEU from resampled per-segment n-gram statistics (sacrebleu's own
    statistics, the ones its paired bootstrap uses). Per-sample scores are sentence BLEU.
    """
    from sacrebleu.metrics import BLEU

    refs = [_as_refs(r) for r in references]
    width = max((len(r) for r in refs), default=1)
    # sacrebleu wants reference *streams*: stream k holds every sample's k-th reference
    # (None where a sample has fewer references).
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
    bleu = BLEU()
    stats = np.asarray(bleu._extract_corpus_statistics(list(predictions), streams), dtype=float)
    sentence = BLEU(effective_order=True)
    per_sample = [
        sentence.sentence_score(pred, ref).score / 100.0
        for pred, ref in zip(predictions, refs, strict=True)
    ]

    def corpus(indices: np.ndarray) -> float:
        return bleu._compute_score_from_stats(stats[indices].sum(axis=0)).score / 100.0

    return bootstrap_statistic(len(refs), corpus, per_sample, seed=seed, n_boot=n_boot)
