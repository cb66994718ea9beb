"""Pareto frontier of (quality, cost) with dominated points, ties and missing values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import pareto_front


def test_dominated_point_is_dropped_and_front_is_ordered_by_cost():
    # (0.7, 15) is worse and dearer than (0.8, 10); the rest trade quality for cost.
    points = [(0.8, 10.0), (0.9, 20.0), (0.7, 15.0), (0.6, 5.0)]
    assert pareto_front(points) == [3, 0, 1]


def test_identical_points_are_both_kept():
    assert pareto_front([(0.8, 10.0), (0.8, 10.0), (0.5, 12.0)]) == [0, 1]


def test_equal_quality_dearer_and_equal_cost_worse_are_dominated():
    # Same quality at higher cost (index 1) and same cost at lower quality (index 2) lose.
    assert pareto_front([(0.8, 10.0), (0.8, 11.0), (0.7, 10.0)]) == [0]


def test_missing_and_non_finite_points_are_excluded():
    points = [(None, 1.0), (math.nan, 1.0), (0.5, math.inf), (0.9, None), (0.5, 10.0)]
    assert pareto_front(points) == [4]


def test_lower_is_better_quality():
    # (error, cost): (0.3, 8) has more error and more cost than (0.2, 5).
    assert pareto_front([(0.1, 10.0), (0.2, 5.0), (0.3, 8.0)], higher_is_better=False) == [1, 0]


def test_numpy_rows_and_empty_input():
    assert pareto_front(np.array([[0.8, 10.0], [0.7, 12.0]])) == [0]
    assert pareto_front([]) == []
    assert pareto_front([(None, None)]) == []


@pytest.mark.parametrize("bad", [(1.0, 2.0, 3.0), "ab", ("a", 1.0), 5.0])
def test_malformed_points_raise_naming_the_index(bad):
    with pytest.raises(GreenbenchError, match=r"points\[1\]"):
        pareto_front([(0.5, 1.0), bad])
