"""Zeus-style windows: ``meter.begin_window(name)`` / ``meter.end_window(name)``, nested and
overlapping, on a fake RAPL counter advanced by known joules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "energy"))
from energy_fakes import FakePowercap

from greenbench import EnergyMeter
from greenbench.errors import GreenbenchError


@pytest.fixture
def package(tmp_path, monkeypatch) -> FakePowercap:
    root = tmp_path / "powercap"
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(root))
    caps = FakePowercap(root)
    caps.zone("intel-rapl:0", "package-0", 1_000_000)
    return caps


def test_windows_nest_and_overlap_by_name(package):
    meter = EnergyMeter("rapl")
    meter.begin_window("train")
    package.add("intel-rapl:0", 10.0)
    meter.begin_window("epoch")
    package.add("intel-rapl:0", 5.0)
    meter.begin_window("eval")  # overlaps "epoch": ends after it
    package.add("intel-rapl:0", 2.0)
    assert meter.open_windows == ["train", "epoch", "eval"]
    epoch = meter.end_window("epoch")
    package.add("intel-rapl:0", 1.0)
    evaluation = meter.end_window("eval")
    train = meter.end_window("train")
    assert (epoch.name, epoch.total_j) == ("epoch", pytest.approx(7.0))
    assert evaluation.total_j == pytest.approx(3.0)
    assert train.total_j == pytest.approx(18.0)
    assert set(train.provenance.values()) == {"measured:rapl"}
    assert meter.open_windows == []
    meter.close()


def test_a_window_measures_as_the_context_manager_does(package):
    meter = EnergyMeter("rapl")
    meter.begin_window("a")
    with meter.window("b") as b:
        package.add("intel-rapl:0", 4.0)
    assert meter.end_window("a").energy_j == b.measurement.energy_j


def test_ending_a_window_never_begun_names_it_and_the_open_ones(package):
    meter = EnergyMeter("rapl")
    meter.begin_window("train")
    never = r"window 'trian' was never begun; open windows: 'train'"
    with pytest.raises(GreenbenchError, match=never):
        meter.end_window("trian")
    meter.end_window("train")
    with pytest.raises(GreenbenchError, match=r"'train' was never begun; open windows: none"):
        meter.end_window("train")  # ended already


def test_beginning_an_open_window_again_is_an_error(package):
    meter = EnergyMeter("rapl")
    meter.begin_window("train")
    with pytest.raises(GreenbenchError, match=r"window 'train' is already open"):
        meter.begin_window("train")
    assert meter.open_windows == ["train"]
