"""Text made safe for every output (issue 13): one place for both rules.

* :func:`replace_surrogates`: a lone UTF-16 surrogate (``"\\ud800"``, which JSON's ``\\uXXXX``
  escapes can carry into a record) cannot be encoded as UTF-8, so every export (JSON, CSV,
  Parquet, Markdown, HTML) replaces it with U+FFFD instead of crashing.
* :func:`for_terminal`: model names, errors and outputs are untrusted; printed raw, an escape
  sequence could set the window title, clear the screen, write the clipboard (OSC 52) or forge
  lines. Everything greenbench prints to a terminal goes through this: ECMA-48 control
  sequences (CSI, OSC, DCS, SOS, PM, APC, other ``ESC`` sequences, their 8-bit C1 forms) are
  removed, and so is every other C0/C1 control character except tab and newline.

Written here rather than taken from a library: rich's ``strip_control_codes`` removes only
bell, backspace, vertical tab, form feed and carriage return, and leaves ``ESC`` sequences in.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]                       # CSI ... final byte
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|\Z)  # OSC/DCS/SOS/PM/APC
    | \x1b [ -/]* [0-~]?                                        # other ESC sequences
    | [\x00-\x08\x0b-\x1f\x7f-\x9f]                             # other C0/C1 controls, DEL
    """,
    re.VERBOSE | re.DOTALL,
)


def replace_surrogates(text: str) -> str:
    """``text`` with each lone surrogate code point replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def for_terminal(value: object) -> str:
    """``str(value)`` safe to print: surrogates replaced, escape sequences and control
    characters (all but tab and newline) removed."""
    return _CONTROL.sub("", replace_surrogates(str(value)))
