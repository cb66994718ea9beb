"""The harness's side (its own sandbox, after ``prelude`` and ``codec``): run the task's test,
trusted code, with ``candidate`` a proxy that calls the real candidate in the other sandbox and
gets back plain data. The verdict goes to the scorer on this process's stdout with the run's
nonce; the candidate has no way into this process (separate sandbox, and non-dumpable, so
not traceable nor its ``/proc/<pid>/fd`` openable even where both share a uid).
``sys.argv[1:3]``: request fd, reply fd; stdin: JSON ``{prompt, test, entry_point,
nonce}``.
"""

import ctypes
import json
import os
import sys

from codec import decode, dumps, read_frame, write_frame


class CandidateError(Exception):
    """The candidate raised, could not load, or sent something that is not a value."""


def _nondumpable():
    pr_set_dumpable = 4
    ctypes.CDLL(None).prctl(pr_set_dumpable, 0, 0, 0, 0)


def _definitions(prompt, test):
    """Compiled prompt + test: the prompt's helpers (HumanEval tests call some) and ``check``;
    the prompt's own entry-point stub gets a ``pass`` body when it has none."""
    for head in (prompt + "\n    pass\n", prompt, ""):
        try:
            return compile(f"{head}\n\n{test}\n", "<test>", "exec")
        except SyntaxError:
            continue
    return compile(test, "<test>", "exec")


def _judge():
    _nondumpable()
    requests, replies = int(sys.argv[1]), int(sys.argv[2])
    problem = json.loads(sys.stdin.read())
    verdict_fd = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # the test's prints must not reach the verdict channel
    calls = 0

    def candidate(*args, **kwargs):
        nonlocal calls
        calls += 1
        write_frame(requests, dumps([list(args), kwargs]))
        try:
            kind, value = decode(read_frame(replies))
        except EOFError:
            raise CandidateError("the candidate process ended") from None
        except Exception as exc:
            raise CandidateError(f"unreadable reply: {type(exc).__name__}: {exc}") from None
        if kind == "ok":
            return value
        raise CandidateError(str(value))

    try:
        namespace = {"__name__": "__test__"}
        exec(_definitions(problem["prompt"], problem["test"]), namespace)
        namespace[problem["entry_point"]] = candidate  # tests may name it (HumanEval/33 does)
        namespace["check"](candidate)
        passed, detail = calls > 0, "" if calls else "the test never called the candidate"
    except BaseException as exc:  # a failed assert, a candidate error, a broken test
        passed, detail = False, f"{type(exc).__name__}: {exc}"[:2000]
    verdict = {"nonce": problem["nonce"], "passed": passed, "detail": detail, "calls": calls}
    os.write(verdict_fd, json.dumps(verdict).encode())
    os._exit(0)


_judge()
