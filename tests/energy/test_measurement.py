"""Measurement arithmetic (totals, net of idle) and the meter's windows and idle baseline."""

from __future__ import annotations

import time

import pytest

from greenbench import EnergyMeter as LazyEnergyMeter
from greenbench.energy import EnergyMeter, IdleBaseline, Measurement
from greenbench.errors import GreenbenchError


def test_totals_skip_breakdowns_but_count_each_gpu():
    m = Measurement(
        name="w",
        duration_s=2.0,
        energy_j={
            "cpu": 10.0,
            "cpu:package-0": 4.0,
            "cpu:package-1": 6.0,
            "gpu:0": 5.0,
            "gpu:1": 7.0,
        },
        provenance={},
    )
    assert m.total_j == pytest.approx(22.0)


def test_net_energy_subtracts_idle_and_floors_at_zero():
    m = Measurement(
        name="w",
        duration_s=2.0,
        energy_j={"cpu": 10.0, "ram": 1.0},
        provenance={"cpu": "measured:rapl", "ram": "estimated:rss"},
        idle_energy_j={"cpu": 4.0, "ram": 3.0},
    )
    assert m.net_energy_j == {"cpu": 6.0, "ram": 0.0}
    assert m.net_total_j == pytest.approx(6.0)
    d = m.to_dict()
    assert d["energy_j"] == {"total": 11.0, "cpu": 10.0, "ram": 1.0}
    assert d["net_energy_j"] == {"total": 6.0, "cpu": 6.0, "ram": 0.0}
    assert d["provenance"] == m.provenance
    assert m.estimated


def test_without_idle_net_equals_gross():
    m = Measurement("w", 1.0, {"cpu": 3.0}, {"cpu": "measured:rapl"})
    assert m.to_dict()["net_energy_j"] == {"total": 3.0, "cpu": 3.0}
    assert m.to_dict()["idle_energy_j"] == {}
    assert not m.estimated


def test_idle_baseline_round_trip_and_use(powercap):
    powercap.zone("intel-rapl:0", "package-0")
    idle = IdleBaseline(power_w={"cpu": 5.0}, duration_s=2.0, provenance={"cpu": "measured:rapl"})
    assert IdleBaseline.from_dict(idle.to_dict()) == idle
    with EnergyMeter("rapl", idle=idle) as meter, meter.window("w") as w:
        powercap.add("intel-rapl:0", 100.0)
        time.sleep(0.2)
    m = w.measurement
    assert m.idle_energy_j["cpu"] == pytest.approx(5.0 * m.duration_s)
    assert m.net_total_j == pytest.approx(100.0 - 5.0 * m.duration_s)


def test_calibrate_idle_measures_static_power(powercap):
    powercap.zone("intel-rapl:0", "package-0")
    with EnergyMeter("rapl") as meter:
        idle = meter.calibrate_idle(0.1)  # the fake counter does not move: 0 W
        assert meter.idle is idle
        assert idle.power_w == {"cpu": 0.0}
        assert idle.provenance == {"cpu": "measured:rapl"}
        with pytest.raises(GreenbenchError, match="seconds > 0"):
            meter.calibrate_idle(0)


def test_estimate_idle_baseline_leaves_busy_cpu_net():
    with EnergyMeter("estimate") as meter:
        idle = meter.calibrate_idle(0.3)
        assert set(idle.power_w) == {"cpu", "ram"} and idle.power_w["ram"] > 0
        with meter.window("w") as w:
            end = time.process_time() + 0.2
            while time.process_time() < end:
                pass
    m = w.measurement
    assert m.net_energy_j["cpu"] > 0.5 * m.energy_j["cpu"] > 0
    assert m.net_energy_j["ram"] < m.energy_j["ram"]


def test_window_records_measurement_when_block_raises():
    meter = EnergyMeter("estimate")
    with pytest.raises(ValueError), meter.window("failing") as w:
        raise ValueError("boom")
    meter.close()
    assert w.measurement is not None and w.measurement.name == "failing"


def test_unknown_meter_is_rejected():
    with pytest.raises(GreenbenchError, match=r"unknown meter 'joulescope'.*auto"):
        EnergyMeter("joulescope")


def test_top_level_import_is_the_same_class():
    assert LazyEnergyMeter is EnergyMeter
