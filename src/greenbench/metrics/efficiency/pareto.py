"""The Pareto frontier of quality against a cost to minimize (energy or emissions)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from greenbench.errors import GreenbenchError


def _usable(point: object, index: int) -> tuple[float, float] | None:
    """``(quality, cost)`` as floats, or None when either is None, NaN or infinite."""
    try:
        pair = tuple(point)  # tuples, lists and numpy rows alike
    except TypeError:
        pair = ()
    if isinstance(point, str) or len(pair) != 2:
        raise GreenbenchError(
            f"pareto_front: points[{index}] must be a (quality, cost) pair, got {point!r}"
        )
    values = []
    for value in pair:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise GreenbenchError(
                f"pareto_front: points[{index}] must hold numbers or None, got {point!r}"
            )
        if not math.isfinite(float(value)):
            return None
        values.append(float(value))
    return values[0], values[1]


def pareto_front(
    points: Sequence[tuple[float | None, float | None]], *, higher_is_better: bool = True
) -> list[int]:
    """Indices of the non-dominated points of (quality, cost), cost minimized.

    A point is dominated when another is at least as good in both quality and cost and strictly
    better in one. Identical points do not dominate each other, so duplicates on the frontier
    are all kept. Points with a None, NaN or infinite coordinate are left out.

    Args:
        points: ``(quality, cost)`` pairs, e.g. (accuracy, energy per query in J).
        higher_is_better: whether quality is maximized (True) or minimized.

    Returns:
        Indices into ``points``, ordered by ascending cost (then by index), the order in which
        a frontier is drawn.

    Raises:
        GreenbenchError: an entry that is not a pair of numbers or None.
    """
    kept = [(i, p) for i, p in ((i, _usable(p, i)) for i, p in enumerate(points)) if p]
    if not kept:
        return []
    index = np.array([i for i, _ in kept])
    quality = np.array([p[0] for _, p in kept])
    cost = np.array([p[1] for _, p in kept])
    if not higher_is_better:
        quality = -quality
    # dominates[j, i]: point j is at least as good as point i in both and better in one.
    no_worse = (quality[:, None] >= quality[None, :]) & (cost[:, None] <= cost[None, :])
    better = (quality[:, None] > quality[None, :]) | (cost[:, None] < cost[None, :])
    dominated = (no_worse & better).any(axis=0)
    front = index[~dominated]
    order = np.lexsort((front, cost[~dominated]))
    return [int(i) for i in front[order]]
