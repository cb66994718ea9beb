"""Fixtures of the energy tests: fake powercap trees under GREENBENCH_POWERCAP_ROOT."""

from __future__ import annotations

import pytest
from energy_fakes import FakePowercap


@pytest.fixture
def powercap(tmp_path, monkeypatch) -> FakePowercap:
    """An empty fake powercap tree that GREENBENCH_POWERCAP_ROOT points at."""
    root = tmp_path / "powercap"
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(root))
    return FakePowercap(root)


@pytest.fixture
def two_socket(powercap) -> FakePowercap:
    """Two packages, each with a dram subzone, plus core and psys zones that must be ignored."""
    powercap.zone("intel-rapl:0", "package-0", 1_000_000)
    powercap.zone("intel-rapl:0:0", "core", 500_000)
    powercap.zone("intel-rapl:0:1", "dram", 2_000_000)
    powercap.zone("intel-rapl:1", "package-1", 3_000_000)
    powercap.zone("intel-rapl:1:0", "dram", 4_000_000)
    powercap.zone("intel-rapl:2", "psys", 0)
    return powercap
