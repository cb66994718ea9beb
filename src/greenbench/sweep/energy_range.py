"""Attach the estimate constants' ranges (:mod:`greenbench.energy.uncertainty`) to a record's
phases, in the process that ran the job: the constants are those of the machine that estimated."""

from __future__ import annotations

from greenbench.energy.uncertainty import PhaseRange, phase_range
from greenbench.records.schema import JobRecord


def attach_phase_ranges(record: JobRecord) -> None:
    """Set each phase's ``energy_range_j`` / ``net_energy_range_j`` / ``energy_range_basis``, or
    its ``energy_range_note`` when an estimated component has no known range; measured phases
    are left without a range."""
    for phase in record.phases.values():
        found = phase_range(phase.energy_j, phase.net_energy_j, phase.provenance)
        if isinstance(found, PhaseRange):
            phase.energy_range_j = found.energy_j
            phase.net_energy_range_j = found.net_energy_j
            phase.energy_range_basis = found.basis
        elif found is not None:
            phase.energy_range_note = found
