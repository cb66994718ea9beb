"""Run one job in its own process: ``python -m greenbench.sweep.worker JOB.json RESULT.json``.

``JOB.json`` is a serialized :class:`~greenbench.sweep.plan.Job` (its ``idle`` field carries the
idle baseline); the worker writes ``{"record": …, "samples": […]}`` to ``RESULT.json`` (via a
temporary file and ``os.replace``, so a half-written result is never read) and exits 0. A job
that fails inside the runner is still written, with ``status: failed``. A crash, an OOM kill
or an uncaught exception leaves no result: :func:`run_in_subprocess` then builds the failed
record in the parent from the last line the worker printed to stderr.

``--runner module:function`` swaps the job function (default :data:`DEFAULT_RUNNER`); the
function takes a ``Job`` and an ``on_step`` callback and returns ``(record, samples)``. Tests use
it to run fast fake jobs through the real process boundary.

``--progress-fd N``: the worker writes one JSON line per :class:`~greenbench.models.base.Step`
(``{"phase", "done", "total"}``) to that inherited pipe; :func:`run_in_subprocess` reads them on
a thread and hands each to its ``on_step``, so the driver's progress bar moves per batch.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from greenbench.models.base import Step
from greenbench.sweep.plan import Job
from greenbench.sweep.record import failed_record

if TYPE_CHECKING:
    from greenbench.sweep.forkserver import ForkedWorker, ForkServer

#: The function that runs a job: ``greenbench.sweep.job.run_job``.
DEFAULT_RUNNER = "greenbench.sweep.job:run_job"

JobResult = tuple[dict[str, Any], list[dict[str, Any]]]
#: Receives a job's progress steps.
OnStep = Callable[[Step], None]


def resolve_runner(path: str) -> Callable[[Job, OnStep | None], JobResult]:
    """Import ``module:function``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_in_subprocess(
    job: Job,
    *,
    timeout_s: float | None = None,
    runner: str = DEFAULT_RUNNER,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
    on_step: OnStep | None = None,
    server: ForkServer | None = None,
) -> JobResult:
    """Run ``job`` in a fresh Python process; never raises for a failure of the job itself.

    Returns ``(record, samples)``: the worker's result, or a failed record naming the exit
    status, the signal, the timeout or the worker's last stderr line. The worker's stderr goes
    to ``log_path`` when given (kept for reading), else to a temporary file. ``on_step`` is
    called (on a reader thread) with each progress step the worker reports. With a running
    ``server`` (and no ``env`` of its own) the process is forked from it, its imports done.
    """
    with tempfile.TemporaryDirectory(prefix="greenbench-job-") as tmp:
        job_file = Path(tmp) / "job.json"
        result_file = Path(tmp) / "result.json"
        job_file.write_text(job.model_dump_json(), encoding="utf-8")
        log = Path(log_path) if log_path else Path(tmp) / "stderr.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        args = [str(job_file), str(result_file), "--runner", runner]
        with open(log, "wb") as err, os.fdopen(read_fd, encoding="utf-8") as steps:
            try:
                if server is not None and env is None and server.alive:
                    proc = server.fork(args, stderr_fd=err.fileno(), progress_fd=write_fd)
                else:
                    cmd = [sys.executable, "-m", "greenbench.sweep.worker", *args]
                    cmd += ["--parent", str(os.getpid()), "--progress-fd", str(write_fd)]
                    proc = subprocess.Popen(
                        cmd,
                        stdout=subprocess.DEVNULL,
                        stderr=err,
                        env=worker_env(env),
                        start_new_session=True,
                        pass_fds=(write_fd,),
                    )
            finally:
                os.close(write_fd)  # the worker holds the only write end: EOF when it exits
            reader = threading.Thread(target=_read_steps, args=(steps, on_step), daemon=True)
            reader.start()
            try:
                code = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return failed_record(job, f"timed out after {timeout_s:g} s"), []
            except BaseException:
                _kill_group(proc)
                raise
            finally:
                reader.join(timeout=5)
        if code == 0 and result_file.is_file():
            result = json.loads(result_file.read_text(encoding="utf-8"))
            return result["record"], result.get("samples", [])
        return failed_record(job, _exit_reason(code, log)), []


def _read_steps(lines: IO[str], on_step: OnStep | None) -> None:
    """Hand each JSON step line of the worker's progress pipe to ``on_step`` until EOF."""
    for line in lines:
        if on_step is None:
            continue
        try:
            data = json.loads(line)
            step = Step(str(data["phase"]), int(data["done"]), data.get("total"))
        except (ValueError, KeyError, TypeError):
            continue  # a torn line from a killed worker: progress only, nothing lost
        on_step(step)


def worker_env(env: dict[str, str] | None) -> dict[str, str]:
    """``env`` (default: ours) with this greenbench importable, installed or not."""
    env = dict(os.environ if env is None else env)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _kill_group(proc: subprocess.Popen | ForkedWorker) -> None:
    """Kill the worker and anything it started (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _exit_reason(code: int, log: Path) -> str:
    if code < 0:
        name = signal.Signals(-code).name
        why = " (out of memory?)" if name == "SIGKILL" else ""
        reason = f"worker killed by {name}{why}"
    else:
        reason = f"worker exited with status {code}"
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return f"{reason}: {lines[-1].strip()}" if lines else reason


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this worker when the driver dies (no orphan keeps measuring).

    A driver killed with SIGKILL cannot stop its worker; an orphan would keep running while the
    resumed sweep starts the same job again, and the two would share the measured machine.
    Elsewhere than Linux this is a no-op.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the driver died before prctl took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    """Worker entry point; exit 0 when a result (ok or failed) was written."""
    parser = argparse.ArgumentParser(prog="python -m greenbench.sweep.worker")
    parser.add_argument("job", type=Path, help="job JSON written by the driver")
    parser.add_argument("result", type=Path, help="where to write {record, samples}")
    parser.add_argument("--runner", default=DEFAULT_RUNNER, help="module:function running a job")
    parser.add_argument("--parent", type=int, default=None, help="pid of the driver")
    parser.add_argument("--progress-fd", type=int, default=None, help="pipe for progress steps")
    args = parser.parse_args(argv)
    if args.parent is not None:
        die_with_parent(args.parent)
    job = Job.model_validate_json(args.job.read_text(encoding="utf-8"))
    with _step_writer(args.progress_fd) as on_step:
        record, samples = resolve_runner(args.runner)(job, on_step)
    write_json_atomic(args.result, {"record": record, "samples": samples})
    return 0


@contextlib.contextmanager
def _step_writer(fd: int | None):
    """``on_step`` writing each step as a JSON line to ``fd`` (None: no progress wanted)."""
    if fd is None:
        yield None
        return
    with os.fdopen(fd, "w", encoding="utf-8", buffering=1) as pipe:

        def on_step(step: Step) -> None:
            with contextlib.suppress(BrokenPipeError):
                pipe.write(
                    json.dumps({"phase": step.phase, "done": step.done, "total": step.total}) + "\n"
                )

        yield on_step


if __name__ == "__main__":
    sys.exit(main())
