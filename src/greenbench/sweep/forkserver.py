"""A warm process that forks job workers: heavy imports paid once per sweep, not once per job.

Every job runs in its own process (a crash is contained, and its energy is that process tree's).
Started fresh, each such process spends ~2 s of a 2-core machine importing torch, transformers
and the backend before its job begins — on the quickstart's 13 jobs, a sixth of the sweep. The
fork server imports those modules once, then forks one child per job: the child starts with
them already imported and runs the same worker code (:func:`greenbench.sweep.worker.main`) as
a process started with ``python -m greenbench.sweep.worker``.

Why not :mod:`multiprocessing`'s ``forkserver``: it is one server per Python process, whose
preloaded modules are fixed when it first starts and which cannot be stopped; a sweep needs
its own server, preloaded for its own backends, closed when the sweep ends.

Protocol, over a ``SOCK_SEQPACKET`` socket pair (one JSON message per packet):

- server → driver, once: ``{"ready": true, "missing": [modules that failed to import]}``;
- driver → server: ``{"argv": [worker arguments]}`` with two file descriptors attached (the job's
  stderr log, the write end of its progress pipe);
- server → driver: ``{"pid": N}`` once forked, then ``{"pid": N, "returncode": R}`` when the child
  has exited (``R`` < 0: killed by signal ``-R``, as :class:`subprocess.Popen` reports it).

Each child leads its own session (so a timeout kills its whole process group) and is killed
by Linux when the server dies; the server dies with the driver. Jobs are served one at a time.
Fork is safe here because the server runs no work of its own: it imports, then waits; torch
re-creates its thread pools in a forked child.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterable, Sequence
from typing import Any

#: Largest message either side sends, bytes (argv of a job: a few paths).
_MAX_MESSAGE = 1 << 16

#: Modules every job worker imports, whatever its backend.
BASE_MODULES = ("greenbench.sweep.job",)


class ForkServerError(RuntimeError):
    """The fork server could not start or stopped answering."""


class ForkedWorker:
    """A job worker forked by a :class:`ForkServer`: the part of :class:`subprocess.Popen`'s
    interface the driver uses (``pid``, ``wait``)."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """The worker's exit status once it has exited (negative: killed by that signal).

        Raises :class:`subprocess.TimeoutExpired` after ``timeout`` seconds, like ``Popen.wait``.
        """
        if self.returncode is None:
            message = self.server.receive(timeout, what=f"worker {self.pid}")
            if message.get("pid") != self.pid or "returncode" not in message:
                raise ForkServerError(f"fork server answered out of turn: {message}")
            self.returncode = int(message["returncode"])
        return self.returncode


class ForkServer:
    """Driver side: start the server (importing ``modules``), fork workers, close.

    Args:
        modules: modules the server imports before forking (``module:Class`` for a backend:
            also its :meth:`~greenbench.models.Backend.import_engine`); one that fails to import
            is listed in :attr:`missing` (the job that needs it fails with the usual message).
        env: the server's (hence every worker's) environment; default: ours, with this
            greenbench importable (:func:`greenbench.sweep.worker.worker_env`).
        stderr: where the server's own output goes (file descriptor; default discarded).
    """

    def __init__(
        self,
        modules: Iterable[str],
        *,
        env: dict[str, str] | None = None,
        stderr: int | None = None,
        start_timeout_s: float = 300.0,
    ) -> None:
        from greenbench.sweep.worker import worker_env

        self.modules = list(dict.fromkeys([*BASE_MODULES, *modules]))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        cmd = [sys.executable, "-m", "greenbench.sweep.forkserver", "--parent", str(os.getpid())]
        cmd += [str(theirs.fileno()), *self.modules]
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr if stderr is not None else subprocess.DEVNULL,
                env=worker_env(env),
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._start_timeout_s = start_timeout_s
        self._missing: list[str] | None = None

    def wait_ready(self) -> list[str]:
        """Wait until the server has imported its modules (it starts importing at once, so the
        caller can do other work meanwhile); return :attr:`missing`."""
        if self._missing is None:
            ready = self.receive(self._start_timeout_s, what="fork server start")
            self._missing = list(ready.get("missing", []))
        return self._missing

    @property
    def missing(self) -> list[str]:
        """Modules that failed to import in the server (waits until it is ready)."""
        return self.wait_ready()

    @property
    def alive(self) -> bool:
        """Whether the server still runs (a worker can be forked)."""
        return self._proc.poll() is None

    def fork(self, argv: Sequence[str], *, stderr_fd: int, progress_fd: int) -> ForkedWorker:
        """Fork a worker running ``python -m greenbench.sweep.worker ARGV`` (without the
        ``--parent`` and ``--progress-fd`` options, which the server adds), its stderr going to
        ``stderr_fd`` and its progress steps to ``progress_fd`` (both duplicated into it)."""
        self.wait_ready()
        payload = json.dumps({"argv": list(argv)}).encode()
        try:
            socket.send_fds(self._sock, [payload], [stderr_fd, progress_fd])
        except OSError as exc:
            raise ForkServerError(f"fork server unreachable: {exc}") from exc
        message = self.receive(60.0, what="fork")
        return ForkedWorker(self, int(message["pid"]))

    def receive(self, timeout: float | None, *, what: str) -> dict[str, Any]:
        """The next message from the server; ``subprocess.TimeoutExpired`` after ``timeout``."""
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            raise subprocess.TimeoutExpired(what, timeout or 0.0)
        data = self._sock.recv(_MAX_MESSAGE)
        if not data:
            raise ForkServerError(f"fork server exited during {what}")
        return json.loads(data)

    def close(self) -> None:
        """Stop the server (it exits when its socket closes) and reap it."""
        self._sock.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def backend_modules(kinds: Iterable[str]) -> list[str]:
    """``module:Class`` of these backend kinds (see ``greenbench.models.backends``): the server
    imports the module and the class's :meth:`~greenbench.models.Backend.import_engine`;
    unknown kinds skipped (the job itself reports them)."""
    from greenbench.models.backends import BACKENDS

    return [BACKENDS[kind] for kind in kinds if kind in BACKENDS]


# -- server side ---------------------------------------------------------------------------------


def serve(sock: socket.socket, modules: Sequence[str]) -> None:
    """Import ``modules``, say ready, then fork one worker per request until the driver closes
    the socket."""
    missing = []
    for name in modules:
        module, _, cls = name.partition(":")
        try:
            imported = importlib.import_module(module)
            if cls:  # a backend: also what it imports lazily while loading a model
                getattr(imported, cls).import_engine()
        except Exception:  # an optional extra not installed: the job reports it when it runs
            missing.append(name)
    sock.send(json.dumps({"ready": True, "missing": missing}).encode())
    while True:
        data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 2)
        if not data:
            return
        argv = json.loads(data)["argv"]
        pid = os.fork()
        if pid == 0:
            sock.close()
            _run_child(argv, stderr_fd=fds[0], progress_fd=fds[1])
        for fd in fds:
            os.close(fd)
        try:
            sock.send(json.dumps({"pid": pid}).encode())
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            sock.send(json.dumps({"pid": pid, "returncode": code}).encode())
        except OSError:  # the driver is gone: nothing left to serve
            return


def _run_child(argv: list[str], *, stderr_fd: int, progress_fd: int) -> None:
    """In the forked child: become a session leader with the job's stderr, run the worker's
    ``main`` and exit with its status (never returns)."""
    code = 1
    try:
        os.setsid()
        os.dup2(stderr_fd, 2)
        os.close(stderr_fd)
        with open(os.devnull, "rb") as null_in, open(os.devnull, "wb") as null_out:
            os.dup2(null_in.fileno(), 0)
            os.dup2(null_out.fileno(), 1)
        from greenbench.sweep import worker

        parent = ["--parent", str(os.getppid()), "--progress-fd", str(progress_fd)]
        code = worker.main([*argv, *parent])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Server entry point: ``python -m greenbench.sweep.forkserver --parent PID FD MODULE…``."""
    import argparse

    from greenbench.sweep.worker import die_with_parent

    parser = argparse.ArgumentParser(prog="python -m greenbench.sweep.forkserver")
    parser.add_argument("fd", type=int, help="this end of the driver's socket pair")
    parser.add_argument("--parent", type=int, required=True, help="pid of the driver")
    parser.add_argument("modules", nargs="*", help="modules to import before forking")
    args = parser.parse_args(argv)
    die_with_parent(args.parent)
    with socket.socket(fileno=args.fd) as sock:
        serve(sock, args.modules)
    return 0


if __name__ == "__main__":
    # os._exit, not sys.exit: the server holds nothing to flush or close (it imported modules
    # and forked), and an interpreter shutdown with torch, transformers and llama.cpp loaded
    # takes ~1.5 s that the driver would wait for at the end of every sweep.
    os._exit(main())
