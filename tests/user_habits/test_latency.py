"""Latency and throughput from a backend's per-batch progress calls, on a fake clock: a fake
backend 'takes' known seconds per batch, so the percentiles are exact."""

from __future__ import annotations

import pytest

from greenbench.models.base import Backend, Generation, ParamCounts
from greenbench.models.spec import ModelSpec, Variant
from greenbench.sweep.latency import BatchClock


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class DelayedBackend(Backend):
    """Answers in batches; batch i 'takes' delays[i] seconds on the fake clock."""

    kind = "fake"

    def __init__(self, delays: list[float], batch: int, clock: FakeClock) -> None:
        super().__init__(ModelSpec(name="fake", source="fake"), Variant(batch_size=batch))
        self.delays, self.batch, self.clock = delays, batch, clock

    def params(self) -> ParamCounts:
        return ParamCounts(total=1, trainable=0)

    def generate(self, prompts, **kwargs):
        for i, start in enumerate(range(0, len(prompts), self.batch)):
            self.clock.now += self.delays[i]
            self.advance(len(prompts[start : start + self.batch]))
        return [Generation(text="x", prompt_tokens=1, generated_tokens=2) for _ in prompts]


def test_percentiles_of_batches_and_queries_from_known_delays():
    fake = FakeClock()
    forwarded: list[int] = []
    clock = BatchClock(forwarded.append, clock=fake)
    backend = DelayedBackend([1.0, 2.0, 3.0, 4.0], batch=3, clock=fake)
    backend.on_progress = clock
    backend.advance(5)  # before the window (e.g. fine-tuning steps): forwarded, not timed
    clock.begin()
    backend.generate(["q"] * 10)  # batches of 3, 3, 3, 1
    clock.end()
    latency = clock.latency(queries=10, generated_tokens=20, window_s=10.0)
    assert forwarded == [5, 3, 3, 3, 1]
    assert latency.batches == 4
    assert latency.batch_s.mean == pytest.approx(2.5)
    assert latency.batch_s.p50 == pytest.approx(2.5)
    assert latency.batch_s.p95 == pytest.approx(3.85)  # 3 + 0.85 * (4 - 3)
    # each query waits for its batch: 1,1,1,2,2,2,3,3,3,4
    assert latency.query_s.mean == pytest.approx(2.2)
    assert latency.query_s.p50 == pytest.approx(2.0)
    assert latency.query_s.p95 == pytest.approx(3.55)  # rank 8.55: 3 + 0.55 * (4 - 3)
    assert latency.queries_per_s == pytest.approx(1.0)
    assert latency.generated_tokens_per_s == pytest.approx(2.0)
    assert latency.note is None


def test_repeats_pool_their_batches_and_calls_outside_windows_are_not_timed():
    fake = FakeClock()
    clock = BatchClock(None, clock=fake)
    for delay in (1.0, 3.0):
        clock.begin()
        fake.now += delay
        clock(4)
        clock.end()
        fake.now += 50.0  # scoring, cooldown: outside the window
        clock(4)
    latency = clock.latency(queries=4, generated_tokens=None, window_s=2.0)
    assert [seconds for seconds, _ in clock.batches] == [1.0, 3.0]
    assert latency.batch_s.mean == pytest.approx(2.0)
    assert latency.queries_per_s == pytest.approx(2.0)
    assert latency.generated_tokens_per_s is None  # a classifier generates no tokens


def test_a_backend_that_reports_no_batches_has_throughput_but_no_latency():
    clock = BatchClock(None, clock=FakeClock())
    clock.begin()
    clock.end()
    latency = clock.latency(queries=8, generated_tokens=16, window_s=4.0)
    assert latency.batch_s is None and latency.query_s is None
    assert latency.queries_per_s == pytest.approx(2.0)
    assert "no batches" in latency.note
