"""Run one job: load, fine-tune (when the variant says so), infer, score — each phase measured.

Phases are separate energy windows of one :class:`~greenbench.energy.EnergyMeter`:

- ``load``: constructing the backend (reading and preparing the weights; the engine's Python
  packages are imported before the window opens);
- ``finetune``: ``backend.finetune`` on the variant's training data (fine-tuned variants only;
  :mod:`greenbench.sweep.training_data`: text pairs, or labelled images for an image
  classifier), read before the window opens;
- ``inference``: answering every evaluation sample, repeated ``job.repeats`` times; the phase
  keeps the mean energy per component, the spread of the totals (``total_j_std``, sample
  standard deviation) and each repeat's total; the first repeat's outputs are scored. Each
  batch the backend reports inside the window is timed (``record.latency``,
  :mod:`greenbench.sweep.latency`).

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

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.errors import GreenbenchError
from greenbench.metrics.quality.ci import MetricValue
from greenbench.models.base import LogLikelihoodUnavailable, Step
from greenbench.records.schema import FinetuneResult, JobRecord, Latency, Tokens
from greenbench.sweep.answers import record_answers
from greenbench.sweep.energy_range import attach_phase_ranges
from greenbench.sweep.latency import BatchClock
from greenbench.sweep.phases import attach_emissions, estimated_phase, phase_of, sum_or_none
from greenbench.sweep.plan import Job
from greenbench.sweep.record import mark_failed, new_record, now_iso

if TYPE_CHECKING:
    from greenbench.energy import EnergyMeter
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
    attach_phase_ranges(record)
    attach_emissions(job, record)
    return record.to_json(), logs


def _run(job: Job, record: JobRecord, logs: list[dict[str, Any]], steps: StepReporter) -> None:
    from greenbench.environment import describe
    from greenbench.models import check_variant
    from greenbench.models.registry import backend_class, backend_kind
    from greenbench.tasks.definition import task_hash

    record.environment = describe()
    task = job.load_task()
    record.task_hash = task_hash(task)
    spec = task.spec
    if spec.output_type == "multiple_choice":
        record.choice_scoring = spec.choice_scoring
    record.num_fewshot = spec.num_fewshot
    record.primary_metric = spec.primary_metric
    record.cegi_metric = spec.cegi_metric
    record.higher_is_better = task.higher_is_better(spec.primary_metric)
    samples = task.samples(job.limit)
    if not samples:
        raise GreenbenchError(f"task {job.task!r}: no samples to evaluate")
    record.samples = len(samples)
    check_variant(job.model, job.variant)
    # Import the engine (torch, transformers, llama_cpp…) before the load window: importing
    # Python packages is the harness's cost, not the model's.
    backend_class(backend_kind(job.model, job.variant)).import_engine()

    with _meter(job) as meter:
        steps.start("load", None)
        if job.model.kind == "estimate":
            backend = _load(job)
        else:
            with meter.window("load") as window:
                backend = _load(job)
            record.phases["load"] = phase_of([window.measurement])
        clock = BatchClock(steps)
        backend.on_progress = clock
        try:
            _describe(backend, record)
            _gaps(meter, record)
            if spec.output_type != "classify":
                record.chat_template = backend.chat_formatted
            if job.variant.finetune is not None:
                steps.start("finetune", job.variant.finetune.steps)
                _finetune(job, task, backend, meter, record)
            steps.start("inference", len(samples) * job.repeats)
            outputs = _infer(job, task, samples, backend, meter, record, steps, clock)
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
    if score.sandbox:
        record.code_sandbox = score.sandbox
    record.answers = record_answers(task, samples, predictions)
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
    """The job's meter, registered in the host's ledger: host-wide counters are shared with
    co-located jobs by CPU time, or the job waits to run alone (``job.exclusive_host``)."""
    from greenbench.energy import EnergyMeter, IdleBaseline
    from greenbench.energy.host_ledger import HostLedger

    idle = IdleBaseline.from_dict(job.idle) if job.idle else None
    host = HostLedger(exclusive=job.exclusive_host)
    return EnergyMeter(meter=job.meter, idle=idle, host=host)


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


def _gaps(meter: EnergyMeter, record: JobRecord) -> None:
    """Name what the meter misses of the device the backend loaded on (``energy_gaps``), in
    the record and in the job's log."""
    from greenbench.energy.gaps import unmeasured

    record.energy_gaps = unmeasured(meter, (record.backend or {}).get("device"))
    for gap in record.energy_gaps:
        print(f"greenbench: {gap}", file=sys.stderr)


def _finetune(
    job: Job, task: Task, backend: Backend, meter: EnergyMeter, record: JobRecord
) -> None:
    from greenbench.sweep.training_data import training_data

    pairs = training_data(job, task)
    output_dir = str(Path(job.artifacts_dir) / job.job_id) if job.artifacts_dir else None
    with meter.window("finetune") as window:
        result = backend.finetune(pairs, job.variant.finetune, output_dir=output_dir)
    record.phases["finetune"] = phase_of([window.measurement])
    record.finetune_result = FinetuneResult(
        steps=result.steps,
        train_samples=result.train_samples,
        loss_first=result.loss_first,
        loss_last=result.loss_last,
        trainable_params=result.trainable_params,
        tokens=result.tokens,
        adapter_path=result.adapter_path,
        mixed_precision=result.mixed_precision,
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
    clock: BatchClock,
) -> dict[str, list[Any]]:
    """Answer the samples ``job.repeats`` times, each pass its own window (its batches timed
    by ``clock``); keep the first."""
    if job.model.kind == "estimate":
        try:
            first = _answer(job, task, samples, backend)
        except LogLikelihoodUnavailable as exc:
            return {"unavailable": str(exc)}
        steps.reach(len(samples))
        record.phases["inference"] = estimated_phase(job, first)
    else:
        measurements = []
        first = None
        for repeat in range(job.repeats):
            try:
                with meter.window("inference") as window:
                    clock.begin()
                    outputs = _answer(job, task, samples, backend)
                    clock.end()
            except LogLikelihoodUnavailable as exc:
                return {"unavailable": str(exc)}
            steps.reach(len(samples) * (repeat + 1))
            measurements.append(window.measurement)
            first = first or outputs
        record.phases["inference"] = phase_of(measurements)
    record.tokens = Tokens(
        prompt=sum_or_none(first["prompt_tokens"]), generated=sum_or_none(first["generated_tokens"])
    )
    if job.model.kind == "estimate":
        record.latency = Latency(note="estimate model: not run here, so not timed")
    else:
        window_s = record.phases["inference"].duration_s
        record.latency = clock.latency(len(samples), record.tokens.generated, window_s)
    return first


def _resources(task: Task) -> dict[str, Any] | None:
    """Scorer resources: the reference model for perplexity-type metrics."""
    if not any("perplexity" in metric.name for metric in task.spec.metrics):
        return None
    from greenbench.models.zoo import resolve

    return {"reference_model_path": str(resolve(REFERENCE_MODEL, "hf").path)}
