"""Limits a sweep config must stay within before any work (issue 13).

A config may come from someone else, so reading it must not hang, exhaust memory or write
outside where the user pointed greenbench. Each check raises a one-line
:class:`GreenbenchError` naming the file:

* size: at most :data:`MAX_CONFIG_BYTES` (1 MiB; the largest real config is a few KB);
* text: UTF-8 (a UTF-16 file, recognised by its byte-order mark, is named as such);
* shape: YAML nested at most :data:`MAX_DEPTH` levels (libyaml, when PyYAML has it, stops at
  1000 and its scanner reports that first) and, with aliases expanded, at most
  :data:`MAX_NODES` values (a "billion laughs" alias bomb is a few lines), checked on the parser's
  event stream, which is iterative, before anything is built from it;
* plan: at most ``max_jobs`` jobs (:data:`DEFAULT_MAX_JOBS`, ``greenbench run --max-jobs N``),
  counted from the config before a single job is built (``sweep.plan.check_plan_size``);
* paths: ``name`` is one path component (it names ``runs/<name>``) and a relative
  ``output_dir`` stays inside the working directory.
"""

from __future__ import annotations

import codecs
from pathlib import Path, PurePath
from typing import Any

import yaml

from greenbench.errors import GreenbenchError

#: Largest config file read, in bytes.
MAX_CONFIG_BYTES = 1 << 20
#: Deepest nesting of YAML mappings and sequences accepted.
MAX_DEPTH = 100
#: Most values (scalars and collections) a config may hold once its aliases are expanded.
MAX_NODES = 1_000_000
#: Most jobs a plan may hold unless ``--max-jobs`` raises it.
DEFAULT_MAX_JOBS = 10_000

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_config_text(path: Path, origin: str) -> str:
    """The text of the config at ``path``: size-checked, decoded as UTF-8."""
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise GreenbenchError(
            f"{origin}: config is {size} bytes; the limit is {MAX_CONFIG_BYTES} (1 MiB)"
        )
    data = path.read_bytes()
    if data.startswith(_UTF16_BOMS):
        raise GreenbenchError(f"{origin}: config is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GreenbenchError(
            f"{origin}: config is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start})"
        ) from None


def load_yaml(text: str, origin: str) -> Any:
    """The YAML document in ``text``, after :func:`check_yaml_shape`; a syntax error is one
    line naming ``origin`` and the line."""
    try:
        check_yaml_shape(text, origin)
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        why = f" ({' '.join(str(problem).split())})" if problem else ""
        raise GreenbenchError(f"{origin}:{where}: not valid YAML{why}") from None


def check_yaml_shape(text: str, origin: str) -> None:
    """Refuse YAML nested deeper than MAX_DEPTH or expanding to more than MAX_NODES values.

    Walks the parser's events (no objects are built): each collection's expanded size is its
    values' sizes plus one, and an alias counts the expanded size of the node it names."""
    sizes: dict[str, int] = {}  # anchor -> expanded size of its node
    stack: list[tuple[str | None, int]] = [(None, 0)]  # open collections: (anchor, size so far)
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) > MAX_DEPTH:
                line = event.start_mark.line + 1
                raise GreenbenchError(
                    f"{origin}: line {line}: nested deeper than {MAX_DEPTH} levels"
                )
            stack.append((event.anchor, 0))
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            size += 1
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, size = None, sizes.get(event.anchor, 1)
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        parent_anchor, total = stack[-1]
        stack[-1] = (parent_anchor, total + size)
        if total + size > MAX_NODES:
            raise GreenbenchError(
                f"{origin}: expands to more than {MAX_NODES} values (YAML aliases?)"
            )


def check_name(name: str) -> str:
    """``name`` if it is usable as one directory name, else ValueError (for pydantic)."""
    if (
        not name
        or name in (".", "..")
        or any(sep in name for sep in ("/", "\\"))
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        raise ValueError(f"{name!r} must be a plain name, not a path (it names runs/<name>)")
    return name


def check_output_dir(value: str | None) -> str | None:
    """A relative ``output_dir`` must stay inside the working directory (no ``..`` escape)."""
    if value is None or PurePath(value).is_absolute():
        return value
    depth = 0
    for part in PurePath(value).parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            raise ValueError(
                f"{value!r} leaves the working directory; give an absolute path or --out DIR"
            )
    return value
