"""The source tree stays navigable: no module over 400 lines (a module holds one thing)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "greenbench"
#: Longest module, in lines.
MAX_LINES = 400


def test_no_module_exceeds_the_limit():
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"
