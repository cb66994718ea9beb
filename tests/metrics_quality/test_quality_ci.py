"""Bootstrap confidence intervals: seeded, bracketing the value, sensible widths."""

from __future__ import annotations

import numpy as np

from greenbench.metrics.quality.ci import bootstrap_mean, bootstrap_statistic


def test_mean_ci_is_seeded_and_brackets_the_value():
    scores = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]
    a = bootstrap_mean(scores, seed=3)
    b = bootstrap_mean(scores, seed=3)
    assert a == b
    assert a.metric.value == 0.7
    assert a.metric.ci_low <= 0.7 <= a.metric.ci_high
    assert 0.0 <= a.metric.ci_low < a.metric.ci_high <= 1.0
    assert a.per_sample == [float(s) for s in scores]


def test_constant_scores_give_a_zero_width_interval():
    result = bootstrap_mean([1.0] * 12).metric
    assert (result.value, result.ci_low, result.ci_high) == (1.0, 1.0, 1.0)


def test_more_samples_narrow_the_interval():
    rng = np.random.default_rng(0)
    small = bootstrap_mean(rng.integers(0, 2, 20)).metric
    large = bootstrap_mean(rng.integers(0, 2, 2000)).metric
    assert (large.ci_high - large.ci_low) < (small.ci_high - small.ci_low)


def test_empty_input_has_no_value():
    assert bootstrap_mean([]).metric.value is None


def test_corpus_statistic_interval_brackets_a_ratio():
    num = np.array([1.0, 5.0, 2.0, 8.0, 3.0])
    den = np.array([2.0, 6.0, 4.0, 9.0, 3.0])
    result = bootstrap_statistic(5, lambda i: num[i].sum() / den[i].sum(), [0.0] * 5, seed=1)
    m = result.metric
    assert m.value == num.sum() / den.sum()
    assert m.ci_low <= m.value <= m.ci_high


def test_to_dict_omits_unavailable_only_when_unset():
    d = bootstrap_mean([1.0, 0.0]).metric.to_dict()
    assert set(d) == {"value", "ci_low", "ci_high", "higher_is_better"}
