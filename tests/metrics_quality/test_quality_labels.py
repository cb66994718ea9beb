"""Accuracy, top-k and final-number exact match."""

from __future__ import annotations

import pytest

from greenbench.metrics.quality.labels import (
    accuracy,
    final_number,
    final_number_match,
    top_k_accuracy,
)


def test_accuracy_with_single_and_accepted_references():
    result = accuracy(["a", "b", None, 3], ["a", "c", "a", [1, 3]])
    assert result.metric.value == 0.5
    assert result.per_sample == [1.0, 0.0, 0.0, 1.0]


def test_top_k_counts_a_hit_within_the_first_k():
    preds = [[5, 1, 2], [9, 8, 7, 6, 5, 4], [1]]
    refs = [[2], [4], 1]
    assert top_k_accuracy(preds, refs, k=1).metric.value == pytest.approx(1 / 3)
    assert top_k_accuracy(preds, refs, k=3).metric.value == pytest.approx(2 / 3)
    assert top_k_accuracy(preds, refs, k=6).metric.value == 1.0


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("3 + 4 = 7. The answer is 7.", 7),
        ("so 12 apples\n#### 1,234", 1234),
        ("It costs $3.50 in total", 3.5),
        ("first 5, then -2", -2),
        ("The answer is: 42 (not 43)", 42),
        ("no numbers here", None),
    ],
)
def test_final_number(text, number):
    assert final_number(text) == number


def test_final_number_match_against_gsm8k_style_reference():
    refs = ["He has 2 + 3 = 5 apples.\n#### 5", "#### 1,200"]
    preds = ["Adding gives 5 apples. The answer is 5", "The total is 1200 dollars. Then 12 more."]
    result = final_number_match(preds, refs)
    assert result.per_sample == [1.0, 0.0]
