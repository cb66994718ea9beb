"""``greenbench meters``: every source listed, with a reason for the unavailable ones."""

from __future__ import annotations

import json

import pytest

from greenbench.cli import main as cli


@pytest.fixture(autouse=True)
def _only_energy_commands(monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "COMMANDS", ["measure", "meters"])
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(tmp_path / "no-powercap"))


def test_json_lists_every_source(capfd):
    assert cli.main(["meters", "--json"]) == 0
    rows = json.loads(capfd.readouterr().out)
    by_name = {r["name"]: r for r in rows}
    assert list(by_name) == ["rapl", "nvml", "estimate", "codecarbon"]
    assert by_name["estimate"]["available"] is True
    assert "W/thread" in by_name["estimate"]["reason"]
    assert by_name["rapl"]["available"] is False
    assert "GREENBENCH_POWERCAP_ROOT" in by_name["rapl"]["reason"]
    assert all(r["reason"] for r in rows)


def test_rapl_found_in_a_fake_tree(capfd, tmp_path, monkeypatch):
    zone = tmp_path / "powercap" / "intel-rapl:0"
    zone.mkdir(parents=True)
    (zone / "name").write_text("package-0\n")
    (zone / "energy_uj").write_text("5\n")
    (zone / "max_energy_range_uj").write_text("1000\n")
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(tmp_path / "powercap"))
    assert cli.main(["meters", "--json"]) == 0
    rapl = json.loads(capfd.readouterr().out)[0]
    assert rapl == {"name": "rapl", "available": True, "reason": "measures cpu"}


def test_table(capfd):
    assert cli.main(["meters"]) == 0
    out = capfd.readouterr().out
    for name in ("rapl", "nvml", "estimate", "codecarbon"):
        assert name in out
