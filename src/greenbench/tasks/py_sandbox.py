"""Starting untrusted Python (generated code) in a sandbox made of what Linux provides.

With bubblewrap (``bwrap``, Debian package ``bubblewrap``) each process gets:

- its own network namespace (loopback only: nothing outside, not even the host's 127.0.0.1),
  PID namespace (it sees only itself; the scorer's ``/proc/<pid>`` does not exist there), IPC
  and UTS namespaces, a new session (no terminal), and it dies with its launcher
  (``--die-with-parent``): killing the scorer, or the scorer killing it, ends the whole tree;
- a read-only view of only ``/usr`` and the Python installation, an empty ``/dev`` and
  ``/proc`` of its own, and a writable ``/tmp`` (its working directory) that is a tmpfs of
  ``Limits.tmp_mb``;
- an empty environment (PATH, HOME, TMPDIR, LANG only) and no file descriptors but 0-2 and
  the ones the caller passes;
- as root: uid/gid 65534 (``nobody``) with no capabilities; otherwise the caller's own uid in
  a user namespace; ``no_new_privs`` either way (set-uid programs gain nothing);
- rlimits: CPU seconds, address space, file size, no core dumps, and (as ``nobody``) a
  process count.

Without bwrap (or where it cannot start, e.g. user namespaces disabled) the process still gets
the rlimits, the clean environment and fds, a new session killed as a group, and uid 65534 when
the scorer is root; but the network, the filesystem and the process tree are not isolated.
``isolation().note`` says which, and the job record carries it (``code_sandbox``).
What is and is not contained: ``docs/sandbox.md``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from greenbench.tasks.runners import source

#: The unprivileged uid/gid the code runs as when the scorer is root (``nobody``).
NOBODY = 65534
_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
#: The sandboxed program's working directory, in its private ``/tmp`` (a tmpfs).
WORKDIR = "/tmp/work"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process."""

    cpu_s: int = 6
    """CPU time, s (RLIMIT_CPU)."""
    memory_mb: int = 512
    """Address space, MiB (RLIMIT_AS)."""
    file_mb: int = 4
    """Largest file it may write, MiB (RLIMIT_FSIZE)."""
    tmp_mb: int = 16
    """Size of its writable ``/tmp``, MiB (bwrap only)."""
    processes: int = 512
    """Processes of uid ``nobody`` (RLIMIT_NPROC; only when dropping to it)."""


@dataclass(frozen=True)
class Isolation:
    """How sandboxed processes are isolated on this machine (what ``docs/sandbox.md`` lists)."""

    bwrap: str | None
    """Path of the bwrap executable in use, or None for the fallback."""
    uid: int
    """The uid the code switches to (``NOBODY`` when the scorer is root), or -1: the caller's."""
    reason: str = ""
    """Why the fallback is in use (or why it keeps root), empty with bwrap."""

    @property
    def unprivileged(self) -> bool:
        """Whether the code runs without root."""
        return self.uid == NOBODY or os.getuid() != 0

    @property
    def note(self) -> str:
        """One line for the record: what is contained and what is not."""
        who = f"uid {NOBODY}" if self.uid == NOBODY else f"uid {os.getuid()}"
        if self.bwrap:
            return (
                "bubblewrap sandbox: no network, read-only filesystem but its /tmp, own PID "
                f"namespace (tree killed at the end), {who}, rlimits"
            )
        return (
            f"no sandbox ({self.reason}): network not isolated, filesystem not isolated (only "
            f"file permissions of {who}), process tree contained only by its session; rlimits"
        )


def _bwrap_args(bwrap: str, limits: Limits) -> list[str]:
    """bwrap's command line up to the program: namespaces, the read-only view, ``/tmp``."""
    args = [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--new-session", "--die-with-parent", "--clearenv"]
    if os.getuid() != 0:
        args.append("--unshare-user")  # an unprivileged bwrap needs a user namespace
    else:  # keep only what the prelude needs to become nobody; that drops these too
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for name, value in _ENV.items():
        args += ["--setenv", name, value]
    for top in ("/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    # the private /tmp first: a Python installation under /tmp (a venv in a fresh clone there)
    # is then bound on top of it, not hidden by it
    args += ["--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    roots = {"/usr", sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parents[1])}
    kept = sorted(r for r in roots if not any(r != o and r.startswith(o + "/") for o in roots))
    for root in kept:  # parents made traversable (bwrap would create them 0700); /tmp stays 1777
        for parent in reversed(Path(root).parents[:-1]):
            if str(parent) != "/tmp":
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", root, root]
    # the working directory: an empty directory of that tmpfs (``/tmp`` itself may hold the
    # mount points of a Python installation under /tmp)
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--dir", WORKDIR]
    return [*args, "--chdir", WORKDIR]


def _command(box: Isolation, role: str, args: list[str], limits: Limits) -> list[str]:
    """The command line running ``runners.source(role)`` with ``args`` under ``box``."""
    prelude = [limits.cpu_s, limits.memory_mb << 20, limits.file_mb << 20]
    prelude += [limits.processes if box.uid == NOBODY else 0, box.uid]
    python = [sys.executable, "-I", "-c", source(role), *map(str, prelude), *args]
    return [*_bwrap_args(box.bwrap, limits), *python] if box.bwrap else python


def _works(box: Isolation) -> str:
    """Empty when ``box`` runs the probe program here, else the last line it printed."""
    with tempfile.TemporaryDirectory(prefix="greenbench-probe-") as cwd:
        if box.uid == NOBODY and not box.bwrap:
            os.chown(cwd, NOBODY, NOBODY)
        probe = subprocess.run(
            _command(box, "probe", [], Limits()),
            capture_output=True,
            cwd=cwd,
            env=_ENV,
            timeout=60,
            check=False,
        )
    if probe.returncode == 0:
        return ""
    lines = probe.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {probe.returncode}"


@cache
def isolation() -> Isolation:
    """The strongest isolation that works here, probed once per process: bwrap, else the
    fallback as ``nobody`` (when root), else the fallback as the caller."""
    uid = NOBODY if os.getuid() == 0 else -1
    bwrap = shutil.which("bwrap")
    reason = "bwrap not found: install bubblewrap"
    if bwrap:
        failure = _works(Isolation(bwrap, uid))
        if not failure:
            return Isolation(bwrap, uid)
        reason = f"bwrap cannot start here: {failure}"
    if uid == NOBODY:
        failure = _works(Isolation(None, uid, reason))
        if not failure:
            return Isolation(None, uid, reason)
        reason += f"; uid {NOBODY} cannot run this Python ({failure}), so it runs as root"
    return Isolation(None, -1, reason)


class Sandboxed:
    """One sandboxed Python process running ``runners.source(role)``; a context manager that
    kills its whole process tree and removes its files on exit."""

    def __init__(
        self, role: str, args: list[str], limits: Limits, pass_fds: tuple[int, ...], **io: Any
    ) -> None:
        box = isolation()
        self._workdir: str | None = None
        cwd, env = "/", {}
        if not box.bwrap:
            self._workdir = cwd = tempfile.mkdtemp(prefix="greenbench-py-")
            if box.uid == NOBODY:
                os.chown(cwd, NOBODY, NOBODY)
            env = {**_ENV, "HOME": cwd, "TMPDIR": cwd}
        self.process = subprocess.Popen(
            _command(box, role, args, limits),
            cwd=cwd,
            env=env,
            pass_fds=pass_fds,
            start_new_session=True,
            **io,
        )

    def __enter__(self) -> Sandboxed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def kill(self) -> None:
        """SIGKILL the process group (bwrap's namespace takes every descendant with it)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
