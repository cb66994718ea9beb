"""Sharing host-wide counters between co-located jobs: a per-host ledger of metered processes.

RAPL package/DRAM counters (and CodeCarbon's machine-mode CPU and RAM figures) read the whole
host. When several metered jobs run on one host at once (the Ray executor places several per
node; two sweeps may share a machine), each would otherwise be charged the whole counter. Every
meter that has such *host-wide* components registers its process tree in a ledger file per host
while it lives; a window then charges its job ``share`` of the host-wide energy:

    share = own CPU time over the window
            / (own CPU time + CPU time of every other registered tree over the overlap)

Other trees' CPU time is read exactly, not interpolated: each ledger entry keeps the tree's CPU
seconds when it registered and (once gone) when it left, and a window reads the live trees
(same host, so their pids are readable) when it opens and closes. When every co-located job is
a greenbench meter and the windows coincide, the shares sum to 1, so the attributed energies sum
to the counter's delta instead of N times it. With no other job in the ledger the share is 1 and
nothing changes. The ledger is a JSON file guarded by ``fcntl.flock`` (works across processes and
Ray workers on one host); stdlib only, as no library offers a cross-process host ledger.

``exclusive_host`` is the alternative for studies that want clean counters: a meter holds an
exclusive lock on the host for its whole life, so metered jobs on one host run one at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

from greenbench.energy.process_tree import ProcessTree
from greenbench.errors import GreenbenchError

#: Suffix added to the provenance of a host-wide component whose energy was shared.
SHARE_SUFFIX = "×cpu-share"


def ledger_dir() -> Path:
    """``$GREENBENCH_LEDGER_DIR``, or ``<tempdir>/greenbench-host-ledger-<uid>``: local to the
    host and private to the user (jobs of other users on the host are not seen)."""
    env = os.environ.get("GREENBENCH_LEDGER_DIR")
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / f"greenbench-host-ledger-{os.getuid()}"


@contextlib.contextmanager
def _locked(path: Path, mode: int = fcntl.LOCK_EX) -> Iterator[IO[str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, mode)
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass(frozen=True)
class WindowStart:
    """What a window remembers from its opening: when, and every live tree's CPU seconds."""

    t: float
    """Wall-clock time (``time.time()``), s."""
    own_cpu_s: float
    """CPU seconds of the meter's own tree."""
    others_cpu_s: dict[str, float]
    """Ledger entry key -> CPU seconds of that live tree at the opening."""


@dataclass(frozen=True)
class Share:
    """The measuring job's share of the host-wide energy of one window."""

    fraction: float
    """0..1; 1 when no other metered job overlapped the window."""
    own_cpu_s: float
    """CPU seconds of the job's tree over the window."""
    others_cpu_s: float
    """CPU seconds of the other registered trees over their overlap with the window."""

    @property
    def shared(self) -> bool:
        """True when another metered job overlapped the window."""
        return self.fraction < 1.0


class HostLedger:
    """This host's ledger of metered process trees (one file per host name).

    Args:
        pid: root of the tree this meter measures (default: this process).
        directory: where the ledger lives (default :func:`ledger_dir`).
        exclusive: hold the host's exclusive lock from :meth:`register` to :meth:`leave`,
            waiting for any other exclusive meter on the host to finish first.
    """

    def __init__(
        self, pid: int | None = None, directory: Path | None = None, *, exclusive: bool = False
    ) -> None:
        self.tree = ProcessTree(pid)
        host = socket.gethostname() or "localhost"
        base = directory or ledger_dir()
        self.path = base / f"{host}.json"
        self._lock_path = base / f"{host}.lock"
        self._exclusive_path = base / f"{host}.exclusive"
        self.exclusive = exclusive
        self.key = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._exclusive_fh: IO[str] | None = None

    def register(self) -> None:
        """Enter the ledger (after taking the exclusive lock when asked: this may wait).

        Raises:
            GreenbenchError: the ledger directory cannot be written (naming it and the fix).
        """
        try:
            self._register()
        except OSError as exc:
            raise GreenbenchError(
                f"host ledger {self.path.parent}: {exc.strerror or exc}; set "
                "GREENBENCH_LEDGER_DIR to a writable directory local to this host"
            ) from exc

    def _register(self) -> None:
        if self.exclusive:
            self._exclusive_path.parent.mkdir(parents=True, exist_ok=True)
            self._exclusive_fh = open(self._exclusive_path, "a+", encoding="utf-8")  # noqa: SIM115
            fcntl.flock(self._exclusive_fh, fcntl.LOCK_EX)
        entry = {"pid": self.tree.pid, "begin": time.time(), "cpu_begin": self.tree.cpu_seconds()}
        self._update(lambda entries: entries.__setitem__(self.key, entry))

    def leave(self) -> None:
        """Mark this meter's entry ended (others still need its CPU time) and free the host."""
        now, cpu = time.time(), self.tree.cpu_seconds()

        def end(entries: dict[str, Any]) -> None:
            if self.key in entries:
                entries[self.key].update(end=now, cpu_end=cpu)

        self._update(end)
        if self._exclusive_fh is not None:
            fcntl.flock(self._exclusive_fh, fcntl.LOCK_UN)
            self._exclusive_fh.close()
            self._exclusive_fh = None

    def open_window(self) -> WindowStart:
        """Note the time and the CPU seconds of this tree and of every other live one."""
        entries = self._read()
        others = {k: _cpu(e["pid"]) for k, e in entries.items() if self._other(e, None)}
        return WindowStart(
            time.time(),
            self.tree.cpu_seconds(),
            {k: v for k, v in others.items() if v is not None},
        )

    def close_window(self, start: WindowStart) -> Share:
        """This tree's share of the host-wide energy since ``start``."""
        own = self.tree.cpu_seconds() - start.own_cpu_s
        others = 0.0
        overlapping = 0
        for key, entry in self._read().items():
            if not self._other(entry, start.t):
                continue
            begin = start.others_cpu_s.get(key) if entry["begin"] <= start.t else None
            if begin is None:
                begin = entry["cpu_begin"]
            end = entry.get("cpu_end") if entry.get("end") is not None else _cpu(entry["pid"])
            if end is None:
                continue
            overlapping += 1
            others += max(0.0, end - begin)
        own = max(0.0, own)
        if overlapping == 0:
            return Share(1.0, own, 0.0)
        if own + others > 0:
            return Share(own / (own + others), own, others)
        return Share(1.0 / (overlapping + 1), own, others)  # nobody used the CPU: split evenly

    def _other(self, entry: dict[str, Any], since: float | None) -> bool:
        """Whether ``entry`` is another process's, live, or ended after ``since``."""
        if entry.get("pid") == self.tree.pid or entry.get("pid") == os.getpid():
            return False
        end = entry.get("end")
        return end is None if since is None else end is None or end > since

    def _read(self) -> dict[str, Any]:
        with _locked(self._lock_path, fcntl.LOCK_SH):
            return _load(self.path)

    def _update(self, change: Any) -> None:
        with _locked(self._lock_path):
            entries = _load(self.path)
            change(entries)
            live = [e["begin"] for e in entries.values() if e.get("end") is None]
            oldest = min(live, default=None)
            kept = {
                k: e
                for k, e in entries.items()
                if (e.get("end") is None and psutil.pid_exists(e["pid"]))
                or (e.get("end") is not None and oldest is not None and e["end"] >= oldest)
            }
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(kept), encoding="utf-8")
            tmp.replace(self.path)


def _load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _cpu(pid: int) -> float | None:
    """CPU seconds of the live tree rooted at ``pid``; None when it is gone."""
    try:
        return ProcessTree(pid).cpu_seconds()
    except (GreenbenchError, psutil.Error):  # gone between listing and reading, or not ours
        return None
