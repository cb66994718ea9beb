"""A one-model sweep from lm-evaluation-harness-style arguments (``greenbench eval``,
:func:`greenbench.evaluate`).

``--model hf --model_args pretrained=DIR,dtype=bf16 --tasks sentiment,nli --limit 100`` becomes
the :class:`SweepConfig` a user would have written as YAML::

    name: eval
    limit: 100
    location: {country: FRA}          # --country
    tasks: [sentiment, nli]
    models:
      - name: DIR's base name          # or model_args name=…
        source: DIR
        kind: hf                       # --model
        variants: [{name: bf16, dtype: bf16, batch_size: 8, device: auto}]

so the jobs (and their ids) are those of that YAML sweep, run by the same runner into the same
store. :func:`equivalent_yaml` prints it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from greenbench.errors import GreenbenchError
from greenbench.models.spec import ModelSpec
from greenbench.sweep.config import SweepConfig, parse_config

#: Where messages say the sweep came from.
ORIGIN = "greenbench eval"

#: lm-eval's ``dtype`` spellings -> greenbench's.
DTYPES = {
    "bf16": "bf16",
    "bfloat16": "bf16",
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "fp32": "fp32",
    "float32": "fp32",
    "float": "fp32",
}

#: ``model_args`` keys that describe the variant, not the model.
VARIANT_ARGS = ("dtype", "quantization")
#: ``model_args`` keys of the model spec (``pretrained`` is its ``source``).
MODEL_ARGS = tuple(k for k in ModelSpec.model_fields if k not in ("source", "kind"))


def parse_model_args(text: str | Mapping[str, Any] | None) -> dict[str, str]:
    """``"pretrained=X,dtype=bf16"`` (lm-eval's syntax) as ``{key: value}``; a mapping as is."""
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return {str(k): str(v) for k, v in text.items()}
    args: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise GreenbenchError(f"--model_args: {part!r} is not key=value")
        args[key.strip()] = value.strip()
    return args


def task_overrides(num_fewshot: int | None) -> dict[str, Any]:
    """Per-task settings of the sweep from ``--num_fewshot`` (the one place that maps it): the
    task entry's ``num_fewshot`` (lm-eval's semantics, docs/tasks.md); None: the task's own."""
    return {} if num_fewshot is None else {"num_fewshot": num_fewshot}


def _bool(key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise GreenbenchError(f"--model_args {key}={value}: expected true or false")


def _model_name(source: str) -> str:
    """A readable model name: the zoo name, a path's base name (without ``.gguf``), a hub id."""
    if source.startswith("zoo:"):
        return source[4:]
    path = Path(source)
    if path.exists():
        return path.name.removesuffix(".gguf")
    return source


def _model_entry(model: str, args: dict[str, str]) -> dict[str, Any]:
    """The ``models[0]`` mapping (without variants) from ``--model`` and ``--model_args``."""
    if "peft" in args:
        raise GreenbenchError(
            "--model_args peft=: loading a trained adapter is not supported; fine-tune it in a "
            "sweep variant (finetune: {rank: …}) instead"
        )
    allowed = ("pretrained", *VARIANT_ARGS, *MODEL_ARGS)
    for key in args:
        if key not in allowed:
            raise GreenbenchError(
                f"--model_args: unknown key {key!r}; allowed: {', '.join(allowed)}"
            )
    source = args.get("pretrained")
    if not source:
        raise GreenbenchError("--model_args: pretrained=DIR_OR_HUB_ID is required")
    entry: dict[str, Any] = {"name": args.get("name") or _model_name(source), "source": source}
    entry["kind"] = model
    for key in MODEL_ARGS:
        if key in args and key != "name":
            value = args[key]
            entry[key] = _bool(key, value) if key == "chat_template" else value
    return entry


def _variant(args: dict[str, str], batch_size: int | str | None, device: str | None) -> dict:
    """The variant named by ``dtype``/``quantization``: ``bf16``, or ``fp32-int8-dynamic``."""
    dtype_text = args.get("dtype", "fp32")
    dtype = DTYPES.get(dtype_text.lower())
    if dtype is None:
        raise GreenbenchError(
            f"--model_args dtype={dtype_text}: allowed: {', '.join(sorted(DTYPES))}"
        )
    quantization = args.get("quantization", "none")
    name = dtype if quantization == "none" else f"{dtype}-{quantization.replace(':', '-')}"
    variant: dict[str, Any] = {"name": name, "dtype": dtype, "quantization": quantization}
    if batch_size is not None:
        variant["batch_size"] = batch_size
    if device is not None:
        variant["device"] = device
    return variant


def eval_config(
    model: str,
    model_args: str | Mapping[str, Any] | None,
    tasks: str | Sequence[str],
    *,
    limit: int | None = None,
    num_fewshot: int | None = None,
    batch_size: int | str | None = None,
    device: str | None = None,
    country: str | None = None,
    variants: Sequence[Mapping[str, Any]] | None = None,
    name: str = "eval",
    meter: str | None = None,
    repeats: int | None = None,
    idle_seconds: float | None = None,
    include_path: str | None = None,
) -> SweepConfig:
    """The one-model sweep of these lm-eval-style arguments, validated as a YAML config is.

    Args:
        model: backend kind (``hf``, ``llamacpp``, ``onnx``, ``torch``, ``estimate``).
        model_args: ``pretrained=DIR_OR_HUB_ID[,dtype=bf16][,quantization=…][,name=…]`` and
            any other :class:`~greenbench.models.spec.ModelSpec` field; or a mapping.
        tasks: task names, a list or comma-separated.
        limit: samples per task (None: all).
        batch_size: an integer or ``auto`` (None: the variant default, 8).
        variants: explicit variants (mappings as in a sweep YAML); None: the one variant named
            by ``dtype``/``quantization`` in ``model_args``, with ``batch_size`` and ``device``.
        name: the sweep name (not part of job ids).
        meter, repeats, idle_seconds: as the sweep YAML's keys (None: their defaults).
        include_path: a directory of extra task YAML files, every task's ``tasks_dir``.

    Raises:
        GreenbenchError: one line naming the argument at fault.
    """
    args = parse_model_args(model_args)
    names = [t.strip() for t in (tasks.split(",") if isinstance(tasks, str) else tasks)]
    if not any(names):
        raise GreenbenchError("--tasks: give at least one task name (greenbench tasks lists them)")
    overrides = task_overrides(num_fewshot)
    if include_path is not None:
        overrides["tasks_dir"] = include_path
    entry = _model_entry(model, args)
    if variants is None:
        entry["variants"] = [_variant(args, batch_size, device)]
    else:
        for key in VARIANT_ARGS:
            if key in args:
                raise GreenbenchError(f"--model_args {key}=: give it in each of the variants")
        entry["variants"] = [dict(v) for v in variants]
    data: dict[str, Any] = {
        "name": name,
        "tasks": [{"name": t, **overrides} for t in names if t],
        "models": [entry],
    }
    if limit is not None:
        data["limit"] = limit
    if country is not None:
        data["location"] = {"country": country}
    settings = {"meter": meter, "repeats": repeats, "idle_seconds": idle_seconds}
    data.update({k: v for k, v in settings.items() if v is not None})
    return parse_config(data, ORIGIN)


def equivalent_yaml(config: SweepConfig) -> str:
    """The sweep YAML that plans the same jobs as ``config`` (defaults left out)."""
    data = config.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False)
