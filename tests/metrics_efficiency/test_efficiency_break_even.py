"""Break-even of fine-tuning a small model against a larger one: normal, never, zero."""

from __future__ import annotations

import math

import pytest

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import break_even
from greenbench.metrics.efficiency.break_even import NEVER


def test_normal_break_even_and_cumulative_saving():
    # n* = 12 g / (0.05 - 0.01) g/query = 12 / 0.04 = 300 queries
    result = break_even(12.0, 0.01, 0.05)
    assert result.queries == pytest.approx(300.0)
    assert result.note is None
    assert result.saving_g(0) == pytest.approx(-12.0)  # nothing repaid yet
    assert result.saving_g(300) == pytest.approx(0.0, abs=1e-12)
    assert result.saving_g(1000) == pytest.approx(28.0)  # 1000 × 0.04 - 12


def test_whole_queries_rounds_up_to_the_first_non_negative_saving():
    # 10 / (0.04 - 0.01) = 333.33… → 334 queries; at 333 the saving is still negative.
    result = break_even(10.0, 0.01, 0.04)
    assert result.whole_queries == 334
    assert result.saving_g(333) < 0 <= result.saving_g(334)


@pytest.mark.parametrize(("e_ft", "small", "large"), [(5.0, 0.05, 0.01), (5.0, 0.02, 0.02)])
def test_never_when_the_small_model_is_not_cheaper_per_query(e_ft, small, large):
    result = break_even(e_ft, small, large)
    assert result.queries is None
    assert result.whole_queries is None
    assert result.note == NEVER


@pytest.mark.parametrize(("small", "large"), [(0.01, 0.05), (0.02, 0.02)])
def test_zero_when_there_is_nothing_to_repay(small, large):
    result = break_even(0.0, small, large)
    assert result.queries == 0.0
    assert result.note is None


def test_free_fine_tuning_but_dearer_queries_is_never():
    assert break_even(0.0, 0.05, 0.01).note == NEVER


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((-1.0, 0.01, 0.05), "finetune_emissions_g"),
        ((1.0, -0.01, 0.05), "per_query_small_g"),
        ((1.0, 0.01, math.nan), "per_query_large_g"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(args, named):
    with pytest.raises(GreenbenchError, match=named):
        break_even(*args)


def test_negative_query_count_is_refused():
    with pytest.raises(GreenbenchError, match="n must be >= 0"):
        break_even(1.0, 0.01, 0.05).saving_g(-1)
