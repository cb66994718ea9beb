"""``@greenbench.measured``: a window per call into a store ``greenbench report`` reads, and
CodeCarbon's emissions.csv (header and units), also from ``greenbench measure``."""

from __future__ import annotations

import csv
import dataclasses
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "energy"))
from energy_fakes import FakePowercap

import greenbench
from greenbench.cli.main import main
from greenbench.errors import GreenbenchError
from greenbench.store import ResultsStore
from greenbench.tracking import codecarbon_csv

#: gCO2e/kWh of the tests' grid: 360 J is 0.1 Wh, so 0.01 g.
INTENSITY = 100.0


@pytest.fixture
def package(tmp_path, monkeypatch) -> FakePowercap:
    root = tmp_path / "powercap"
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(root))
    caps = FakePowercap(root)
    caps.zone("intel-rapl:0", "package-0", 1_000_000)
    return caps


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_each_call_is_a_window_in_the_store_and_the_codecarbon_csv(package, tmp_path):
    store, emissions_csv = tmp_path / "runs.db", tmp_path / "emissions.csv"

    @greenbench.measured(
        "train", out=store, csv=emissions_csv, meter="rapl", carbon_intensity=INTENSITY
    )
    def train(joules: float) -> str:
        package.add("intel-rapl:0", joules)
        return "done"

    assert train(360.0) == "done" and train(720.0) == "done"
    with ResultsStore(store) as opened:
        stored = opened.measurements()
    assert [m["measurement"]["name"] for m in stored] == ["train", "train"]
    assert stored[0]["measurement"]["function"] == f"{__name__}.{train.__qualname__}"
    assert [m["measurement"]["energy_j"]["total"] for m in stored] == pytest.approx([360, 720])
    assert stored[0]["measurement"]["provenance"] == {"cpu": "measured:rapl"}
    assert [m["emissions_g"] for m in stored] == pytest.approx([0.01, 0.02])
    assert stored[0]["measurement"]["duration_s"] > 0

    rows = _rows(emissions_csv)
    assert emissions_csv.read_text().splitlines()[0] == ",".join(codecarbon_csv.COLUMNS)
    assert len(rows) == 2
    first = rows[0]
    assert first["project_name"] == "train"
    assert float(first["energy_consumed"]) == pytest.approx(360 / 3.6e6)  # kWh
    assert float(first["cpu_energy"]) == pytest.approx(360 / 3.6e6)
    assert float(first["emissions"]) == pytest.approx(0.01 / 1000)  # kg
    duration = float(first["duration"])
    assert float(first["cpu_power"]) == pytest.approx(360 / duration)  # W
    assert float(first["emissions_rate"]) == pytest.approx(0.01 / 1000 / duration)  # kg/s
    assert first["gpu_energy"] == "" and first["water_consumed"] == ""  # unknown: empty, not 0
    assert first["tracking_mode"] == "machine"


def test_a_call_that_raises_is_recorded_and_the_exception_propagates(package, tmp_path):
    store = tmp_path / "runs.db"

    @greenbench.measured(out=store, meter="rapl", carbon_intensity=INTENSITY)
    def step():
        package.add("intel-rapl:0", 36.0)
        raise ValueError("diverged")

    with pytest.raises(ValueError, match="diverged"):
        step()
    with ResultsStore(store) as opened:
        (stored,) = opened.measurements()
    assert stored["measurement"]["name"] == "step"  # the function's name by default
    assert stored["measurement"]["error"] == "ValueError"
    assert stored["measurement"]["energy_j"]["total"] == pytest.approx(36.0)


def test_report_reads_the_decorators_store(package, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "runs.db"  # the default out=, in the working directory

    @greenbench.measured
    def infer():
        package.add("intel-rapl:0", 3.6)

    infer()
    assert main(["report", str(store)]) == 0
    table = capsys.readouterr().out
    assert "infer" in table and "3.60 J" in table and "estimated" in table  # meter auto
    out = tmp_path / "cc.csv"
    assert main(["report", str(store), "--format", "codecarbon-csv", "--out", str(out)]) == 0
    assert float(_rows(out)[0]["cpu_energy"]) == pytest.approx(1e-6)  # 3.6 J in kWh
    capsys.readouterr()
    assert main(["report", str(store), "--format", "csv", "--out", "-"]) == 0
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["name"] == "infer" and float(row["energy_j.cpu"]) == pytest.approx(3.6)
    assert row["function"].endswith("infer")


def test_the_header_is_codecarbons_own():
    emissions_data = pytest.importorskip("codecarbon.output_methods.emissions_data")
    fields = [f.name for f in dataclasses.fields(emissions_data.EmissionsData)]
    assert fields == codecarbon_csv.COLUMNS


def test_measure_appends_codecarbon_rows_under_one_header(package, tmp_path, capsys):
    path = tmp_path / "emissions.csv"
    argv = ["measure", "--meter", "rapl", "--carbon-intensity", "100", "--format"]
    for _ in range(2):
        assert main([*argv, "codecarbon-csv", "--csv", str(path), "--", "true"]) == 0
    rows = _rows(path)
    assert len(rows) == 2 and path.read_text().count("timestamp,") == 1
    assert rows[0]["project_name"] == "command"


def test_a_csv_of_another_layout_is_refused_before_anything_runs(package, tmp_path, capsys):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    marker = tmp_path / "ran"
    argv = ["measure", "--format", "codecarbon-csv", "--csv", str(path), "--", "touch", str(marker)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "another header than CodeCarbon's emissions.csv" in err and len(err.splitlines()) == 1
    assert not marker.exists()
    with pytest.raises(GreenbenchError, match="another header"):
        greenbench.measured(csv=path)
