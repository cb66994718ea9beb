"""The RAPL source against fake powercap trees (GREENBENCH_POWERCAP_ROOT)."""

from __future__ import annotations

import pytest
from energy_fakes import MAX_UJ

from greenbench.energy import EnergyMeter
from greenbench.energy import rapl as rapl_module
from greenbench.errors import GreenbenchError


def test_packages_and_dram_per_socket(two_socket):
    with EnergyMeter("rapl") as meter, meter.window("work") as w:
        two_socket.add("intel-rapl:0", 10.0)
        two_socket.add("intel-rapl:1", 20.0)
        two_socket.add("intel-rapl:0:1", 3.0)
        two_socket.add("intel-rapl:1:0", 4.0)
        two_socket.add("intel-rapl:0:0", 99.0)  # core: part of package-0, not added
        two_socket.add("intel-rapl:2", 500.0)  # psys: overlaps the packages, not added
    m = w.measurement
    assert m.energy_j["cpu"] == pytest.approx(30.0)
    assert m.energy_j["cpu:package-0"] == pytest.approx(10.0)
    assert m.energy_j["cpu:package-1"] == pytest.approx(20.0)
    assert m.energy_j["dram"] == pytest.approx(7.0)
    assert m.energy_j["dram:package-1"] == pytest.approx(4.0)
    assert m.total_j == pytest.approx(37.0)  # breakdowns are not counted twice
    assert set(m.provenance.values()) == {"measured:rapl"}


def test_single_package_has_no_breakdown(powercap):
    powercap.zone("intel-rapl:0", "package-0")
    with EnergyMeter("rapl") as meter, meter.window("w") as w:
        powercap.add("intel-rapl:0", 2.5)
    assert w.measurement.energy_j == {"cpu": pytest.approx(2.5)}


def test_counter_wraparound(powercap):
    powercap.zone("intel-rapl:0", "package-0", MAX_UJ - 1_000_000)
    with EnergyMeter("rapl") as meter, meter.window("w") as w:
        powercap.set("intel-rapl:0", 2_000_000)  # wrapped: 1 J before the wrap, 2 J after
    assert w.measurement.energy_j["cpu"] == pytest.approx(3.0)


def test_repeated_wraps_are_caught_by_reads_between(powercap):
    small = 10_000_000  # a 10 J range, to wrap often
    powercap.zone("intel-rapl:0", "package-0", 0, max_uj=small)
    source = rapl_module.RaplSource(poll_s=3600)
    try:
        state = source.begin()
        for step in range(1, 8):  # 7 x 4 J = 28 J: the counter wraps twice
            powercap.set("intel-rapl:0", (step * 4_000_000) % small)
            source.read()  # what the background thread does every POLL_S seconds
        assert source.end(state)["cpu"] == pytest.approx(28.0)
    finally:
        source.close()


def test_amd_rapl_naming(powercap):
    powercap.zone("amd-rapl:0", "package-0")
    with EnergyMeter("rapl") as meter, meter.window("w") as w:
        powercap.add("amd-rapl:0", 1.0)
    assert w.measurement.energy_j["cpu"] == pytest.approx(1.0)


def test_nested_windows(powercap):
    powercap.zone("intel-rapl:0", "package-0")
    with EnergyMeter("rapl") as meter, meter.window("outer") as outer:
        powercap.add("intel-rapl:0", 1.0)
        with meter.window("inner") as inner:
            powercap.add("intel-rapl:0", 2.0)
        powercap.add("intel-rapl:0", 4.0)
    assert inner.measurement.total_j == pytest.approx(2.0)
    assert outer.measurement.total_j == pytest.approx(7.0)
    assert (outer.measurement.name, inner.measurement.name) == ("outer", "inner")


@pytest.fixture
def unreadable(two_socket, monkeypatch):
    """energy_uj files that raise PermissionError, as on Linux >= 5.10 for non-root users."""
    for path in two_socket.root.glob("*/energy_uj"):
        path.chmod(0)
    real = rapl_module._read_int

    def denied(path):
        if path.name == "energy_uj":  # root ignores chmod: refuse like the kernel would
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(rapl_module, "_read_int", denied)
    return two_socket


def test_unreadable_counters_name_the_fix(unreadable):
    with pytest.raises(GreenbenchError) as err:
        EnergyMeter("rapl")
    message = str(err.value)
    assert "root-only since Linux 5.10" in message
    assert "chmod a+r" in message and "energy_uj" in message
    assert "\n" not in message


def test_auto_falls_back_to_estimate_when_rapl_unreadable(unreadable):
    with EnergyMeter("auto") as meter:
        assert [s.name for s in meter.sources if s.name != "nvml"] == ["estimate"]
        assert {"cpu", "ram"} <= set(meter.provenance)


def test_missing_tree_names_the_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(tmp_path / "nothing"))
    with pytest.raises(GreenbenchError, match="GREENBENCH_POWERCAP_ROOT"):
        EnergyMeter("rapl")


def test_auto_uses_rapl_and_estimates_only_what_it_lacks(powercap):
    powercap.zone("intel-rapl:0", "package-0")
    with EnergyMeter("auto") as meter:
        estimate = [s for s in meter.sources if s.name == "estimate"]
        assert meter.provenance["cpu"] == "measured:rapl"
        assert [s.components for s in estimate] == [["ram"]]
    powercap.zone("intel-rapl:0:0", "dram")
    with EnergyMeter("auto") as meter:
        assert "estimate" not in [s.name for s in meter.sources]
        assert meter.provenance["dram"] == "measured:rapl"
