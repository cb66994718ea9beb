"""greenbench.safe_text: the one function every terminal print goes through, and the surrogate
replacement every export uses."""

from __future__ import annotations

import pytest

from greenbench.safe_text import for_terminal, replace_surrogates


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("a\x1b[2Jb", "ab"),  # CSI: clear screen
        ("a\x1b[38;2;255;0;0mred\x1b[0m", "ared"),  # CSI with parameters
        ("x\x1b]0;window title\x07y", "xy"),  # OSC terminated by BEL
        ("x\x1b]52;c;ZXZpbA==\x1b\\y", "xy"),  # OSC 52 (clipboard) terminated by ST
        ("x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "xlink"),  # OSC 8 hyperlink
        ("x\x1bP+q544e\x1b\\y", "xy"),  # DCS
        ("x\x1b_apc\x1b\\y", "xy"),  # APC
        ("a\x9b31mb", "ab"),  # 8-bit CSI
        ("a\x9d0;t\x9cb", "ab"),  # 8-bit OSC and ST
        ("ec\x1bc!", "ec!"),  # ESC c: full reset
        ("unterminated \x1b]0;title", "unterminated "),
        ("cr\roverwrite\x08\x00\x7f", "croverwrite"),
        ("keeps\ttabs\nand lines, ünïcödé ★", "keeps\ttabs\nand lines, ünïcödé ★"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ],
)
def test_for_terminal_removes_every_control_sequence(hostile, shown):
    assert for_terminal(hostile) == shown


def test_replace_surrogates_makes_text_encodable():
    text = "a\ud800b\udfffc"
    with pytest.raises(UnicodeEncodeError):
        text.encode("utf-8")
    assert replace_surrogates(text).encode("utf-8") == "a\ufffdb\ufffdc".encode()
    assert replace_surrogates("plain ✓") == "plain ✓"
