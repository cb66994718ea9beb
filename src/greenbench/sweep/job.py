"""Run one job: load, fine-tune (when the variant says so), infer, score — each phase measured.

Phases are separate energy windows of one :class:`~greenbench.energy.EnergyMeter`:

- ``load``: constructing the backend (reading and preparing the weights; the engine's Python
  packages are imported before the window opens);
- ``finetune``: ``backend.finetune`` on the task's training pairs (fine-tuned variants only);
- ``inference``: answering every evaluation sample, repeated ``job.repeats`` times; the phase
  keeps the mean energy per component, the spread of the totals (``total_j_std``, sample
  standard deviation) and each repeat's total; the first repeat's outputs are scored.

Each phase keeps gross energy (``energy_j``) and energy above the idle baseline
(``net_energy_j``, equal to gross when no baseline was taken). Emissions use the record's
``energy_basis`` (net with a baseline, gross without) times the job's carbon context.

Models of kind ``estimate`` are not run here: their answers come from a predictions file or an
endpoint, and their inference energy from ``greenbench.energy.param_scaling`` (provenance
``estimated:param-scaling``); no load phase is recorded for them.

Scoring happens outside every window: it is the harness's cost, not the model's.

A ``multiple_choice`` task scored by log-likelihood (its ``choice_scoring``, or the sweep's
override) answers with ``backend.loglikelihood`` over every (prompt, delimiter + choice) pair
inside the inference window (no delimiter when the backend wraps prompts in a chat template, as
lm-eval does); the record's ``tokens.prompt`` is then the tokens the model computed and
``tokens.generated`` is None (nothing is generated). A backend that cannot score
log-likelihoods leaves the task's metrics unavailable, with its reason, and records no
inference phase.
"""

from __future__ import annotations

import json
import statistics
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.errors import GreenbenchError
from greenbench.metrics.quality.ci import MetricValue
from greenbench.models.base import LogLikelihoodUnavailable, Step
from greenbench.records.schema import FinetuneResult, JobRecord, Phase, Tokens
from greenbench.sweep.plan import Job
from greenbench.sweep.record import mark_failed, new_record, now_iso

if TYPE_CHECKING:
    from greenbench.energy import EnergyMeter
    from greenbench.energy.measurement import Measurement
    from greenbench.models.base import Backend
    from greenbench.tasks.task import Sample, Task

#: Zoo model whose hf weights score perplexity-type metrics.
REFERENCE_MODEL = "smollm2-135m-instruct"


class StepReporter:
    """Turns a backend's ``on_progress(units)`` calls into :class:`Step` events for ``on_step``."""

    def __init__(self, on_step: Callable[[Step], None] | None) -> None:
        self.on_step = on_step
        self.phase, self.done, self.total = "", 0, None

    def start(self, phase: str, total: int | None) -> None:
        """A phase of ``total`` units (None: unknown) begins."""
        self.phase, self.done, self.total = phase, 0, total
        self._emit()

    def __call__(self, units: int) -> None:
        self.done += units
        self._emit()

    def reach(self, done: int) -> None:
        """Advance to ``done`` units if the backend reported fewer (one that does not batch)."""
        if done > self.done:
            self(done - self.done)

    def _emit(self) -> None:
        if self.on_step is not None:
            self.on_step(Step(self.phase, self.done, self.total))


def run_job(
    job: Job, on_step: Callable[[Step], None] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run ``job`` in this process; return ``(record as JSON, per-sample logs)``, never raising.

    The record is filled in as a :class:`JobRecord` and returned as JSON
    (:meth:`JobRecord.to_json`), the form in which it leaves the worker process. A failure
    keeps what was measured before it, with ``status: failed`` and a one-line ``error`` (the
    traceback goes to stderr, which the executor keeps as the job's log). ``on_step`` hears of
    each phase starting and of each batch answered / training step taken.
    """
    record = new_record(job)
    logs: list[dict[str, Any]] = []
    try:
        _run(job, record, logs, StepReporter(on_step))
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        message = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {message[0] if message else ''}".rstrip(": ")
        record = mark_failed(record, error)
    else:
        record.status = "ok"
        record.finished_at = now_iso()
    _emissions(job, record)
    return record.to_json(), logs


def _run(job: Job, record: JobRecord, logs: list[dict[str, Any]], steps: StepReporter) -> None:
    from greenbench.environment import describe
    from greenbench.models import check_variant
    from greenbench.models.registry import backend_class, backend_kind
    from greenbench.tasks import load_task

    record.environment = describe()
    task = load_task(job.task, tasks_dir=job.tasks_dir, source=job.task_source).with_options(
        choice_scoring=job.choice_scoring, num_fewshot=job.num_fewshot
    )
    spec = task.spec
    if spec.output_type == "multiple_choice":
        record.choice_scoring = spec.choice_scoring
    record.num_fewshot = spec.num_fewshot
    record.primary_metric = spec.primary_metric
    record.higher_is_better = task.higher_is_better(spec.primary_metric)
    samples = task.samples(job.limit)
    if not samples:
        raise GreenbenchError(f"task {job.task!r}: no samples to evaluate")
    record.samples = len(samples)
    check_variant(job.model, job.variant)
    # Import the engine (torch, transformers, llama_cpp…) before the load window: importing
    # Python packages is the harness's cost, not the model's.
    backend_class(backend_kind(job.model, job.variant))

    with _meter(job) as meter:
        steps.start("load", None)
        if job.model.kind == "estimate":
            backend = _load(job)
        else:
            with meter.window("load") as window:
                backend = _load(job)
            record.phases["load"] = _phase([window.measurement])
        backend.on_progress = steps
        try:
            _describe(backend, record)
            if spec.output_type != "classify":
                record.chat_template = backend.chat_formatted
            if job.variant.finetune is not None:
                steps.start("finetune", job.variant.finetune.steps)
                _finetune(job, task, backend, meter, record)
            steps.start("inference", len(samples) * job.repeats)
            outputs = _infer(job, task, samples, backend, meter, record, steps)
        finally:
            backend.close()

    if outputs.get("unavailable"):
        reason = outputs["unavailable"]
        record.quality = {
            m.name: MetricValue(
                None, higher_is_better=bool(m.higher_is_better), unavailable=reason
            ).to_dict()
            for m in spec.metrics
        }
        return
    predictions = {s.id: out for s, out in zip(samples, outputs["predictions"], strict=True)}
    score = task.score(samples, predictions, resources=_resources(task))
    record.quality = {name: value.to_dict() for name, value in score.metrics.items()}
    record.score_missing = score.missing
    prompts = {s.id: s.prompt for s in samples}
    tokens = dict(zip((s.id for s in samples), outputs["generated_tokens"], strict=True))
    for entry in score.per_sample:
        log = dict(entry)
        log.setdefault("prompt", prompts.get(log.get("id")))
        log.setdefault("prediction", predictions.get(log.get("id")))
        log.setdefault("generated_tokens", tokens.get(log.get("id")))
        if isinstance(log["prediction"], list):  # a classifier's ranked labels
            log["top_k"] = log["prediction"]
            log["prediction"] = log["top_k"][0] if log["top_k"] else ""
        logs.append(log)


def _meter(job: Job) -> EnergyMeter:
    from greenbench.energy import EnergyMeter, IdleBaseline

    idle = IdleBaseline.from_dict(job.idle) if job.idle else None
    return EnergyMeter(meter=job.meter, idle=idle)


def _load(job: Job) -> Backend:
    from greenbench.models import load_backend

    spec = job.model
    if job.chat_template is not None:  # the task entry's override, for this task only
        spec = spec.model_copy(update={"chat_template": job.chat_template})
    return load_backend(spec, job.variant)


def _describe(backend: Backend, record: JobRecord) -> None:
    """Parameter counts and backend facts into the record's ``model`` / ``backend`` fields."""
    counts = backend.params()
    record.model.params_total = counts.total
    record.model.params_trainable = counts.trainable
    facts = backend.describe()
    record.backend = facts
    if facts.get("note"):
        record.model.note = facts["note"]


def _training_pairs(job: Job, task: Task) -> list[tuple[str, str]]:
    """``(prompt, completion)`` pairs named by ``finetune.data``: the task or a JSONL file."""
    ft = job.variant.finetune
    if ft.data in ("task", f"task:{job.task}"):
        return list(task.training_pairs(ft.train_samples, ft.seed))
    if ft.data.startswith("task:"):
        from greenbench.tasks import load_task

        return list(load_task(ft.data[5:]).training_pairs(ft.train_samples, ft.seed))
    path = Path(ft.data).expanduser()
    if not path.is_file():
        raise GreenbenchError(
            f"variant {job.variant.name!r}: finetune.data: no such file {ft.data!r}; "
            "allowed: task, task:<name> or a JSONL file of prompt/completion"
        )
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pairs.append((row["prompt"], row["completion"]))
    return pairs[: ft.train_samples]


def _finetune(
    job: Job, task: Task, backend: Backend, meter: EnergyMeter, record: JobRecord
) -> None:
    pairs = _training_pairs(job, task)
    output_dir = str(Path(job.artifacts_dir) / job.job_id) if job.artifacts_dir else None
    with meter.window("finetune") as window:
        result = backend.finetune(pairs, job.variant.finetune, output_dir=output_dir)
    record.phases["finetune"] = _phase([window.measurement])
    record.finetune_result = FinetuneResult(
        steps=result.steps,
        train_samples=result.train_samples,
        loss_first=result.loss_first,
        loss_last=result.loss_last,
        trainable_params=result.trainable_params,
        tokens=result.tokens,
        adapter_path=result.adapter_path,
    )
    record.model.params_trainable = result.trainable_params


def _answer(job: Job, task: Task, samples: list[Sample], backend: Backend) -> dict[str, list[Any]]:
    """One pass over ``samples``: predictions, and token counts (None for classifiers)."""
    spec = task.spec
    if spec.output_type == "classify":
        labels = backend.classify([s.image for s in samples], top_k=5)
        return {
            "predictions": labels,
            "prompt_tokens": [None] * len(samples),
            "generated_tokens": [None] * len(samples),
        }
    if spec.output_type == "multiple_choice" and spec.choice_scoring == "loglikelihood":
        from greenbench.sweep.choice_answers import answer_by_loglikelihood

        return answer_by_loglikelihood(spec, samples, backend)
    images = [s.image for s in samples]
    gens = backend.generate(
        [s.prompt for s in samples],
        max_new_tokens=job.max_new_tokens or spec.generation.max_new_tokens,
        stop=list(spec.generation.stop or ()),
        images=images if any(img is not None for img in images) else None,
        ids=[s.id for s in samples],
    )
    return {
        "predictions": [g.text for g in gens],
        "prompt_tokens": [g.prompt_tokens for g in gens],
        "generated_tokens": [g.generated_tokens for g in gens],
    }


def _infer(
    job: Job,
    task: Task,
    samples: list[Sample],
    backend: Backend,
    meter: EnergyMeter,
    record: JobRecord,
    steps: StepReporter,
) -> dict[str, list[Any]]:
    """Answer the samples ``job.repeats`` times, each pass its own window; keep the first."""
    if job.model.kind == "estimate":
        try:
            first = _answer(job, task, samples, backend)
        except LogLikelihoodUnavailable as exc:
            return {"unavailable": str(exc)}
        steps.reach(len(samples))
        record.phases["inference"] = _estimated_phase(job, first)
    else:
        measurements = []
        first = None
        for repeat in range(job.repeats):
            try:
                with meter.window("inference") as window:
                    outputs = _answer(job, task, samples, backend)
            except LogLikelihoodUnavailable as exc:
                return {"unavailable": str(exc)}
            steps.reach(len(samples) * (repeat + 1))
            measurements.append(window.measurement)
            first = first or outputs
        record.phases["inference"] = _phase(measurements)
    record.tokens = Tokens(
        prompt=_sum(first["prompt_tokens"]), generated=_sum(first["generated_tokens"])
    )
    return first


def _sum(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(values)


def _estimated_phase(job: Job, outputs: dict[str, list[Any]]) -> Phase:
    from greenbench.energy.param_scaling import estimate_inference_energy

    estimate = estimate_inference_energy(
        job.model.active_params,
        len(outputs["predictions"]),
        generated_tokens=_sum(outputs["generated_tokens"]),
    )
    energy = dict(estimate["energy_j"])
    return Phase(
        duration_s=estimate.get("duration_s"),
        energy_j=energy,
        net_energy_j=dict(energy),
        provenance=dict(estimate["provenance"]),
        repeats=1,
        total_j_std=None,
        repeat_totals_j=[energy["total"]],
    )


def _phase(measurements: list[Measurement]) -> Phase:
    """One phase from its windows: mean per component, spread of the totals across repeats."""
    dicts = [m.to_dict() for m in measurements]
    n = len(dicts)

    def mean(key: str) -> dict[str, float]:
        keys = {k for d in dicts for k in d[key]}
        return {k: sum(d[key].get(k, 0.0) for d in dicts) / n for k in sorted(keys)}

    totals = [d["energy_j"]["total"] for d in dicts]
    return Phase(
        duration_s=sum(d["duration_s"] for d in dicts) / n,
        energy_j=mean("energy_j"),
        net_energy_j=mean("net_energy_j"),
        provenance=dicts[0]["provenance"],
        repeats=n,
        total_j_std=statistics.stdev(totals) if n > 1 else None,
        repeat_totals_j=totals,
    )


def _resources(task: Task) -> dict[str, Any] | None:
    """Scorer resources: the reference model for perplexity-type metrics."""
    if not any("perplexity" in metric.name for metric in task.spec.metrics):
        return None
    from greenbench.models.zoo import resolve

    return {"reference_model_path": str(resolve(REFERENCE_MODEL, "hf").path)}


def _emissions(job: Job, record: JobRecord) -> None:
    """gCO2e per phase from the record's energy basis and the job's carbon context."""
    from greenbench.carbon import CarbonContext

    ctx = CarbonContext(**job.carbon)
    net = record.energy_basis == "net"
    emissions = {
        name: ctx.emissions_g((p.net_energy_j if net else p.energy_j)["total"])
        for name, p in record.phases.items()
    }
    record.emissions_g = {"total": sum(emissions.values()), **emissions}
