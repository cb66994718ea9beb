"""The metric table: one entry per metric, with scale, direction and whether it counts correct."""

from __future__ import annotations

import pytest

from greenbench.metrics.catalogue import METRICS, UNIT, Scale, counts_correct


def _accuracy_by_name(metric):
    """The rule the record layer used before the table existed (sweep.indexes.is_accuracy)."""
    like = {"final_number_match", "pass_at_1", "exact_match"}
    return bool(metric) and ("accuracy" in metric or metric in like)


@pytest.mark.parametrize("name", [*METRICS, None])
def test_counts_correct_agrees_with_the_old_name_rule_for_every_metric(name):
    assert counts_correct(name) is _accuracy_by_name(name)


def test_unknown_metric_counts_nothing():
    assert counts_correct("acc") is False
    assert counts_correct("") is False


def test_a_metric_counting_correct_answers_is_a_fraction_where_higher_is_better():
    for info in METRICS.values():
        if info.counts_correct:
            assert info.scale == UNIT and info.higher_is_better, info.name


def test_scales_read_as_ranges():
    assert str(METRICS["rougeL"].scale) == "0..1"
    assert str(METRICS["cider"].scale) == "0..10"
    assert str(METRICS["perplexity"].scale) == ">= 1"
    assert METRICS["ves"].scale == Scale(0.0, None)


def test_scorers_score():
    top1 = METRICS["top1_accuracy"].scorer([[3, 1], [2]], [1, 2], seed=0)
    assert top1.metric.value == 0.5
    assert METRICS["accuracy"].scorer(["a", None], ["a", "b"], seed=0).metric.value == 0.5
