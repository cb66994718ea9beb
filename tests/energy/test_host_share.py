"""Co-located jobs share host-wide counters by CPU time (issue 12, item 1)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from greenbench.energy import EnergyMeter
from greenbench.energy.host_ledger import HostLedger
from greenbench.errors import GreenbenchError

HERE = Path(__file__).parent


def _wait(path: Path, proc: subprocess.Popen, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def _job(ledger: Path, sync: Path, name: str, burn_s: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, str(HERE / "shared_job.py"), str(ledger), str(sync), name, str(burn_s)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_overlapping_jobs_share_the_counter_delta(powercap, tmp_path):
    powercap.zone("intel-rapl:0", "package-0", 1_000_000)
    powercap.zone("intel-rapl:0:0", "dram", 1_000_000)
    ledger, sync = tmp_path / "ledger", tmp_path / "sync"
    sync.mkdir()
    jobs = {"a": _job(ledger, sync, "a", 0.6), "b": _job(ledger, sync, "b", 0.2)}
    for name, proc in jobs.items():
        _wait(sync / f"{name}.open", proc)
    powercap.add("intel-rapl:0", 1000.0)  # both windows are open: one delta for both jobs
    powercap.add("intel-rapl:0:0", 100.0)
    (sync / "go").touch()
    for name, proc in jobs.items():
        _wait(sync / f"{name}.burnt", proc)
    (sync / "close").touch()
    out = {}
    for name, proc in jobs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        out[name] = json.loads(stdout)

    a, b = out["a"], out["b"]
    # Today each job got the whole delta (2000 J of CPU for 1000 J counted); now they split it.
    assert a["energy_j"]["cpu"] + b["energy_j"]["cpu"] == pytest.approx(1000.0, rel=0.03)
    assert a["energy_j"]["dram"] + b["energy_j"]["dram"] == pytest.approx(100.0, rel=0.03)
    assert a["energy_j"]["cpu"] > b["energy_j"]["cpu"] > 0  # a burnt 3x the CPU time of b
    assert a["cpu_share"] + b["cpu_share"] == pytest.approx(1.0, rel=0.03)
    for m in (a, b):
        assert set(m["provenance"].values()) == {"measured:rapl×cpu-share"}


def test_a_lone_job_keeps_the_whole_counter(powercap, tmp_path):
    powercap.zone("intel-rapl:0", "package-0")
    host = HostLedger(directory=tmp_path / "ledger")
    with EnergyMeter("rapl", host=host) as meter, meter.window("w") as w:
        powercap.add("intel-rapl:0", 10.0)
    assert w.measurement.energy_j["cpu"] == pytest.approx(10.0)
    assert w.measurement.provenance == {"cpu": "measured:rapl"}
    assert w.measurement.cpu_share is None


def test_exclusive_host_holds_the_host_until_the_meter_closes(powercap, tmp_path):
    powercap.zone("intel-rapl:0", "package-0")
    host = HostLedger(directory=tmp_path / "ledger", exclusive=True)
    meter = EnergyMeter("rapl", host=host)

    def try_lock() -> bool:
        with open(host._exclusive_path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(fh, fcntl.LOCK_UN)
            return True

    assert not try_lock()  # another exclusive meter on this host would wait here
    meter.close()
    assert try_lock()


def test_a_job_that_joins_and_leaves_during_a_window_counts_over_the_overlap(tmp_path):
    ledger = tmp_path / "ledger"
    own = HostLedger(directory=ledger)
    own.register()
    start = own.open_window()
    burn = (
        "import sys, time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", burn + "sys.stdin.read()"], stdin=subprocess.PIPE, text=True
    )
    other = HostLedger(pid=child.pid, directory=ledger)  # registers after our window opened
    other.register()
    deadline = time.monotonic() + 120
    while other.tree.cpu_seconds() < 0.35:  # (clock-tick granularity)
        assert time.monotonic() < deadline
        time.sleep(0.02)
    other.leave()  # left before our window closes: its CPU time up to here counts
    child.communicate("")
    share = own.close_window(start)
    assert share.shared and share.others_cpu_s >= 0.2  # most of the 0.4 s burnt after it joined
    assert share.fraction == pytest.approx(share.own_cpu_s / (share.own_cpu_s + share.others_cpu_s))
    later = own.open_window()  # the other job is gone: a new window is ours alone
    assert own.close_window(later).fraction == 1.0
    own.leave()


def test_an_unwritable_ledger_is_one_line_naming_the_fix(powercap, tmp_path):
    powercap.zone("intel-rapl:0", "package-0")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(GreenbenchError, match=r"host ledger .*file.*GREENBENCH_LEDGER_DIR"):
        EnergyMeter("rapl", host=HostLedger(directory=blocker))
