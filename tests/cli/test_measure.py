"""``greenbench measure`` end to end: a real child command, measured by the estimate source."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import greenbench
from greenbench.cli import main as cli
from greenbench.store import ResultsStore

BUSY = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"


@pytest.fixture(autouse=True)
def _only_energy_commands(monkeypatch):
    """Parse with the energy subcommands only, so these tests need no other package."""
    monkeypatch.setattr(cli, "COMMANDS", ["measure", "meters"])
    for var in ("COUNTRY", "REGION", "CARBON_INTENSITY", "PUE"):
        monkeypatch.delenv(f"GREENBENCH_{var}", raising=False)


def _measure(*args: str) -> int:
    return cli.main(["measure", *args])


def test_json_output_and_exit_status(capfd):
    code = "import sys; print('child says hi'); sys.exit(3)"
    status = _measure("--json", "--country", "FRA", "--", sys.executable, "-c", code)
    out, err = capfd.readouterr()
    assert status == 3
    assert "child says hi" in err  # the child's stdout is moved off stdout in --json mode
    doc = json.loads(out)
    ranged = {"energy_range_j", "energy_range_basis"}
    estimated = any(p.startswith("estimated") for p in doc["provenance"].values())
    assert ranged <= set(doc) if estimated else not ranged & set(doc)
    assert set(doc) - ranged == {
        "duration_s",
        "energy_j",
        "provenance",
        "energy_basis",
        "emissions_g",
        "carbon_intensity_g_per_kwh",
        "pue",
        "carbon",
    }
    assert doc["energy_j"]["total"] == pytest.approx(
        sum(v for k, v in doc["energy_j"].items() if k != "total")
    )
    assert set(doc["provenance"]) == set(doc["energy_j"]) - {"total"}
    assert all(p.startswith(("measured:", "estimated:")) for p in doc["provenance"].values())
    assert doc["carbon"]["country"] == "FRA" and doc["pue"] == 1.0
    if estimated:  # the range brackets the estimate
        low, high = doc["energy_range_j"]["total"]
        assert low <= doc["energy_j"]["total"] <= high
    assert doc["emissions_g"] == pytest.approx(
        doc["energy_j"]["total"] / 3.6e6 * doc["carbon_intensity_g_per_kwh"]
    )


def test_busy_child_is_charged(capfd):
    assert _measure("--json", "--meter", "estimate", "--", sys.executable, "-c", BUSY) == 0
    doc = json.loads(capfd.readouterr().out)
    assert doc["energy_j"]["cpu"] > 0.25 * 1.0  # >= 0.3 s of CPU at >= ~1 W/thread
    assert doc["carbon"]["is_default"] is True


def test_idle_baseline_gives_net_energy(capfd):
    status = _measure("--json", "--idle-seconds", "0.2", "--", sys.executable, "-c", BUSY)
    doc = json.loads(capfd.readouterr().out)
    assert status == 0
    assert 0 < doc["net_energy_j"]["total"] <= doc["energy_j"]["total"]


def test_emissions_use_net_energy_when_an_idle_baseline_was_taken(capfd):
    args = ["--json", "--carbon-intensity", "360", "--idle-seconds", "0.2", "--"]
    assert _measure(*args, sys.executable, "-c", BUSY) == 0
    doc = json.loads(capfd.readouterr().out)
    net, gross = doc["net_energy_j"]["total"], doc["energy_j"]["total"]
    assert net < gross  # the resident memory's static power is idle
    assert doc["energy_basis"] == "net"  # the rule of a sweep's records
    assert doc["emissions_g"] == pytest.approx(net / 3.6e6 * 360 * doc["pue"])


def test_table_says_estimated_and_world_average(capfd):
    assert _measure("--", sys.executable, "-c", "pass") == 0
    out = capfd.readouterr().out
    assert "provenance" in out and "total" in out
    assert "ESTIMATED" in out
    assert "from estimated energy" in out  # the emissions line says what it rests on
    assert "range of the total from the estimate's constants" in out
    assert "world average (no location given)" in out
    assert "gCO2e" in out


def test_killed_child_exit_status(capfd):
    assert _measure("--", "sh", "-c", "kill -9 $$") == 128 + 9


def test_out_appends_runs(tmp_path, capfd):
    db = tmp_path / "runs.db"
    assert _measure("--out", str(db), "--country", "DEU", "--", "true") == 0
    assert _measure("--out", str(db), "--", "false") == 1
    with ResultsStore(db) as store:
        rows = store.measurements()
    assert [r["command"] for r in rows] == [["true"], ["false"]]
    assert [r["exit_status"] for r in rows] == [0, 1]
    assert rows[0]["carbon"]["country"] == "DEU"
    assert rows[0]["environment"]["cpu_model"]
    assert rows[0]["measurement"]["provenance"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--", "no-such-command-xyz"], "command not found: 'no-such-command-xyz'"),
        (["--", "./no/such/script.sh"], "command not found"),
        ([], "no command to measure"),
        (["--country", "ZZZ", "--", "true"], "unknown country 'ZZZ'"),
        (["--pue", "-1", "--", "true"], "--pue must be >= 1.0"),
        (["--carbon-intensity", "-3", "--", "true"], "--carbon-intensity must be >= 0"),
        (["--idle-seconds", "soon", "--", "true"], "--idle-seconds must be a number"),
        # Absurd numbers (issue 13): refused before anything runs.
        (["--idle-seconds", "1e308", "--", "true"], "--idle-seconds must be between 0 and 3600"),
        (["--idle-seconds", "inf", "--", "true"], "--idle-seconds must be between 0 and 3600"),
        (["--idle-seconds", "nan", "--", "true"], "--idle-seconds must be between 0 and 3600"),
        (["--idle-seconds", "-1", "--", "true"], "--idle-seconds must be between 0 and 3600"),
        (["--pue", "1e308", "--", "true"], "--pue must be <= 10"),
        (["--pue", "inf", "--", "true"], "--pue must be a finite number"),
        (["--pue", "nan", "--", "true"], "--pue must be a finite number"),
        (["--carbon-intensity", "inf", "--", "true"], "--carbon-intensity must be a finite"),
        (["--carbon-intensity", "1e9", "--", "true"], "--carbon-intensity must be <= 2000"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capfd, args, message):
    db = tmp_path / "runs.db"
    marker = tmp_path / "ran"
    if args and args[-1] == "true":
        args = [*args[:-1], "touch", str(marker)]
    assert _measure("--out", str(db), *args) == 2
    err = capfd.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not db.exists() and not marker.exists()  # validated before running anything


def test_unreadable_rapl_exits_2_before_running(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(tmp_path / "missing"))
    marker = tmp_path / "ran"
    assert _measure("--meter", "rapl", "--", "touch", str(marker)) == 2
    assert "RAPL" in capfd.readouterr().err
    assert not marker.exists()


def test_existing_non_store_out_file_is_refused(tmp_path, capfd):
    junk = tmp_path / "notes.db"
    junk.write_text("not sqlite " * 200)
    assert _measure("--out", str(junk), "--", "true") == 2
    assert "not a greenbench results store" in capfd.readouterr().err


def test_sigterm_is_passed_to_the_command(tmp_path):
    """Terminating greenbench terminates CMD too (no orphan) and reports 128 + SIGTERM."""
    started = tmp_path / "started"
    script = (
        "import sys, greenbench.cli.main as m\n"
        "m.COMMANDS = ['measure']\n"
        "sys.exit(m.main(sys.argv[1:]))\n"
    )
    child = f"open({str(started)!r}, 'w').close(); import time; time.sleep(60)"
    env = dict(os.environ, PYTHONPATH=str(Path(greenbench.__file__).parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "measure", "--", sys.executable, "-c", child],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
