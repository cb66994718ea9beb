"""GQI on worked examples, including energies of 1 unit or less."""

from __future__ import annotations

import math

import pytest

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import gqi

KWH = 3.6e6  # J


def test_ten_kwh_leaves_beta_times_accuracy_power():
    # log10(10 kWh) = 1 → GQI = 10 × 0.9^5 = 10 × 0.59049 = 5.9049
    result = gqi(0.9, 10 * KWH)
    assert result.value == pytest.approx(5.9049)
    assert (result.energy, result.energy_unit, result.alpha, result.beta) == (
        pytest.approx(10.0),
        "kWh",
        5.0,
        10.0,
    )


def test_fifty_kwh():
    # 5.9049 / log10(50) = 5.9049 / 1.698970 = 3.475576
    assert gqi(0.9, 50 * KWH).value == pytest.approx(5.9049 / math.log10(50))
    assert gqi(0.9, 50 * KWH).value == pytest.approx(3.475576, rel=1e-6)


def test_custom_alpha_beta_and_unit():
    # β=1, α=1, 0.5 accuracy, 100 J in J: 1 × 0.5 / log10(100) = 0.5 / 2 = 0.25
    assert gqi(0.5, 100.0, alpha=1.0, beta=1.0, energy_unit="J").value == pytest.approx(0.25)
    # 7200 J = 2 Wh: 10 × 0.59049 / log10(2) = 5.9049 / 0.30103 = 19.6156
    assert gqi(0.9, 7200.0, energy_unit="Wh").value == pytest.approx(5.9049 / math.log10(2))


def test_tiny_energy_is_undefined_in_kwh_but_defined_in_joules():
    # 500 J = 0.000139 kWh: log10 < 0 → no value, a note naming the unit.
    in_kwh = gqi(0.9, 500.0)
    assert in_kwh.value is None
    assert in_kwh.note is not None and "1 kWh" in in_kwh.note
    # In joules: 5.9049 / log10(500) = 5.9049 / 2.69897 = 2.187835
    assert gqi(0.9, 500.0, energy_unit="J").value == pytest.approx(2.187835, rel=1e-6)


@pytest.mark.parametrize(("energy_j", "unit"), [(3600.0, "Wh"), (KWH, "kWh"), (1.0, "J"), (0, "J")])
def test_exactly_one_unit_or_less_has_no_value(energy_j, unit):
    # log10(1) = 0 would divide by zero; below 1 the index would turn negative.
    result = gqi(0.8, energy_j, energy_unit=unit)
    assert result.value is None
    assert f"1 {unit}" in result.note


def test_rewards_accuracy_and_penalizes_energy():
    assert gqi(0.9, 20 * KWH).value > gqi(0.8, 20 * KWH).value
    assert gqi(0.9, 20 * KWH).value > gqi(0.9, 200 * KWH).value


def test_zero_accuracy_is_zero():
    assert gqi(0.0, 20 * KWH).value == 0.0


@pytest.mark.parametrize(
    ("args", "kwargs", "named"),
    [
        ((90.0, 10 * KWH), {}, "divide percentages by 100"),
        ((-0.1, 10 * KWH), {}, "accuracy"),
        ((math.nan, 10 * KWH), {}, "accuracy"),
        ((0.9, -1.0), {}, "energy_j"),
        ((0.9, math.inf), {}, "energy_j"),
        ((0.9, 10 * KWH), {"alpha": 0}, "alpha"),
        ((0.9, 10 * KWH), {"beta": -1}, "beta"),
        ((0.9, 10 * KWH), {"energy_unit": "MJ"}, "energy_unit must be one of kWh, Wh, J"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(args, kwargs, named):
    with pytest.raises(GreenbenchError, match=named):
        gqi(*args, **kwargs)


def test_energy_within_ten_times_the_singularity_is_flagged():
    # log10(E) <= 1 for 1 < E <= 10 units: the index swings with small energy changes there.
    near = gqi(0.9, 5 * KWH)
    assert near.value == pytest.approx(5.9049 / math.log10(5)) and near.near_singularity
    assert gqi(0.9, 10 * KWH).near_singularity  # the boundary is flagged
    assert not gqi(0.9, 10.5 * KWH).near_singularity
    assert not gqi(0.9, 0.5 * KWH).near_singularity  # no value at all: note instead
    assert gqi(0.9, 5 * KWH, energy_unit="Wh").near_singularity is False  # 5000 Wh
