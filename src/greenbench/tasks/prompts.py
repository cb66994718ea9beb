"""Jinja2 prompt templates with StrictUndefined: a variable the row lacks is an error, named."""

from __future__ import annotations

import re
from typing import Any

import jinja2

from greenbench.errors import GreenbenchError

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")


def compile_template(text: str, where: str, field: str = "prompt") -> jinja2.Template:
    """Compile ``text``; a syntax error names ``where`` (the YAML file), ``field`` and the line."""
    try:
        return _ENV.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise GreenbenchError(
            f"{where}: field '{field}': template syntax error on line {exc.lineno}: {exc.message}"
        ) from None


def render(template: jinja2.Template, context: dict[str, Any], where: str, sample_id: str) -> str:
    """Render ``template`` over ``context``; an undefined variable raises GreenbenchError naming
    the file, the variable and the sample."""
    try:
        return template.render(**context)
    except jinja2.UndefinedError as exc:
        found = _UNDEFINED_NAME.search(str(exc))
        name = next((g for g in found.groups() if g), str(exc)) if found else str(exc)
        fields = ", ".join(sorted(k for k in context if not k.startswith("_")))
        raise GreenbenchError(
            f"{where}: field 'prompt': template variable '{name}' is undefined for sample "
            f"{sample_id} (row fields: {fields})"
        ) from None
