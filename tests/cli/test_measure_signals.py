"""``greenbench measure`` and signals (issue 13): a signal sent to greenbench alone reaches the
command's whole process group, grandchildren included, and greenbench exits as the command did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import greenbench

DRIVER = (
    "import sys, greenbench.cli.main as m\n"
    "m.COMMANDS = ['measure']\n"
    "sys.exit(m.main(sys.argv[1:]))\n"
)


def _gone(pid: int) -> bool:
    """True when ``pid`` has exited (a zombie waiting for a reaper counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait_for(path: Path, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_greenbench_ends_the_whole_command_tree(tmp_path, sig):
    pidfile = tmp_path / "grandchild.pid"
    # The command starts a grandchild, records its pid and waits for it.
    child = (
        "import subprocess\n"
        "p = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "p.wait()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(greenbench.__file__).parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "measure", "--", sys.executable, "-c", child],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so only greenbench itself is signalled, never its group
    )
    grandchild = int(_wait_for(pidfile))
    try:
        proc.send_signal(sig)
        status = proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while not _gone(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(grandchild), "the grandchild outlived the signal"
        assert status == 128 + sig  # the command died of the signal, as a shell reports it
    finally:
        proc.kill()
        if not _gone(grandchild):
            os.kill(grandchild, signal.SIGKILL)
