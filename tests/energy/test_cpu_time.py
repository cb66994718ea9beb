"""The CPU-time source (meter `estimate`) on real busy loops: robust on a loaded machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest
from energy_fakes import BURN, burn_command

from greenbench.energy import EnergyMeter
from greenbench.energy.cpu_time import RAM_W_PER_GIB


def _burn_here(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@pytest.fixture
def meter():
    with EnergyMeter("estimate") as m:
        yield m


def _cpu_j(meter: EnergyMeter, fn) -> float:
    with meter.window("w") as w:
        fn()
    return w.measurement.energy_j["cpu"]


def test_energy_grows_with_cpu_time(meter):
    w_per_thread = meter.sources[0].cpu.w_per_thread
    short = _cpu_j(meter, lambda: _burn_here(0.2))
    long = _cpu_j(meter, lambda: _burn_here(0.6))
    assert short == pytest.approx(0.2 * w_per_thread, rel=0.35)
    assert long == pytest.approx(0.6 * w_per_thread, rel=0.2)
    assert 2.0 < long / short < 4.5


def test_two_busy_children_cost_twice_one(meter):
    one = _cpu_j(meter, lambda: subprocess.run(burn_command(0.5), check=True))

    def two() -> None:
        procs = [subprocess.Popen(burn_command(0.5)) for _ in range(2)]
        for p in procs:
            assert p.wait() == 0

    both = _cpu_j(meter, two)
    # Each child also pays its interpreter start-up (~0.03-0.1 s of CPU) in both cases.
    assert 1.6 < both / one < 2.4


def test_live_grandchildren_are_counted(meter, tmp_path):
    """A window closing while descendants still run counts the CPU time they used so far."""
    flag = tmp_path / "burnt"
    script = BURN + f"open({str(flag)!r}, 'w').close()\nimport time\ntime.sleep(30)\n"
    w_per_thread = meter.sources[0].cpu.w_per_thread
    with meter.window("w") as w:
        # sh -> python: the burning process is a grandchild of this one.
        proc = subprocess.Popen(["sh", "-c", f'"{sys.executable}" -c "$0" 0.4; :', script])
        deadline = time.monotonic() + 60
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    try:
        assert flag.exists()
        assert w.measurement.energy_j["cpu"] >= 0.35 * w_per_thread
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()


def test_pid_restricts_attribution_to_that_tree(tmp_path):
    """With pid=CHILD, this process's own busy loop is not charged."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with EnergyMeter("estimate", pid=child.pid) as meter:
            with meter.window("w") as w:
                _burn_here(0.3)
            assert w.measurement.energy_j["cpu"] < 0.1 * meter.sources[0].cpu.w_per_thread
    finally:
        child.kill()
        child.wait()


def test_ram_energy_is_rss_times_constant(meter):
    rss_gib = psutil.Process(os.getpid()).memory_info().rss / (1 << 30)
    with meter.window("w") as w:
        time.sleep(0.6)
    m = w.measurement
    expected = rss_gib * RAM_W_PER_GIB * m.duration_s
    assert m.energy_j["ram"] == pytest.approx(expected, rel=0.3)


def test_provenance_states_method_and_constants(meter):
    prov = meter.provenance
    assert prov["cpu"].startswith("estimated:cpu-time x ")
    assert "W/thread" in prov["cpu"]
    assert prov["ram"].startswith("estimated:rss x 0.375 W/GiB")
    with meter.window("w") as w:
        pass
    assert w.measurement.estimated


def test_window_overhead_is_small_in_cpu_time(meter):
    """Opening and closing a window charges (almost) no CPU time to the window itself."""
    with meter.window("w") as w:
        pass
    assert w.measurement.energy_j["cpu"] <= 0.02 * meter.sources[0].cpu.w_per_thread


def test_root_pid_exiting_mid_window_is_not_an_error():
    child = subprocess.Popen(burn_command(0.2))
    with EnergyMeter("estimate", pid=child.pid) as meter:
        with meter.window("w") as w:
            child.wait()
        assert w.measurement.energy_j["cpu"] >= 0.0
