"""Deciding whether a generated program passes its tests, where the program cannot reach.

Two sandboxed processes (:mod:`greenbench.tasks.py_sandbox`) per program:

- the **candidate** runs ``prompt + completion`` and then only answers calls of the entry
  point, sending each result back as plain data (:mod:`greenbench.tasks.runners.codec`);
- the **harness** runs the task's ``check(candidate)`` test with ``candidate`` a proxy for
  those calls, so every ``assert`` compares builtin values built by trusted code, as EvalPlus
  compares outputs outside the program; it sends the verdict with this run's nonce.

The pass is the harness's verdict, read by the scorer from the harness's own stdout pipe; the
candidate's exit status, output, prints and patches of its own interpreter decide nothing.
Threat model and limits: ``docs/sandbox.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from greenbench.tasks.parsing import candidate_program
from greenbench.tasks.py_sandbox import Limits, Sandboxed


@dataclass
class CodeVerdict:
    """How one generated program fared against its task's test."""

    passed: bool
    """True when the test ran to its end with every assert holding."""
    status: str
    """passed | failed (assert, candidate error, or no proper verdict) | timeout."""
    seconds: float
    """Wall time of the check, s (both processes started and finished)."""
    detail: str = ""
    """Why it failed: the harness's one-line reason, or the timeout."""


def check_candidate(
    problem: Mapping[str, Any],
    completion: str,
    *,
    timeout_s: float = 5.0,
    memory_mb: int = 512,
) -> CodeVerdict:
    """Run ``completion`` against ``problem`` (HumanEval fields ``prompt``, ``test``,
    ``entry_point``) contained; never raises for what the completion does.

    ``timeout_s``: wall-clock seconds for the whole check (each process also gets that many CPU
    seconds, rounded up, plus 1); ``memory_mb``: address-space limit of each process, MiB."""
    limits = Limits(cpu_s=int(timeout_s) + 1, memory_mb=memory_mb)
    nonce = secrets.token_hex(16)
    request_r, request_w = os.pipe()
    reply_r, reply_w = os.pipe()
    ours = [request_r, request_w, reply_r, reply_w]  # closed once each: fd numbers get reused
    start = time.perf_counter()
    pipe = subprocess.PIPE
    try:
        candidate = Sandboxed(
            "candidate",
            [str(request_r), str(reply_w), str(problem["entry_point"])],
            limits,
            (request_r, reply_w),
            stdin=pipe,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with candidate:
            harness = Sandboxed(
                "harness",
                [str(request_w), str(reply_r)],
                limits,
                (request_w, reply_r),
                stdin=pipe,
                stdout=pipe,
                stderr=subprocess.DEVNULL,
            )
            with harness:
                while ours:  # the children hold them now; EOF must reach each side
                    os.close(ours.pop())
                with contextlib.suppress(BrokenPipeError):  # it died already: no verdict
                    candidate.process.stdin.write(candidate_program(problem, completion).encode())
                    candidate.process.stdin.close()
                task = {k: problem[k] for k in ("prompt", "test", "entry_point")}
                task["nonce"] = nonce
                try:
                    out, _ = harness.process.communicate(json.dumps(task).encode(), timeout_s)
                except subprocess.TimeoutExpired:
                    seconds = time.perf_counter() - start
                    return CodeVerdict(False, "timeout", seconds, "wall-clock timeout")
                status = harness.process.returncode
    finally:
        for fd in ours:
            os.close(fd)
    return _verdict(out, status, nonce, time.perf_counter() - start)


def _verdict(out: bytes, status: int, nonce: str, seconds: float) -> CodeVerdict:
    """The harness's verdict, accepted only with exit status 0 and this run's nonce."""
    try:
        verdict = json.loads(out)
        genuine = status == 0 and verdict["nonce"] == nonce
    except (ValueError, TypeError, KeyError):
        genuine = False
    if not genuine:
        return CodeVerdict(False, "failed", seconds, f"no verdict from the harness (exit {status})")
    if verdict["passed"] is True:
        return CodeVerdict(True, "passed", seconds)
    return CodeVerdict(False, "failed", seconds, str(verdict.get("detail", "")))
