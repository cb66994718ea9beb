"""The sandbox for generated code contains each leak route of issue 13: writes outside its
directory, spawned shells, sockets, surviving children, the scorer's environment and fds,
signals to the scorer, root, and children outliving a killed ``greenbench score``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from code_probe import run_probe

from greenbench.tasks.py_sandbox import NOBODY, isolation

BOX = isolation()
needs_bwrap = pytest.mark.skipif(BOX.bwrap is None, reason=BOX.note)
#: Without bwrap, files are protected only by running as nobody (a root scorer's fallback).
#: Without bwrap, files and other processes are protected only by running as nobody (which
#: a root scorer's fallback does).
contained = pytest.mark.skipif(not (BOX.bwrap or BOX.uid == NOBODY), reason=BOX.note)

OUTSIDE_WRITES = {
    "_io.FileIO": "import _io\n_io.FileIO(D + '/victim.txt', 'w').write(b'x')",
    "posix.open O_TRUNC": "import posix\nposix.open(D + '/victim.txt', posix.O_WRONLY | 512)",
    "dir_fd": (
        "import posix\nd = posix.open(D, posix.O_RDONLY)\n"
        "posix.open('new.txt', posix.O_WRONLY | posix.O_CREAT, dir_fd=d)"
    ),
    "sqlite3.connect": "import sqlite3 as s\ns.connect(D + '/new.db').execute('create table t(a)')",
    "os.mkdir": "import posix\nposix.mkdir(D + '/newdir')",
    "os.symlink": "import posix\nposix.symlink('/etc/passwd', D + '/link')",
    "posix_spawn of a shell": (
        "import posix\npid = posix.posix_spawn('/bin/sh', ['sh', '-c', "
        "'echo x > ' + D + '/victim.txt; echo x > ' + D + '/new.txt'], {})\n"
        "posix.waitpid(pid, 0)"
    ),
}


@pytest.fixture(params=["private", "visible"])
def victim_dir(request, tmp_path):
    """A directory holding ``victim.txt``: the test's own (private to root, and not mounted
    in the sandbox), or one inside the Python installation (visible there, read-only)."""
    if request.param == "private":
        folder = tmp_path / "victim"
    else:
        folder = Path(sys.prefix) / f"greenbench-sandbox-test-{uuid.uuid4().hex}"
    folder.mkdir()
    (folder / "victim.txt").write_text("precious")
    yield folder
    for child in folder.iterdir():
        child.rmdir() if child.is_dir() and not child.is_symlink() else child.unlink()
    folder.rmdir()


@contained
@pytest.mark.parametrize("route", OUTSIDE_WRITES.values(), ids=OUTSIDE_WRITES.keys())
def test_writing_outside_the_sandbox_is_contained(route, victim_dir):
    run_probe(f"D = {str(victim_dir)!r}\n{route}\nreturn 'wrote'", "'wrote'")
    assert sorted(p.name for p in victim_dir.iterdir()) == ["victim.txt"]
    assert (victim_dir / "victim.txt").read_text() == "precious"


def test_the_working_directory_is_writable_by_the_same_routes():
    body = (
        "import _io, posix, sqlite3\n_io.FileIO('a.txt', 'w').write(b'x')\n"
        "sqlite3.connect('b.db').execute('create table t(x)')\nposix.mkdir('c')\n"
        "posix.symlink('a.txt', 'd')\nreturn sorted(posix.listdir('.'))"
    )
    verdict = run_probe(body, "['a.txt', 'b.db', 'c', 'd']")
    assert verdict.passed, verdict.detail


@needs_bwrap
def test_no_network_not_even_the_hosts_loopback():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        body = (
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "except OSError:\n    return 'refused'\nreturn 'connected'"
        )
        verdict = run_probe(body, "'refused'")
        server.setblocking(False)
        with pytest.raises(BlockingIOError):  # nothing ever reached the listener
            server.accept()
    assert verdict.passed, verdict.detail


def _pids_with(marker: str) -> list[int]:
    """Host processes whose command line holds ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _gone(marker: str, within_s: float = 10.0) -> bool:
    """Whether every process holding ``marker`` is gone (the kernel reaps a PID namespace
    asynchronously, so allow it a moment)."""
    deadline = time.monotonic() + within_s
    while _pids_with(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _daemon_body(marker: str, then: str) -> str:
    """Source that starts a setsid grandchild sleeping 120 s with ``marker`` in its argv."""
    return (
        "import posix, sys\n"
        "child = posix.posix_spawn(sys.executable, [sys.executable, '-c', "
        f"'import time; time.sleep(120)', {marker!r}], {{}}, setsid=True)\n{then}"
    )


@needs_bwrap
def test_a_setsid_child_does_not_outlive_the_check():
    marker = f"greenbench-daemon-{uuid.uuid4().hex}"
    body = _daemon_body(marker, "import time\ntime.sleep(0.5)\nreturn posix.waitpid(child, 1)[0]")
    verdict = run_probe(body, "0")  # 0: the child was still running when probe returned
    assert verdict.passed, verdict.detail
    assert _gone(marker)


@needs_bwrap
def test_killing_greenbench_score_ends_the_sandboxed_tree(tmp_path):
    marker = f"greenbench-orphan-{uuid.uuid4().hex}"
    completion = "\n".join(
        "    " + line for line in _daemon_body(marker, "while True:\n    pass").splitlines()
    )
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(json.dumps({"id": "code-001", "prediction": completion}) + "\n")
    arguments = ["--limit", "1", "--predictions", str(predictions)]
    score = subprocess.Popen(
        [sys.executable, "-m", "greenbench", "score", "code-generation", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not _pids_with(marker) and score.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pids_with(marker), "the candidate never started its child"
    finally:
        score.send_signal(signal.SIGKILL)
        score.wait()
    assert _gone(marker)


@contained
def test_the_scorer_cannot_be_killed_from_inside():
    verdict = run_probe("import posix\nposix.kill(posix.getppid(), 9)\nreturn 'sent'", "'sent'")
    # Reaching this line is the test: before, the signal killed the scorer (here, pytest).
    assert not verdict.passed, "the signal reached its target"


@contained
def test_the_scorers_environment_is_out_of_reach(monkeypatch):
    secret = f"hunter2-{uuid.uuid4().hex}"
    monkeypatch.setenv("GREENBENCH_TEST_SECRET", secret)
    body = (
        "import posix\nfound = [k for k in posix.environ if b'SECRET' in k]\n"
        "for pid in [posix.getppid()] + [p for p in posix.listdir('/proc') if p.isdigit()]:\n"
        "    try:\n"
        f"        if {secret!r}.encode() in open(f'/proc/{{pid}}/environ', 'rb').read():\n"
        "            found.append(pid)\n"
        "    except OSError:\n        pass\nreturn found"
    )
    verdict = run_probe(body, "[]")
    assert verdict.passed, verdict.detail


def test_no_file_descriptor_of_the_scorer_is_inherited(tmp_path):
    held = tmp_path / f"held-{uuid.uuid4().hex}.txt"
    with held.open("w") as fh:
        os.set_inheritable(fh.fileno(), True)
        body = (
            "import posix\nlinks = []\nfor fd in posix.listdir('/proc/self/fd'):\n"
            "    try:\n        links.append(posix.readlink(f'/proc/self/fd/{fd}'))\n"
            "    except OSError:\n        pass\n"
            f"return [link for link in links if {held.name!r} in link]"
        )
        verdict = run_probe(body, "[]")
    assert verdict.passed, verdict.detail


@pytest.mark.skipif(not BOX.unprivileged, reason=BOX.note)
def test_the_code_does_not_run_as_root_nor_with_capabilities():
    body = (
        "import posix\nstatus = open('/proc/self/status').read().splitlines()\n"
        "caps = [line.split()[1] for line in status if line.startswith('CapEff')]\n"
        "return (posix.getuid() == 0 or posix.geteuid() == 0, caps)"
    )
    verdict = run_probe(body, "(False, ['0000000000000000'])")
    assert verdict.passed, verdict.detail


def test_rlimits_are_in_force():
    body = (
        "limits = open('/proc/self/limits').read().splitlines()\n"
        "row = lambda name: next(line for line in limits if line.startswith(name)).split()\n"
        "return (row('Max address space')[3], row('Max cpu time')[3],\n"
        "        row('Max file size')[3], row('Max core file size')[4])"
    )
    verdict = run_probe(
        body, "(str(256 * 2 ** 20), '3', str(4 * 2 ** 20), '0')", timeout_s=2, memory_mb=256
    )
    assert verdict.passed, verdict.detail
