"""Ranges of estimated energy from the uncertainty of the estimate's constants."""

from __future__ import annotations

import pytest

from greenbench.energy import cpu_tdp, uncertainty
from greenbench.energy.cpu_time import RAM_W_PER_GIB, CpuTimeSource
from greenbench.energy.uncertainty import PhaseRange, cpu_range, phase_range

XEON = cpu_tdp.lookup("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz")  # 150 W, 20 cores, 40 threads


def test_a_table_cpu_spans_all_threads_busy_to_one_thread_per_core():
    span = cpu_range(XEON)
    assert (span.low, span.central, span.high) == pytest.approx((150 / 40, 150 / 40, 150 / 20))


def test_a_k_series_cpu_reaches_its_maximum_power_per_core():
    span = cpu_range(cpu_tdp.lookup("13th Gen Intel(R) Core(TM) i9-13900K"))
    assert (span.central, span.high) == pytest.approx((253 / 32, 253 / 24))


def test_an_unknown_cpu_spans_every_cpu_of_the_table():
    unknown = cpu_range(cpu_tdp.lookup("Mystery CPU"))
    known = [cpu_range(cpu_tdp.lookup(row["model"])) for row in cpu_tdp.table()]
    assert unknown.central == cpu_tdp.DEFAULT_W_PER_THREAD
    assert unknown.low == pytest.approx(min(k.low for k in known))
    assert unknown.high == pytest.approx(max(k.high for k in known))
    assert unknown.high - unknown.low > (cpu_range(XEON).high - cpu_range(XEON).low) * 3


def test_the_ram_range_surrounds_the_eco2ai_constant():
    span = uncertainty.RAM_RANGE
    assert span.low < span.central == RAM_W_PER_GIB < span.high


def test_a_phase_range_scales_the_estimated_components_only():
    source = CpuTimeSource(cpu=XEON)  # the estimate source's own provenance strings
    try:
        provenance = {**source.provenance, "gpu:0": "measured:nvml"}
    finally:
        source.close()
    gross = {"cpu": 30.0, "ram": 3.0, "gpu:0": 100.0, "total": 133.0}
    net = {"cpu": 20.0, "ram": 3.0, "gpu:0": 60.0, "total": 83.0}
    found = phase_range(gross, net, provenance, XEON)
    assert isinstance(found, PhaseRange)
    ram_low, ram_high = (w / RAM_W_PER_GIB for w in (5 / 64, 5 / 8))
    assert found.energy_j["cpu"] == pytest.approx([30.0, 60.0])  # 3.75 -> 7.5 W/thread
    assert found.energy_j["ram"] == pytest.approx([3.0 * ram_low, 3.0 * ram_high])
    assert found.energy_j["gpu:0"] == [100.0, 100.0]  # measured: a point
    assert found.energy_j["total"] == pytest.approx(
        [100 + 30 + 3 * ram_low, 100 + 60 + 3 * ram_high]
    )
    assert found.net_energy_j["total"] == pytest.approx(
        [60 + 20 + 3 * ram_low, 60 + 40 + 3 * ram_high]
    )
    assert "cpu 3.75 W/thread" in found.basis and "ram 0.375 W/GiB" in found.basis


def test_measured_phases_have_no_range_and_unknown_estimates_say_why():
    measured = {"cpu": "measured:rapl"}
    assert phase_range({"cpu": 1.0, "total": 1.0}, {}, measured, XEON) is None
    other = {"cpu": "estimated:codecarbon(CPU(Cpu Load))"}
    note = phase_range({"cpu": 1.0, "total": 1.0}, {}, other, XEON)
    assert isinstance(note, str) and "no range for estimated:codecarbon" in note
