"""The worker attaches the estimate constants' ranges to the phases of the record it ran."""

from __future__ import annotations

import pytest

from greenbench.energy.cpu_time import CpuTimeSource
from greenbench.energy.uncertainty import RAM_RANGE, cpu_range
from greenbench.records.schema import JobRecord, Phase
from greenbench.sweep.energy_range import attach_phase_ranges


def test_estimated_phases_get_a_range_measured_ones_none_unknown_ones_a_note():
    source = CpuTimeSource()  # this machine's constants, as the worker's estimate used them
    try:
        estimated = dict(source.provenance)
        cpu = source.cpu
    finally:
        source.close()
    energy = {"cpu": 10.0, "ram": 2.0, "total": 12.0}
    record = JobRecord(
        job_id="j-1",
        phases={
            "inference": Phase(energy_j=energy, net_energy_j=energy, provenance=estimated),
            "load": Phase(
                energy_j=energy, net_energy_j=energy, provenance={"cpu": "measured:rapl"}
            ),
            "finetune": Phase(
                energy_j=energy, net_energy_j=energy, provenance={"cpu": "estimated:other"}
            ),
        },
    )
    attach_phase_ranges(record)
    inference = record.phases["inference"]
    low_cpu, high_cpu = cpu_range(cpu).factors()
    low_ram, high_ram = RAM_RANGE.factors()
    assert inference.energy_range_j["total"] == pytest.approx(
        [10 * low_cpu + 2 * low_ram, 10 * high_cpu + 2 * high_ram]
    )
    assert inference.net_energy_range_j == inference.energy_range_j
    assert "W/thread" in inference.energy_range_basis
    assert record.phases["load"].energy_range_j is None
    assert record.phases["load"].energy_range_note is None
    assert "no range for estimated:other" in record.phases["finetune"].energy_range_note
