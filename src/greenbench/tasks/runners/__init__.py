"""Source of the programs run inside the code sandbox: stdlib-only modules sent as
``python -I -c`` source, so nothing of greenbench need be visible inside the sandbox.

Each program is ``prelude`` (rlimits, unprivileged uid) followed by the role (``candidate`` or
``harness``), with ``codec`` installed as the module ``codec`` the role imports.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent


def _read(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


@cache
def source(role: str) -> str:
    """The full program for ``role`` (``candidate`` | ``harness``)."""
    install_codec = (
        "import sys as _sys, types as _types\n"
        "_codec = _types.ModuleType('codec')\n"
        f"exec(compile({_read('codec.py')!r}, 'codec.py', 'exec'), _codec.__dict__)\n"
        "_sys.modules['codec'] = _codec\n"
    )
    return "\n".join((_read("prelude.py"), install_codec, _read(f"{role}.py")))
