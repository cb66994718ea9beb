"""CPU time and resident memory of a process tree (a root process and all its descendants).

CPU time counts live descendants *and* descendants that already exited: the kernel adds a reaped
child's user+system time to its parent's ``cutime``/``cstime`` (``os.times()`` children fields for
this process), so a tree's total is, over its live members, user + system + reaped-children time.
"""

from __future__ import annotations

import contextlib
import os

import psutil

from greenbench.errors import GreenbenchError

_GiB = float(1 << 30)


def _proc_children_supported() -> bool:
    """True when the kernel lists ``/proc/PID/task/TID/children`` (CONFIG_PROC_CHILDREN)."""
    return os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


class ProcessTree:
    """The process ``pid`` (default: this process) and its descendants.

    Finding descendants reads ``/proc/PID/task/*/children`` where the kernel provides it: psutil's
    ``children(recursive=True)`` scans every process on the machine (about 0.5 ms with 80
    processes), which would exceed the meter's sub-millisecond budget per window.
    """

    def __init__(self, pid: int | None = None) -> None:
        self.pid = os.getpid() if pid is None else int(pid)
        self.is_self = self.pid == os.getpid()
        if not psutil.pid_exists(self.pid):
            raise GreenbenchError(f"pid {self.pid}: no such process to measure")
        self._root = psutil.Process(self.pid)
        self._fast = _proc_children_supported()
        self._procs: dict[int, psutil.Process] = {}
        self._root_s = 0.0  # last CPU seconds read from a root that is not this process

    def descendants(self) -> list[int]:
        """Pids of the live descendants of the root (children, grandchildren, ...)."""
        if not self._fast:
            try:
                return [p.pid for p in self._root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return []
        found: list[int] = []
        stack = [self.pid]
        while stack:
            parent = stack.pop()
            try:
                tids = os.listdir(f"/proc/{parent}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{parent}/task/{tid}/children", encoding="ascii") as fh:
                        kids = [int(k) for k in fh.read().split()]
                except OSError:
                    continue
                found.extend(kids)
                stack.extend(kids)
        return found

    def _proc(self, pid: int) -> psutil.Process:
        proc = self._procs.get(pid)
        if proc is None:
            if len(self._procs) > 4096:
                self._procs.clear()
            proc = self._procs[pid] = psutil.Process(pid)
        return proc

    def cpu_seconds(self) -> float:
        """User + system CPU time of the tree so far, reaped descendants included, in seconds."""
        if self.is_self:
            t = os.times()
            total = t.user + t.system + t.children_user + t.children_system
        else:
            with contextlib.suppress(psutil.Error):  # the root exited: keep its last reading
                self._root_s = self._times(self._root)
            total = self._root_s
        for pid in self.descendants():
            try:
                total += self._times(self._proc(pid))
            except psutil.Error:
                continue  # exited between listing and reading: its parent's cutime gets it
        return total

    @staticmethod
    def _times(proc: psutil.Process) -> float:
        t = proc.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    def rss_gib(self) -> float:
        """Resident memory of the tree's live processes, in GiB (shared pages counted in each)."""
        total = 0
        for pid in [self.pid, *self.descendants()]:
            try:
                total += (self._root if pid == self.pid else self._proc(pid)).memory_info().rss
            except psutil.Error:
                continue
        return total / _GiB
