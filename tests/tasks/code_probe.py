"""A one-function problem for sandbox tests: ``probe()`` runs the given body and its test
asserts that it returns ``expected`` (so the harness, not the probe, decides)."""

from __future__ import annotations

import textwrap

from greenbench.tasks.code_check import CodeVerdict, check_candidate


def problem(test: str = "") -> dict[str, str]:
    """A HumanEval-format problem for ``probe()``; ``test`` defaults to one call, no assert."""
    return {
        "prompt": 'def probe():\n    """A sandbox probe."""\n',
        "test": test or "def check(candidate):\n    candidate()\n",
        "entry_point": "probe",
    }


def run_probe(body: str, expected: str = "None", **kwargs: object) -> CodeVerdict:
    """Check ``probe()`` with ``body`` (unindented source) against ``probe() == expected``
    (``expected`` is source, evaluated in the harness)."""
    test = f"def check(candidate):\n    assert candidate() == {expected}\n"
    return check_candidate(problem(test), textwrap.indent(body, "    "), **kwargs)
