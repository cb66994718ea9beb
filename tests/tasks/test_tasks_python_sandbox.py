"""The Python sandbox: timeouts, crashes, memory bombs, writes outside its directory, a
stripped environment, and early exits are all contained and score 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenbench.tasks import load_task
from greenbench.tasks.py_sandbox import run_python


def test_passing_and_failing_programs():
    assert run_python("assert sum([1, 2]) == 3").passed
    failed = run_python("assert 1 == 2, 'nope'")
    assert not failed.passed and failed.status == "failed" and "AssertionError" in failed.detail


def test_endless_loop_is_killed_at_the_timeout():
    outcome = run_python("while True:\n    pass", timeout_s=1)
    assert outcome.status == "timeout" and not outcome.passed


def test_sleeping_child_processes_are_killed_too():
    outcome = run_python("import time\ntime.sleep(60)", timeout_s=1)
    assert outcome.status == "timeout"


def test_crash_scores_zero():
    outcome = run_python("import ctypes\nctypes.string_at(0)")
    assert outcome.status == "killed" and not outcome.passed


def test_memory_bomb_is_stopped():
    outcome = run_python("x = bytearray(8 * 1024 ** 3)", memory_mb=256)
    assert not outcome.passed and "MemoryError" in outcome.detail


def test_growing_memory_is_stopped():
    outcome = run_python("x = []\nwhile True:\n    x.append(' ' * 10 ** 6)", memory_mb=256)
    assert not outcome.passed


def test_writing_outside_the_temp_dir_is_refused(tmp_path):
    target = tmp_path / "outside.txt"
    for program in (
        f"open({str(target)!r}, 'w').write('x')",
        f"import pathlib\npathlib.Path({str(target)!r}).write_text('x')",
        "open('../escape.txt', 'w').write('x')",
        f"import os\nos.open({str(target)!r}, os.O_CREAT | os.O_WRONLY)",
    ):
        outcome = run_python(program)
        assert not outcome.passed and "PermissionError" in outcome.detail
    assert not target.exists()


def test_the_working_directory_is_empty_and_writable():
    program = (
        "import os\n"
        "assert os.listdir('.') == []\n"
        "open('scratch.txt', 'w').write('ok')\n"
        "assert open('scratch.txt').read() == 'ok'\n"
    )
    assert run_python(program).passed


def test_environment_is_stripped(monkeypatch):
    monkeypatch.setenv("GREENBENCH_TEST_SECRET", "hunter2")
    program = (
        "import os\nassert 'GREENBENCH_TEST_SECRET' not in os.environ\nassert len(os.environ) <= 6"
    )
    assert run_python(program).passed


@pytest.mark.parametrize("program", ["raise SystemExit(0)", "import os\nos._exit(0)"])
def test_an_early_exit_does_not_count_as_a_pass(program):
    assert not run_python(program + "\nassert False").passed


def test_destructive_calls_are_disabled():
    outcome = run_python("import os\nos.system('echo hi')")
    assert not outcome.passed


def test_code_generation_scoring_survives_hangs_and_crashes():
    task = load_task("code-generation")
    samples = task.samples(limit=4)
    preds = {s.id: s.reference for s in samples}
    preds[samples[0].id] = "    while True:\n        pass\n"
    preds[samples[1].id] = "    import ctypes\n    ctypes.string_at(0)\n"
    # An instruct-style answer that repeats the signature inside a code fence still counts.
    preds[samples[2].id] = (
        "```python\ndef is_palindrome(text):\n"
        "    s = [c.lower() for c in text if c.isalpha()]\n    return s == s[::-1]\n```"
    )
    task.spec.timeout_s = 1.0
    result = task.score(samples, preds)
    assert [r["scores"]["pass_at_1"] for r in result.per_sample] == [0.0, 0.0, 1.0, 1.0]


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="needs Linux /proc")
def test_rlimits_are_in_force_in_the_child():
    program = (
        "limits = open('/proc/self/limits').read().splitlines()\n"
        "row = lambda name: next(line for line in limits if line.startswith(name)).split()\n"
        "assert row('Max address space')[3] == str(256 * 2 ** 20), row('Max address space')\n"
        "assert row('Max cpu time')[3] == '3'\n"
        "assert row('Max file size')[3] == str(4 * 2 ** 20)\n"
        "assert row('Max core file size')[4] == '0'\n"
    )
    outcome = run_python(program, timeout_s=2, memory_mb=256)
    assert outcome.passed, outcome.detail
