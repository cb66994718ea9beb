"""Per-query figures on the job-record example of docs/records.md."""

from __future__ import annotations

import math

import pytest

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import per_query


def test_record_example():
    # 30 J and 0.002 g over 40 samples, 14 correct, 890 generated tokens, accuracy 0.35.
    result = per_query(30.0, 0.002, 40, correct=14, generated_tokens=890, quality=0.35)
    assert result.energy_per_query_j == pytest.approx(0.75)  # 30 / 40
    assert result.emissions_per_query_g == pytest.approx(5e-5)  # 0.002 / 40
    assert result.energy_per_1k_queries_j == pytest.approx(750.0)  # 0.75 × 1000
    assert result.emissions_per_1k_queries_g == pytest.approx(0.05)  # 5e-5 × 1000
    assert result.energy_per_token_j == pytest.approx(30 / 890)  # 0.0337
    assert result.energy_per_correct_j == pytest.approx(30 / 14)  # 2.1429
    # 0.75 J = 0.75 / 3.6e6 kWh → 0.35 / 2.0833e-7 = 1,680,000
    assert result.quality_per_kwh == pytest.approx(1_680_000.0)
    assert result.notes == ()


def test_optional_figures_absent_without_their_inputs():
    result = per_query(10.0, 0.001, 5)
    assert result.energy_per_query_j == 2.0
    assert (result.energy_per_token_j, result.energy_per_correct_j, result.quality_per_kwh) == (
        None,
        None,
        None,
    )
    assert result.notes == ()


def test_quality_per_kwh_does_not_depend_on_sample_count():
    # Twice the samples at the same energy per query: same quality per kWh.
    assert per_query(30.0, 0.0, 40, quality=0.5).quality_per_kwh == pytest.approx(
        per_query(60.0, 0.0, 80, quality=0.5).quality_per_kwh
    )


def test_zero_correct_zero_tokens_zero_energy_are_noted():
    result = per_query(0.0, 0.0, 10, correct=0, generated_tokens=0, quality=0.5)
    assert result.energy_per_correct_j is None
    assert result.energy_per_token_j is None
    assert result.quality_per_kwh is None
    assert result.notes == (
        "no generated tokens: energy per token undefined",
        "no correct answers: energy per correct answer undefined",
        "zero energy: quality per kWh undefined",
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "named"),
    [
        ((1.0, 0.1, 0), {}, "samples must be a whole number >= 1"),
        ((1.0, 0.1, 2.5), {}, "samples"),
        ((-1.0, 0.1, 4), {}, "energy_j"),
        ((1.0, math.nan, 4), {}, "emissions_g"),
        ((1.0, 0.1, 4), {"correct": 5}, "correct must be <= samples"),
        ((1.0, 0.1, 4), {"correct": -1}, "correct"),
        ((1.0, 0.1, 4), {"generated_tokens": -3}, "generated_tokens"),
        ((1.0, 0.1, 4), {"quality": math.nan}, "quality"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(args, kwargs, named):
    with pytest.raises(GreenbenchError, match=named):
        per_query(*args, **kwargs)
