"""The sweep config: a YAML file naming models, variants, tasks, location and run settings.

Validated with pydantic; every error becomes one :class:`GreenbenchError` line naming the file,
the field path and what is allowed, e.g.
``configs/x.yaml: models[0].variants[1].quantization: unknown quantization 'q3'; allowed: …``.

Shape (all keys but ``models`` and ``tasks`` optional)::

    name: quickstart            # sweep name (default: the file's stem)
    output_dir: runs/quickstart # where results.db / results.json / report.html go
    location: {country: FRA, region: null, pue: 1.0, carbon_intensity: null}
    meter: auto                 # auto | rapl | nvml | estimate | codecarbon
    exclusive_host: null        # one metered job per host at a time (null: true for meter: rapl)
    idle_seconds: 5             # idle calibration before the first job (0: none, gross only)
    cooldown_s: 2               # pause between jobs, seconds
    job_timeout_s: 1800         # a job running longer is killed and recorded failed
    repeats: 1                  # inference repeats per job (energy mean and std)
    limit: 40                   # samples per task (a task entry's own limit wins)
    tasks: [text-to-sql, {name: sentiment, limit: 20, choice_scoring: generate, num_fewshot: 2}]
    variants: [{name: fp32}]    # variants of every model that lists none of its own
    models:
      - name: smollm2-135m-instruct
        source: zoo:smollm2-135m-instruct
        variants:
          - {name: fp32}
          - {name: lora-r8, finetune: {rank: 8, steps: 20}, tasks: [text-to-sql]}
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from greenbench.energy import meter_names
from greenbench.errors import GreenbenchError
from greenbench.models.spec import ModelSpec, Variant
from greenbench.sweep.config_limits import (
    check_name,
    check_output_dir,
    load_yaml,
    read_config_text,
)
from greenbench.tasks.spec import ChoiceScoring

#: The packaged config ``greenbench run`` uses when given none.
DEFAULT_CONFIG = "quickstart.yaml"


class TaskEntry(BaseModel):
    """One task of the sweep, with optional per-task settings."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    limit: int | None = Field(None, ge=1, description="samples to evaluate (None: sweep limit)")
    source: str | None = Field(None, description="data source override passed to load_task")
    tasks_dir: str | None = Field(None, description="directory of extra task YAML files")
    max_new_tokens: int | None = Field(
        None, ge=1, description="overrides the task's generation.max_new_tokens"
    )
    choice_scoring: ChoiceScoring | None = Field(
        None, description="overrides a multiple_choice task's choice_scoring"
    )
    num_fewshot: int | None = Field(None, ge=0, description="overrides the task's num_fewshot")
    chat_template: bool | None = Field(
        None,
        description="overrides the models' chat_template for this task (false: plain prompts, "
        "lm-eval's default)",
    )


class VariantEntry(Variant):
    """A variant, optionally limited to some of the sweep's tasks (``tasks: [text-to-sql]``)."""

    tasks: list[str] | None = Field(None, description="task names; None: every task of the model")


class ModelEntry(ModelSpec):
    """A model with its own variants and, optionally, the subset of tasks it runs."""

    variants: list[VariantEntry] | None = Field(
        None, description="None: the sweep's global variants"
    )
    tasks: list[str] | None = Field(None, description="task names; None: every task")


class Location(BaseModel):
    """Where the energy is drawn: grid intensity comes from country/region unless fixed."""

    model_config = ConfigDict(extra="forbid")

    country: str | None = Field(None, description="ISO 3166 alpha-3 code, e.g. FRA")
    region: str | None = None
    pue: float | None = Field(None, ge=1.0, description="power usage effectiveness (>= 1)")
    carbon_intensity: float | None = Field(None, ge=0, description="fixed gCO2e/kWh")


class SweepConfig(BaseModel):
    """A validated sweep config (see the module docstring for the YAML shape)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "sweep"
    output_dir: str | None = None
    location: Location = Field(default_factory=Location)
    meter: str = "auto"
    exclusive_host: bool | None = Field(
        None,
        description="one metered job per host at a time (None: true when meter is rapl); "
        "otherwise co-located jobs share host-wide counters by CPU time",
    )
    idle_seconds: float = Field(5.0, ge=0, description="idle calibration, seconds (0: none)")
    cooldown_s: float = Field(2.0, ge=0, description="pause between jobs, seconds")
    job_timeout_s: float | None = Field(None, gt=0, description="per-job wall-clock limit, s")
    repeats: int = Field(1, ge=1, description="inference repeats per job")
    limit: int | None = Field(None, ge=1, description="samples per task")
    tasks: list[TaskEntry] = Field(min_length=1)
    variants: list[VariantEntry] = Field(default_factory=lambda: [VariantEntry()])
    models: list[ModelEntry] = Field(min_length=1)
    # issue 15: the study the sweep reproduces (its tables in the HTML report) and CEGI's basis
    study: Literal["cegi", "slm-vs-llm", "watt-for-what"] | None = Field(
        None, description="the study whose tables the report shows (greenbench report --study)"
    )
    cegi_basis: Literal["net", "gross"] = Field(
        "net",
        description="fine-tuning emissions CEGI charges in the study view: net of idle "
        "(greenbench's default) or gross (eco2AI-style, as in the CEGI paper)",
    )

    @field_validator("tasks", mode="before")
    @classmethod
    def _task_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("output_dir")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        return check_output_dir(value)

    @field_validator("meter")
    @classmethod
    def _known_meter(cls, value: str) -> str:
        if value not in meter_names():
            raise ValueError(f"unknown meter {value!r}; allowed: {', '.join(meter_names())}")
        return value

    @property
    def host_exclusive(self) -> bool:
        """``exclusive_host`` resolved: given, or true exactly when ``meter`` is ``rapl``."""
        return self.meter == "rapl" if self.exclusive_host is None else self.exclusive_host

    def task(self, name: str) -> TaskEntry:
        """The task entry called ``name``."""
        return next(t for t in self.tasks if t.name == name)


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class whose field ``loc[-1]`` is (following lists and options)."""
    model: type[BaseModel] = SweepConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        inner = _inner_model(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        model = _model_at(tuple(error["loc"]))
        allowed = f"; allowed: {', '.join(model.model_fields)}" if model else ""
        return f"unknown field{allowed}"
    if error["type"] == "missing":
        return "required field missing"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def parse_config(data: Any, origin: str) -> SweepConfig:
    """Validate a mapping read from ``origin`` (a file name, for messages) into a config."""
    if not isinstance(data, dict):
        raise GreenbenchError(f"{origin}: expected a mapping at the top level")
    data = dict(data)
    data.setdefault("name", Path(origin).stem)
    try:
        config = SweepConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise GreenbenchError(
            f"{origin}: {_field_path(first['loc'])}: {_message(first)}{more}"
        ) from None
    _check_names(config, origin)
    return config


def _check_names(config: SweepConfig, origin: str) -> None:
    """Cross-field checks pydantic cannot express: unique names, task restrictions."""
    task_names = [t.name for t in config.tasks]
    if len(set(task_names)) != len(task_names):
        raise GreenbenchError(f"{origin}: tasks: a task is listed twice ({', '.join(task_names)})")
    allowed = ", ".join(task_names)
    model_names = [m.name for m in config.models]
    if len(set(model_names)) != len(model_names):
        raise GreenbenchError(f"{origin}: models: two models share a name; names must be unique")
    for i, model in enumerate(config.models):
        for name in model.tasks or []:
            if name not in task_names:
                raise GreenbenchError(
                    f"{origin}: models[{i}].tasks: {name!r} is not a task of this sweep; "
                    f"allowed: {allowed}"
                )
        variants = model.variants if model.variants is not None else config.variants
        where = f"models[{i}].variants" if model.variants is not None else "variants"
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise GreenbenchError(f"{origin}: {where}: two variants share a name ({model.name})")
        for j, variant in enumerate(variants):
            for name in variant.tasks or []:
                if name not in task_names:
                    raise GreenbenchError(
                        f"{origin}: {where}[{j}].tasks: {name!r} is not a task of this sweep; "
                        f"allowed: {allowed}"
                    )


def load_config(path: str | Path | None = None) -> tuple[SweepConfig, str]:
    """Read and validate a sweep config; ``None`` loads the packaged quickstart.

    Returns the config and its origin (the path as given, or ``quickstart.yaml (packaged)``).
    """
    if path is None:
        origin = f"{DEFAULT_CONFIG} (packaged)"
        text = resources.files("greenbench").joinpath("configs", DEFAULT_CONFIG).read_text()
        name = Path(DEFAULT_CONFIG).stem
    else:
        origin = str(path)
        file = Path(path)
        if not file.is_file():
            raise GreenbenchError(f"{origin}: no such config file")
        text = read_config_text(file, origin)
        name = file.stem
    data = load_yaml(text, origin)
    if isinstance(data, dict):
        data.setdefault("name", name)
    return parse_config(data, origin), origin
