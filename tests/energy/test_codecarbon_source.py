"""The CodeCarbon adapter with the real (offline) CodeCarbon tracker."""

from __future__ import annotations

import os

import pytest

from greenbench.energy import EnergyMeter

pytest.importorskip("codecarbon")


def test_codecarbon_windows_are_labelled_and_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with EnergyMeter("codecarbon", country="FRA") as meter:
        with meter.window("outer") as outer, meter.window("inner") as inner:
            sum(range(200_000))
        prov = meter.provenance
    for w in (outer, inner):
        assert {"cpu", "ram"} <= set(w.measurement.energy_j)
        assert all(v >= 0 for v in w.measurement.energy_j.values())
    assert prov["ram"].startswith("estimated:codecarbon(")
    # Measured only when CodeCarbon itself says it read RAPL.
    assert prov["cpu"].startswith("measured:codecarbon(") == ("Rapl" in prov["cpu"])
    if not os.path.exists("/sys/class/powercap"):
        assert prov["cpu"].startswith("estimated:codecarbon(")
    assert outer.measurement.duration_s >= inner.measurement.duration_s
    assert list(tmp_path.iterdir()) == []  # no emissions.csv, no lock file in cwd
