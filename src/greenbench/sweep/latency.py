"""Latency and throughput of the inference phase, from the backend's per-batch progress calls.

A backend calls ``on_progress(units)`` as each batch finishes (:meth:`Backend.advance`);
:class:`BatchClock` stands in that hook, forwards every call to the progress display, and times
it. Within one inference window (:meth:`BatchClock.begin` … :meth:`BatchClock.end`):

- a batch's time is from the previous call (or the window's start) to its call, s;
- a query's latency is the time of the batch that answered it: every query of a batch waits for
  the whole batch, so a batch of 8 gives 8 values (ML.ENERGY's leaderboard reports request
  latency the same way, per request, not divided by the batch);
- throughput is queries (generated tokens) per second of the window's wall time.

Percentiles use numpy's default (linear interpolation between closest ranks). A backend that
never reports progress inside the window gives no batches: the latency spreads are None with a
note, and throughput still comes from the window's duration. The clock is injectable so tests
can drive it with known delays.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from greenbench.records.schema import Latency, Spread

#: A monotonic clock in seconds.
Clock = Callable[[], float]


def spread(values: list[float]) -> Spread | None:
    """Mean, median and 95th percentile of ``values`` (s); None for no values."""
    if not values:
        return None
    data = np.asarray(values, dtype=float)
    return Spread(
        mean=float(data.mean()),
        p50=float(np.percentile(data, 50)),
        p95=float(np.percentile(data, 95)),
    )


class BatchClock:
    """A backend's ``on_progress`` hook that times each batch, then forwards the call.

    Args:
        forward: the hook to call with the same units (the sweep's progress), or None.
        clock: seconds, monotonic (default :func:`time.perf_counter`).
    """

    def __init__(self, forward: Callable[[int], None] | None, clock: Clock = time.perf_counter):
        self.forward = forward
        self.clock = clock
        self.batches: list[tuple[float, int]] = []
        """``(seconds, queries)`` of each timed batch, every window together."""
        self._last: float | None = None

    def begin(self) -> None:
        """An inference window starts: the next batch is timed from now."""
        self._last = self.clock()

    def end(self) -> None:
        """The window ends: calls until the next :meth:`begin` are not timed."""
        self._last = None

    def __call__(self, units: int) -> None:
        if self._last is not None and units > 0:
            now = self.clock()
            self.batches.append((now - self._last, units))
            self._last = now
        if self.forward is not None:
            self.forward(units)

    def latency(
        self, queries: int, generated_tokens: int | None, window_s: float | None
    ) -> Latency:
        """The figures of the timed windows.

        Args:
            queries: queries answered in one window.
            generated_tokens: tokens generated in one window (None for classifiers).
            window_s: mean wall time of one inference window, s.
        """
        per_query = [seconds for seconds, units in self.batches for _ in range(units)]
        rate = (lambda n: n / window_s) if window_s else (lambda n: None)
        note = None if self.batches else "the backend reported no batches: latency not timed"
        return Latency(
            queries_per_s=rate(queries),
            generated_tokens_per_s=None if generated_tokens is None else rate(generated_tokens),
            batches=len(self.batches),
            batch_s=spread([seconds for seconds, _ in self.batches]),
            query_s=spread(per_query),
            note=note,
        )
