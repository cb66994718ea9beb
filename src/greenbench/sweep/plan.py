"""Expand a sweep config into jobs (model × variant × task) with stable ids.

A job id is ``j-`` + the first 12 hex digits of the SHA-256 of the job's resolved content
(model spec, variant, task, task source and directory, sample limit, generation override,
repeats, meter and carbon context) serialized as canonical JSON (sorted keys, defaults filled).
The same config therefore gives the same ids whatever the key order, and changing any field
that affects the result gives new ids. The task overrides :data:`OPTIONAL_FIELDS`
(``choice_scoring``, ``num_fewshot``, ``chat_template``) are hashed only when set, so configs
that do not use them keep the ids they had before these fields existed. The runtime fields
(:data:`RUNTIME_FIELDS`: the id itself, sweep name, base job id, ``added_as_base``, idle
baseline, adapters directory, ``exclusive_host``, ``task_hash``) are not part of the id, so
renaming a sweep or recalibrating idle does not redo finished work. What the task's definition
says today is checked apart from the id: ``task_hash`` (:mod:`greenbench.sweep.resume`).

Every fine-tuned variant gets a measured base: the same model, the same variant without
``finetune`` (same backend, dtype, quantization, batch size, device), on the same task. If the
config does not list that job, the plan adds it (``Job.added_as_base``), listed before the
fine-tuned one, so CEGI always has a base quality from the same sweep (an executor may still
finish the fine-tuned job first: the driver gives it its CEGI when the base is committed).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from greenbench.errors import GreenbenchError
from greenbench.models.spec import ModelSpec, Variant
from greenbench.sweep.config import ModelEntry, SweepConfig, VariantEntry
from greenbench.sweep.config_limits import DEFAULT_MAX_JOBS

if TYPE_CHECKING:
    from greenbench.tasks import Task

#: Fields of a :class:`Job` that do not change its result, hence not hashed into its id.
RUNTIME_FIELDS = frozenset(
    {
        "job_id",
        "sweep",
        "base_job_id",
        "added_as_base",
        "idle",
        "artifacts_dir",
        "exclusive_host",
        "task_hash",
    }
)

#: Fields hashed into the id only when not None (added after ids were in use).
OPTIONAL_FIELDS = frozenset({"choice_scoring", "num_fewshot", "chat_template"})


#: ModelSpec fields added after job ids were first issued (hashed only when set).
LATER_MODEL_FIELDS = ("param_scaling", "provider")


class Job(BaseModel):
    """One unit of work: evaluate one variant of one model on one task (and fine-tune first).

    Serialized to JSON for the worker process (``python -m greenbench.sweep.worker``) and for
    remote executors; ``idle`` carries the idle baseline measured by the driver or node.
    """

    model_config = ConfigDict(extra="forbid")

    job_id: str = ""
    sweep: str
    model: ModelSpec
    variant: Variant
    task: str
    tasks_dir: str | None = None
    task_source: str | None = None
    limit: int | None = Field(None, description="samples to evaluate (None: all)")
    max_new_tokens: int | None = Field(None, description="overrides the task's generation limit")
    choice_scoring: str | None = Field(None, description="overrides the task's choice_scoring")
    num_fewshot: int | None = Field(None, description="overrides the task's num_fewshot")
    chat_template: bool | None = Field(
        None, description="overrides the model's chat_template for this task"
    )
    repeats: int = Field(1, ge=1, description="inference repeats (energy mean and std)")
    carbon: dict[str, Any] = Field(description="resolved CarbonContext.to_dict()")
    meter: str = "auto"
    base_job_id: str | None = Field(None, description="the job measuring this variant's base")
    added_as_base: bool = Field(False, description="planned only as a fine-tuned job's base")
    idle: dict[str, Any] | None = Field(None, description="IdleBaseline.to_dict() (runtime)")
    artifacts_dir: str | None = Field(
        None, description="where fine-tuned adapters are saved, as <dir>/<job_id> (runtime)"
    )
    exclusive_host: bool = Field(
        False, description="wait to be the host's only metered job (SweepConfig.host_exclusive)"
    )
    task_hash: str | None = Field(
        None,
        description="greenbench.tasks.definition.task_hash of load_task(), set by the driver "
        "(runtime); None when the task could not be read",
    )

    def content(self) -> dict[str, Any]:
        """The fields that determine the result (what the id hashes). Task overrides
        (:data:`OPTIONAL_FIELDS`) and model fields added since ids were first issued
        (:data:`LATER_MODEL_FIELDS`) are left out while unset, so existing ids stay."""
        unset = {name for name in OPTIONAL_FIELDS if getattr(self, name) is None}
        content = self.model_dump(mode="json", exclude=set(RUNTIME_FIELDS) | unset)
        for name in LATER_MODEL_FIELDS:
            if content["model"].get(name) is None:
                content["model"].pop(name, None)
        return content

    def compute_id(self) -> str:
        """``j-`` + 12 hex digits of SHA-256 over :meth:`content` as canonical JSON."""
        canonical = json.dumps(self.content(), sort_keys=True, separators=(",", ":"))
        return "j-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def with_id(self) -> Job:
        """This job with ``job_id`` set from its content."""
        return self.model_copy(update={"job_id": self.compute_id()})

    def load_task(self) -> Task:
        """The task as this job runs it: its file and data source, with the job's
        ``choice_scoring`` / ``num_fewshot`` overrides applied.

        Raises:
            GreenbenchError: the task cannot be read, or an override does not fit it.
        """
        from greenbench.tasks import load_task

        task = load_task(self.task, tasks_dir=self.tasks_dir, source=self.task_source)
        return task.with_options(choice_scoring=self.choice_scoring, num_fewshot=self.num_fewshot)

    @property
    def label(self) -> str:
        """``model/variant@task``, for progress lines and tables."""
        return f"{self.model.name}/{self.variant.name}@{self.task}"


def _spec(model: ModelEntry) -> ModelSpec:
    return ModelSpec.model_validate(model.model_dump(exclude={"variants", "tasks"}))


def _variant(entry: VariantEntry) -> Variant:
    return Variant.model_validate(entry.model_dump(exclude={"tasks"}))


def base_of(variant: Variant) -> dict[str, Any]:
    """What a fine-tuned variant's base must match: the variant minus name and fine-tuning."""
    return variant.model_dump(mode="json", exclude={"name", "finetune"})


def _base_variant(variant: Variant, listed: list[VariantEntry]) -> Variant:
    """The base variant of a fine-tuned ``variant``: a listed one if it matches, else a new one."""
    for entry in listed:
        candidate = _variant(entry)
        if candidate.finetune is None and base_of(candidate) == base_of(variant):
            return candidate
    names = {v.name for v in listed}
    name = "base" if "base" not in names else f"{variant.name}-base"
    return variant.model_copy(update={"name": name, "finetune": None})


def expand(config: SweepConfig, carbon: dict[str, Any]) -> list[Job]:
    """All jobs of ``config``, base variants before fine-tuned ones, ids set.

    ``carbon`` is the resolved location (``CarbonContext.to_dict()``), the same for every job of
    a local sweep. Order: per model, the plain variants (in config order) then any base added
    for a fine-tuned variant, then the fine-tuned variants; per variant, tasks in config order.
    """
    jobs: list[Job] = []
    seen: set[str] = set()
    for model in config.models:
        spec = _spec(model)
        listed = model.variants if model.variants is not None else config.variants
        model_tasks = [t.name for t in config.tasks if model.tasks is None or t.name in model.tasks]
        plain: list[Job] = []
        added: list[Job] = []
        tuned: list[Job] = []
        for entry in listed:
            variant = _variant(entry)
            for task_name in model_tasks:
                if entry.tasks is not None and task_name not in entry.tasks:
                    continue
                job = _job(config, spec, variant, task_name, carbon)
                if variant.finetune is None:
                    plain.append(job)
                    continue
                base = _job(config, spec, _base_variant(variant, listed), task_name, carbon)
                tuned.append(job.model_copy(update={"base_job_id": base.job_id}))
                added.append(base.model_copy(update={"added_as_base": True}))
        plain_ids = {j.job_id for j in plain}
        added = [j for j in added if j.job_id not in plain_ids]
        for job in (*plain, *added, *tuned):
            if job.job_id not in seen:
                seen.add(job.job_id)
                jobs.append(job)
    return jobs


def _job(
    config: SweepConfig, spec: ModelSpec, variant: Variant, task_name: str, carbon: dict[str, Any]
) -> Job:
    task = config.task(task_name)
    return Job(
        sweep=config.name,
        model=spec,
        variant=variant,
        task=task.name,
        tasks_dir=task.tasks_dir,
        task_source=task.source,
        limit=task.limit if task.limit is not None else config.limit,
        max_new_tokens=task.max_new_tokens,
        choice_scoring=task.choice_scoring,
        num_fewshot=task.num_fewshot,
        chat_template=task.chat_template,
        repeats=config.repeats,
        carbon=carbon,
        meter=config.meter,
        exclusive_host=config.host_exclusive,
    ).with_id()


def _pairs(config: SweepConfig) -> list[tuple[ModelEntry, list[VariantEntry], VariantEntry, str]]:
    """Every listed (model, variant, task) of ``config``, with the model's variant list."""
    out = []
    for model in config.models:
        listed = model.variants if model.variants is not None else config.variants
        tasks = [t.name for t in config.tasks if model.tasks is None or t.name in model.tasks]
        for entry in listed:
            out.extend(
                (model, listed, entry, t) for t in tasks if entry.tasks is None or t in entry.tasks
            )
    return out


def count_jobs(config: SweepConfig, limit: int) -> int:
    """How many jobs :func:`expand` makes, without building them; counting stops early (with a
    result above ``limit``) once the listed pairs alone pass ``limit``."""
    pairs = _pairs(config)
    if len(pairs) > limit or not any(e.finetune for _, _, e, _ in pairs):
        return len(pairs)
    keys: set[tuple[str, str, str]] = set()
    for model, listed, entry, task in pairs:
        variant = _variant(entry)
        keys.add((model.name, variant.model_dump_json(), task))
        if variant.finetune is not None:
            base = _base_variant(variant, listed)
            keys.add((model.name, base.model_dump_json(), task))
    return len(keys)


def check_plan_size(config: SweepConfig, origin: str, max_jobs: int | None) -> None:
    """Refuse, before building any job, a plan of more than ``max_jobs`` jobs (None:
    ``DEFAULT_MAX_JOBS``, 10,000; ``greenbench run --max-jobs N``)."""
    limit = DEFAULT_MAX_JOBS if max_jobs is None else max_jobs
    jobs = count_jobs(config, limit)
    if jobs > limit:
        raise GreenbenchError(
            f"{origin}: plans {jobs} jobs, more than the limit of {limit}; "
            "raise it with --max-jobs N if that is intended"
        )
