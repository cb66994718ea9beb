"""VQA accuracy: answer normalisation and the consensus formula, hand-checked."""

from __future__ import annotations

import pytest

from greenbench.metrics.quality.vqa import normalize_answer, vqa_accuracy, vqa_score


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Two", "2"),
        ("two dogs.", "2 dogs"),
        ("1,000", "1000"),
        ("3.5", "3.5"),
        ("The Red", "red"),
        ("an apple", "apple"),
        ("Yes!", "yes"),
        ("dont know", "don't know"),
        ("  Tabby\tcat ", "tabby cat"),
    ],
)
def test_normalize_answer(raw, normal):
    assert normalize_answer(raw) == normal


def test_consensus_formula_hand_checked():
    # 3 of 10 humans agree: 7 leave-one-out subsets keep 3 matches (acc 1), 3 keep 2 (acc 2/3).
    assert vqa_score("cat", ["cat"] * 3 + ["dog"] * 7) == pytest.approx((7 + 3 * 2 / 3) / 10)
    # 2 of 10: 8 subsets keep 2 (2/3), 2 keep 1 (1/3) -> 0.6.
    assert vqa_score("cat", ["cat"] * 2 + ["dog"] * 8) == pytest.approx(0.6)
    assert vqa_score("cat", ["cat"] * 4 + ["dog"] * 6) == 1.0
    assert vqa_score("fish", ["cat"] * 10) == 0.0


def test_normalisation_applies_to_both_sides():
    assert vqa_score("Three.", ["3"] * 5 + ["three"] * 5) == 1.0


def test_single_reference_is_exact_match_after_normalisation():
    assert vqa_score("A cat", "cat") == 1.0
    assert vqa_accuracy(["yes", "no"], [["yes"], ["yes"]]).metric.value == 0.5
