"""lm-evaluation-harness task YAML files, read as they are and converted to greenbench's spec.

:func:`read_yaml` parses a task file (lm-eval's ``!function`` tag included, so that it can be
refused by name); :func:`is_lm_eval` tells lm-eval files (a ``task`` key) from greenbench's;
:func:`convert` maps one to the mapping a greenbench task YAML holds (``greenbench tasks
--from-lm-eval FILE`` prints it). What maps (``docs/tasks.md`` has the table):

- ``task`` -> ``name``; ``output_type`` ``multiple_choice`` (scored by log-likelihood) or
  ``generate_until`` (``generate``; ``generation_kwargs.until`` / ``max_gen_toks`` -> ``stop`` /
  ``max_new_tokens``);
- ``dataset_path: json`` with ``dataset_kwargs.data_files`` -> offline data (the ``test_split``
  file evaluates; ``training_split`` -> ``data.train``); any other ``dataset_path`` /
  ``dataset_name`` -> a hub dataset and its ``test_split``; few-shot examples come from
  ``fewshot_split``, else lm-eval's pool (training, else validation, else the test split): as
  ``fewshot_split`` (``test``, ``train`` or a hub split) or, for another local file,
  ``fewshot_file``;
- ``doc_to_text`` (a Jinja template, or a field name) -> ``prompt``; ``doc_to_target`` (a field
  name or ``{{ field }}``; an integer value indexes the choices) -> ``target``;
  ``doc_to_choice`` (a list, or a field name or ``{{ field }}``) -> ``choices`` /
  ``choices_field``;
- ``target_delimiter``, ``fewshot_delimiter``, ``num_fewshot``, ``fewshot_config.sampler:
  default`` as they are; ``metric_list`` names ``acc`` -> ``accuracy``, ``acc_norm`` ->
  ``accuracy_norm``, ``exact_match``, ``bleu`` (sacrebleu corpus BLEU), ``rouge`` -> ``rouge1``,
  ``rouge2``, ``rougeL``; the first is the primary metric.

Anything else that changes what is evaluated (``!function``, ``filter_list``, ``group``,
``include``, ``process_docs``, ``description``, sampling ``generation_kwargs``…) is refused with
one line naming the field; bookkeeping keys (``tag``, ``metadata``, ``dataset_kwargs`` beyond
``data_files``…) listed in :data:`IGNORED` are dropped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from greenbench.errors import GreenbenchError
from greenbench.metrics.catalogue import METRICS

#: Keys that do not change what is evaluated or how it is scored.
IGNORED = frozenset(
    {"tag", "metadata", "should_decontaminate", "doc_to_decontamination_query", "unsafe_code"}
)
#: lm-eval metric name -> greenbench metrics.
METRIC_NAMES = {
    "acc": ["accuracy"],
    "acc_norm": ["accuracy_norm"],
    "exact_match": ["exact_match"],
    "bleu": ["bleu"],
    "rouge": ["rouge1", "rouge2", "rougeL"],
}
_FIELD = re.compile(r"^\s*(?:\{\{\s*)?([A-Za-z_][A-Za-z0-9_]*)(?:\s*\}\})?\s*$")
_HANDLED = {
    "task", "output_type", "dataset_path", "dataset_name", "dataset_kwargs", "test_split",
    "training_split", "validation_split", "fewshot_split", "doc_to_text", "doc_to_target",
    "doc_to_choice", "target_delimiter", "fewshot_delimiter", "num_fewshot", "fewshot_config",
    "metric_list", "generation_kwargs", "repeats",
}  # fmt: skip


class Function:
    """A ``!function module.name`` value: Python code greenbench will not import and run."""

    def __init__(self, target: str) -> None:
        self.target = target


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads ``!function`` (as :class:`Function`)."""


_Loader.add_constructor("!function", lambda loader, node: Function(loader.construct_scalar(node)))


def read_yaml(path: Path) -> Any:
    """The file's YAML, ``!function`` values as :class:`Function`."""
    # _Loader is yaml.SafeLoader plus one tag that builds an inert marker object
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def is_lm_eval(raw: Any) -> bool:
    """Whether a parsed task file is an lm-eval task (it names itself with ``task``)."""
    return isinstance(raw, dict) and "task" in raw and "name" not in raw


def _refuse(path: Path, field: str, why: str) -> GreenbenchError:
    return GreenbenchError(f"{path}: lm-eval field '{field}': {why}")


def _find_function(value: Any, where: str) -> str | None:
    if isinstance(value, Function):
        return where
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_function(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_function(item, f"{where}[{i}]")
            if found:
                return found
    return None


def _field(path: Path, key: str, value: Any) -> str:
    """A field name given as ``name`` or ``{{ name }}``; anything else is refused."""
    match = _FIELD.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise _refuse(path, key, f"{value!r} is not a field name or {{{{ field }}}}")
    return match.group(1)


def _data(raw: dict[str, Any], path: Path, out_dir: Path) -> tuple[dict, dict[str, str]]:
    """greenbench ``data``, and where few-shot examples come from (``fewshot_split`` or
    ``fewshot_file``): the named split, else lm-eval's pool (training, else validation, else
    the evaluated split)."""
    test = raw.get("test_split")
    if not test:
        raise _refuse(path, "test_split", "required (the split that is evaluated)")
    train, validation = raw.get("training_split"), raw.get("validation_split")
    pool = raw.get("fewshot_split") or train or validation or test
    if raw.get("dataset_path") != "json":
        if not raw.get("dataset_path"):
            raise _refuse(path, "dataset_path", "required")
        hub = {"path": raw["dataset_path"], "split": test}
        if raw.get("dataset_name"):
            hub["name"] = raw["dataset_name"]
        return {"default": "hub", "hub": hub}, {"fewshot_split": pool}
    files = (raw.get("dataset_kwargs") or {}).get("data_files")
    if not isinstance(files, dict):
        raise _refuse(path, "dataset_kwargs.data_files", "a json dataset needs {split: file}")

    def local(split: str) -> str:
        value = files.get(split)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str):
            raise _refuse(path, f"dataset_kwargs.data_files.{split}", "expected one file")
        file = Path(value).expanduser()
        if not file.is_absolute():  # lm-eval reads it from the working directory
            file = path.parent / file if (path.parent / file).is_file() else file.resolve()
        if not file.is_file():
            raise _refuse(path, f"dataset_kwargs.data_files.{split}", f"no such file {value}")
        return os.path.relpath(file.resolve(), out_dir.resolve())

    data: dict[str, Any] = {"default": "offline", "offline": {"path": local(test)}}
    if train:
        data["train"] = {"path": local(train)}
    if pool == test:
        return data, {"fewshot_split": "test"}  # greenbench's name for the evaluated rows
    if pool == train:
        return data, {"fewshot_split": "train"}
    return data, {"fewshot_file": local(pool)}


def _metrics(raw: dict[str, Any], path: Path) -> list[str]:
    names: list[str] = []
    for i, entry in enumerate(raw.get("metric_list") or [{"metric": "acc"}]):
        metric = entry.get("metric") if isinstance(entry, dict) else None
        extra = set(entry) - {"metric", "aggregation", "higher_is_better"} if metric else set()
        if metric not in METRIC_NAMES or extra:
            what = f"options {sorted(extra)}" if extra else f"metric {metric!r}"
            raise _refuse(path, f"metric_list[{i}]", f"{what} cannot be mapped")
        for name in METRIC_NAMES[metric]:
            if name not in METRICS:
                raise _refuse(path, f"metric_list[{i}]", f"{name} is not available here")
            names.append(name)
    return names


def _generation(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    kwargs = dict(raw.get("generation_kwargs") or {})
    out: dict[str, Any] = {}
    until = kwargs.pop("until", None)
    if until is not None:
        out["stop"] = [until] if isinstance(until, str) else list(until)
    if "max_gen_toks" in kwargs:
        out["max_new_tokens"] = int(kwargs.pop("max_gen_toks"))
    greedy = {"do_sample": False, "temperature": 0, "temperature_": 0.0}
    for key, value in kwargs.items():
        if greedy.get(key, object()) != value:
            raise _refuse(path, f"generation_kwargs.{key}", "only greedy decoding is mapped")
    return out


def convert(raw: dict[str, Any], path: Path, out_dir: Path | None = None) -> dict[str, Any]:
    """The greenbench task mapping equivalent to lm-eval task ``raw`` read from ``path``.

    ``out_dir``: where the greenbench YAML will live (data paths are relative to it; default:
    beside ``path``). Raises :class:`GreenbenchError` naming the first field it cannot map.
    """
    found = _find_function(raw, "")
    if found:
        raise _refuse(path, found.lstrip("."), "!function runs Python code; not mapped")
    for key in raw:
        if key not in _HANDLED and key not in IGNORED:
            raise _refuse(path, key, "not mapped to greenbench")
    if (raw.get("repeats") or 1) != 1:
        raise _refuse(path, "repeats", "only 1 is mapped")
    sampler = (raw.get("fewshot_config") or {}).get("sampler", "default")
    if sampler != "default" or set(raw.get("fewshot_config") or {}) - {"sampler"}:
        raise _refuse(path, "fewshot_config", "only the default sampler is mapped")
    kind = raw.get("output_type", "generate_until")
    if kind not in ("multiple_choice", "generate_until"):
        raise _refuse(path, "output_type", f"{kind!r} is not mapped")
    data, examples = _data(raw, path, out_dir or path.parent)
    text = raw.get("doc_to_text")
    if not isinstance(text, str):
        raise _refuse(path, "doc_to_text", "required: a template or a field name")
    prompt = "{{ " + text + " }}" if re.fullmatch(r"[A-Za-z_]\w*", text) else text
    names = _metrics(raw, path)
    spec: dict[str, Any] = {
        "name": str(raw["task"]),
        "description": f"converted from lm-eval task file {path.name}",
        "output_type": "multiple_choice" if kind == "multiple_choice" else "generate",
        "data": data,
        "prompt": prompt,
        "target": _field(path, "doc_to_target", raw.get("doc_to_target")),
        "metrics": [{"name": n} for n in names],
        "primary_metric": names[0],
    }
    if kind == "multiple_choice":
        choices = raw.get("doc_to_choice")
        if isinstance(choices, list):
            spec["choices"] = [str(c) for c in choices]
        else:
            spec["choices_field"] = _field(path, "doc_to_choice", choices)
    else:
        spec["generation"] = _generation(raw, path)
    for key in ("target_delimiter", "fewshot_delimiter", "num_fewshot"):
        if key in raw:
            spec[key] = raw[key]
    if raw.get("num_fewshot"):
        spec.update(examples)
    return spec
