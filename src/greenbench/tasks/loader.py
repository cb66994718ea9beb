"""Finding and validating task YAML files: built-ins (``tasks/builtin``), other packages' tasks
(the ``greenbench.tasks`` entry points, :data:`TASK_PLUGINS`) and a user's ``tasks_dir``.
Errors name the file and the field.

A ``tasks_dir`` may be a directory of lm-evaluation-harness task files, many of which greenbench
cannot map (``!function``, filters, groups…): listing it (:func:`scan_tasks`) skips each such
file and returns it as a :class:`RefusedTask` with its one-line reason, so the files that map
are still listed; asking for a refused task by name raises that reason."""

from __future__ import annotations

import os
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from greenbench.errors import GreenbenchError
from greenbench.plugins import Catalogue
from greenbench.tasks import lm_eval_import
from greenbench.tasks.spec import TaskSpec
from greenbench.tasks.task import Task

BUILTIN_DIR = Path(__file__).parent / "builtin"
#: Task name -> ``"module:attribute"`` naming the path (``str`` or ``os.PathLike``) of a task
#: YAML file another package ships; read from the ``greenbench.tasks`` entry points.
TASK_PLUGINS: Catalogue[str | os.PathLike[str]] = Catalogue("greenbench.tasks", {})


def _describe_error(path: Path, exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if first["type"] == "extra_forbidden":
        return f"{path}: unknown field '{loc}'{more}"
    if first["type"] == "missing":
        return f"{path}: missing field '{loc}'{more}"
    msg = first["msg"].removeprefix("Value error, ")
    return f"{path}: field '{loc}': {msg}{more}"


def validate(raw: dict, path: Path) -> TaskSpec:
    """A task mapping validated as :class:`TaskSpec`; errors name ``path`` and the field."""
    try:
        return TaskSpec.model_validate(raw)
    except ValidationError as exc:
        raise GreenbenchError(_describe_error(path, exc)) from None


@dataclass(frozen=True)
class RefusedTask:
    """An lm-eval task file of a ``tasks_dir`` that greenbench cannot map."""

    path: Path
    name: str | None
    """The task name the file declares (its ``task`` key), if it is a string."""
    reason: str
    """One line naming the file and the field (the error loading it raises)."""


@dataclass
class TaskListing:
    """What :func:`scan_tasks` found."""

    tasks: list[Task] = dataclass_field(default_factory=list)
    """Every task that loads, sorted by name."""
    refused: list[RefusedTask] = dataclass_field(default_factory=list)
    """lm-eval files of ``tasks_dir`` left out, in file order."""


def _read_raw(path: Path) -> Any:
    """The file's YAML (``!function`` values kept as markers); errors name the file."""
    try:
        raw = lm_eval_import.read_yaml(path)
    except FileNotFoundError:
        raise GreenbenchError(f"{path}: task file does not exist") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" on line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "parse error"
        raise GreenbenchError(f"{path}: invalid YAML{line}: {problem}") from None
    if not isinstance(raw, dict):
        raise GreenbenchError(f"{path}: a task file must be a YAML mapping")
    return raw


def read_spec(path: Path) -> TaskSpec:
    """Parse and validate one task YAML (greenbench's, or an lm-eval task file, converted by
    :mod:`.lm_eval_import`); data files must exist."""
    return _spec_of(_read_raw(path), path)


def _spec_of(raw: dict[str, Any], path: Path) -> TaskSpec:
    """The validated spec of a parsed task file (an lm-eval one converted first)."""
    if lm_eval_import.is_lm_eval(raw):
        raw = lm_eval_import.convert(raw, path)
    spec = validate(raw, path)
    for field in ("offline", "train"):
        source = getattr(spec.data, field)
        if source is not None and not (path.parent / source.path).is_file():
            raise GreenbenchError(
                f"{path}: field 'data.{field}.path': file {path.parent / source.path} "
                "does not exist"
            )
    return spec


def _yaml_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def _user_dir(tasks_dir: str | Path | None) -> Path | None:
    if tasks_dir is None:
        return None
    directory = Path(tasks_dir)
    if not directory.is_dir():
        raise GreenbenchError(f"--tasks-dir {directory}: not a directory")
    return directory


def plugin_path(name: str) -> Path:
    """The YAML file of the plugin task registered as ``name`` (KeyError when none is)."""
    try:
        return Path(TASK_PLUGINS.load(name))
    except ImportError as exc:
        raise GreenbenchError(f"task plugin {name!r} cannot be imported: {exc}") from exc


def scan_tasks(tasks_dir: str | Path | None = None) -> TaskListing:
    """Every task: plugins', then built-ins, then the YAML files of ``tasks_dir`` (each
    replacing an earlier task of the same name), sorted by name; an lm-eval file of
    ``tasks_dir`` that cannot be mapped is skipped and listed in ``refused``. Any other file
    that fails (a greenbench task file with an error, invalid YAML) raises its one-line error."""
    found: dict[str, Task] = {}
    refused: list[RefusedTask] = []
    for name in TASK_PLUGINS:
        path = plugin_path(name)
        spec = read_spec(path)
        found[spec.name] = Task(spec, path)
    user = _user_dir(tasks_dir)
    for directory in [BUILTIN_DIR, *([user] if user else [])]:
        for path in _yaml_files(directory):
            raw = _read_raw(path)
            try:
                spec = _spec_of(raw, path)
            except GreenbenchError as exc:
                if directory is BUILTIN_DIR or not lm_eval_import.is_lm_eval(raw):
                    raise
                name = raw.get("task")
                refused.append(RefusedTask(path, name if isinstance(name, str) else None, str(exc)))
                continue
            found[spec.name] = Task(spec, path)
    return TaskListing([found[name] for name in sorted(found)], refused)


def list_tasks(tasks_dir: str | Path | None = None) -> list[Task]:
    """The tasks :func:`scan_tasks` lists (lm-eval files that cannot be mapped left out)."""
    return scan_tasks(tasks_dir).tasks


def load_task(
    name_or_yaml_path: str,
    tasks_dir: str | Path | None = None,
    source: str | None = None,
) -> Task:
    """A task by name (``tasks_dir`` first, then built-ins, then plugins) or by the path of its
    YAML file.

    ``source``: None takes the spec's default (the offline sample for built-ins), or
    ``"offline"`` / ``"hub"``."""
    as_path = Path(name_or_yaml_path)
    if as_path.suffix in (".yaml", ".yml") or as_path.is_file():
        return Task(read_spec(as_path), as_path, source)
    user = _user_dir(tasks_dir)
    for directory in [*([user] if user else []), BUILTIN_DIR]:
        for suffix in (".yaml", ".yml"):
            path = directory / f"{name_or_yaml_path}{suffix}"
            if path.is_file():
                return Task(read_spec(path), path, source)
    if name_or_yaml_path in TASK_PLUGINS:
        path = plugin_path(name_or_yaml_path)
        return Task(read_spec(path), path, source)
    listing = scan_tasks(tasks_dir)
    for task in listing.tasks:
        if task.name == name_or_yaml_path:
            return Task(task.spec, task.path, source)
    for refused in listing.refused:
        if refused.name == name_or_yaml_path:
            raise GreenbenchError(refused.reason)
    known = ", ".join(t.name for t in listing.tasks)
    raise GreenbenchError(f"unknown task {name_or_yaml_path!r}; known tasks: {known}")
