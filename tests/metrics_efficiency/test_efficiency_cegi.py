"""CEGI on worked examples computed by hand."""

from __future__ import annotations

import math

import pytest

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import cegi


def test_worked_example_fractions():
    # ΔP = (0.35 - 0.30) × 100 = 5 pp; N = 460,800 → 0.4608 M
    # CEGI = 10 g / (5 × 0.4608) = 10 / 2.304 = 4.340277…
    result = cegi(10.0, 0.30, 0.35, 460_800)
    assert result.gain_pp == 5.0
    assert result.trainable_params_millions == pytest.approx(0.4608)
    assert result.value == pytest.approx(10 / 2.304)
    assert result.note is None


def test_metric_already_in_percent_uses_scale_one():
    # 30 % → 35 % with quality_scale=1 is the same 5 pp gain as above.
    assert cegi(10.0, 30.0, 35.0, 460_800, quality_scale=1.0).value == pytest.approx(10 / 2.304)


def test_inference_emissions_are_added_to_the_numerator():
    # (10 + 2) g / 2.304 = 5.208333…
    result = cegi(10.0, 0.30, 0.35, 460_800, inference_emissions_g=2.0)
    assert result.emissions_g == 12.0
    assert result.value == pytest.approx(12 / 2.304)


def test_more_trainable_parameters_lower_the_index():
    # Same emissions and gain, 10× the parameters → one tenth of the CEGI.
    small = cegi(10.0, 0.30, 0.35, 100_000).value
    large = cegi(10.0, 0.30, 0.35, 1_000_000).value
    assert large == pytest.approx(small / 10)


@pytest.mark.parametrize(("base", "tuned"), [(0.40, 0.40), (0.40, 0.35), (0.3, 0.1 + 0.2)])
def test_no_gain_gives_none_and_a_note(base, tuned):
    # Equal quality, a drop, and float noise (0.1 + 0.2 = 0.30000000000000004) are all no gain.
    result = cegi(10.0, base, tuned, 460_800)
    assert result.value is None
    assert result.note == "no gain"
    assert result.gain_pp <= 0


def test_drop_keeps_its_negative_gain():
    # 0.40 → 0.35 is -5 pp.
    assert cegi(10.0, 0.40, 0.35, 1000).gain_pp == -5.0


def test_lower_is_better_metric_flips_the_gain():
    # Error rate 0.20 → 0.15 is a 5 pp gain: 10 / (5 × 0.4608) as above.
    better = cegi(10.0, 0.20, 0.15, 460_800, higher_is_better=False)
    assert better.gain_pp == 5.0
    assert better.value == pytest.approx(10 / 2.304)
    worse = cegi(10.0, 0.15, 0.20, 460_800, higher_is_better=False)
    assert worse.value is None
    assert worse.note == "no gain"


def test_zero_emissions_with_a_gain_is_zero():
    assert cegi(0.0, 0.30, 0.35, 460_800).value == 0.0


@pytest.mark.parametrize(
    ("args", "kwargs", "named"),
    [
        ((-1.0, 0.3, 0.35, 1000), {}, "finetune_emissions_g"),
        ((math.nan, 0.3, 0.35, 1000), {}, "finetune_emissions_g"),
        ((1.0, 0.3, 0.35, 1000), {"inference_emissions_g": -0.5}, "inference_emissions_g"),
        ((1.0, math.nan, 0.35, 1000), {}, "quality_base"),
        ((1.0, 0.3, math.inf, 1000), {}, "quality_finetuned"),
        ((1.0, 0.3, 0.35, 0), {}, "trainable_params"),
        ((1.0, 0.3, 0.35, -5), {}, "trainable_params"),
        ((1.0, 0.3, 0.35, 1000), {"quality_scale": 0}, "quality_scale"),
        (("10", 0.3, 0.35, 1000), {}, "finetune_emissions_g"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(args, kwargs, named):
    with pytest.raises(GreenbenchError, match=named):
        cegi(*args, **kwargs)
