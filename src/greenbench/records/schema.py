"""The job record's schema (``docs/records.md``) as pydantic v2 models.

Why pydantic rather than dataclasses: a record crosses process and file boundaries (worker →
driver → SQLite → report), so it is validated where it enters the store and where it is read
back, and a malformed one is rejected there, naming the job, rather than three views later;
pydantic gives the JSON round trip (``model_validate`` / ``model_dump``) and the JSON Schema that
``docs/records.md`` is checked against (``tests/records/test_docs.py``).

Every model allows extra keys (``extra="allow"``): a field added by a newer greenbench, an
executor (``node`` under Ray) or another branch is kept as it is, not rejected. Fields that do not
apply are ``None``; units are in each field's name and docstring (J, s, gCO2e, gCO2e/kWh).

:meth:`JobRecord.to_json` writes only the fields that were set (by the constructor, by
validation of stored JSON, or by assignment), so a record read and written back keeps its shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Version of the record layout written by this greenbench (``docs/records.md``); records of
#: earlier versions are migrated on read (:mod:`greenbench.records.migrate`).
SCHEMA_VERSION = 3


class _Open(BaseModel):
    """A part of the record: extra keys kept, assignment validated."""

    model_config = ConfigDict(extra="allow", validate_assignment=True, populate_by_name=True)


class ModelInfo(_Open):
    """The model of a job, as configured and as loaded."""

    name: str | None = None
    kind: str | None = None
    """Backend kind of the model spec (``hf``, ``llamacpp``, ``onnx``, ``estimate``…)."""
    source: str | None = None
    architecture: str | None = None
    family: str | None = None
    params_total: int | None = None
    """Parameters of the loaded model object, counted."""
    params_trainable: int | None = None
    """Trainable parameters (the adapter's, for a fine-tuned variant)."""
    params_active: float | None = None
    """Active parameters per token, given for ``estimate`` models."""
    note: str | None = None
    """How the weights were obtained, e.g. dequantized from a GGUF file."""


class Finetune(_Open):
    """The fine-tuning settings of a variant (``sweep.config.FinetuneSpec`` as JSON)."""

    method: str | None = None
    """``lora``, ``qlora`` or ``full``."""
    rank: int | None = None
    alpha: float | None = None
    dropout: float | None = None
    target_modules: list[str] | None = None
    steps: int | None = None
    epochs: float | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    train_samples: int | None = None
    data: str | None = None
    seed: int | None = None


class Variant(_Open):
    """The deployed form of the model: precision, quantization, fine-tuning."""

    name: str | None = None
    backend: str | None = None
    dtype: str | None = None
    quantization: str | None = None
    bits: int | None = None
    batch_size: int | str | None = None
    """Inference batch size, or ``auto``."""
    finetune: Finetune | None = None


class QualityValue(_Open):
    """One quality metric of a job with its 95% bootstrap CI (metric's own scale)."""

    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    higher_is_better: bool | None = None
    unavailable: str | None = None
    """Why ``value`` is None, when it could not be computed."""


# -- issue 15 (watt-for-what training): a run measured outside the sweep, attached to a job --


#: The phase a training run attached by ``greenbench measure --attach`` is stored as.
TRAINING_PHASE = "training"


class AttachedRun(_Open):
    """Where a phase attached by ``greenbench measure --attach`` was measured."""

    tool: str | None = None
    """What measured it: ``greenbench measure``."""
    command: list[str] = Field(default_factory=list)
    """The measured command line, one argument per item."""
    exit_status: int | None = None
    """The command's exit status (128 + N when killed by signal N)."""
    meter: str | None = None
    """The ``--meter`` it was measured with."""
    idle_baseline: bool = False
    """Whether ``--idle-seconds`` took an idle baseline (else ``net_energy_j`` equals gross)."""
    attached_at: str | None = None
    """When it was attached, ISO 8601 UTC."""


class Phase(_Open):
    """One measured phase (``load``, ``finetune``, ``inference``, or ``training`` attached from
    ``greenbench measure``) of a job."""

    duration_s: float | None = None
    """Wall-clock time, s (inference: mean over repeats)."""
    energy_j: dict[str, float | None] = Field(default_factory=dict)
    """Gross energy, J: ``total`` and one key per component (idle power included)."""
    net_energy_j: dict[str, float | None] = Field(default_factory=dict)
    """Energy above the idle baseline, J (equal to gross without a baseline)."""
    provenance: dict[str, str | None] = Field(default_factory=dict)
    """Component -> ``measured:rapl`` | ``measured:nvml`` | ``estimated:<method>``."""
    repeats: int | None = None
    total_j_std: float | None = None
    """Sample standard deviation of the repeats' totals, J; None for one repeat."""
    repeat_totals_j: list[float] | None = None
    """Each repeat's gross total, J."""
    # issue 15: an estimate made in gCO2e directly (param_scaling: garg2025)
    emissions_g: float | None = None
    """gCO2e estimated for the phase without an energy figure (``estimated:garg2025``); None
    for phases whose emissions come from their energy."""
    # issue 12: how uncertain an estimated energy is (greenbench.energy.uncertainty)
    energy_range_j: dict[str, list[float]] | None = None
    """Component and ``total`` -> ``[low, high]`` gross J from the estimate constants' ranges;
    None when nothing is estimated (or see ``energy_range_note``)."""
    net_energy_range_j: dict[str, list[float]] | None = None
    """The same for the net energy, J."""
    energy_range_basis: str | None = None
    """The constants and their ranges, e.g. ``cpu 3.75 W/thread (3.75-7.5: TDP …)``."""
    energy_range_note: str | None = None
    """Why an estimated phase has no range."""
    # issue 15 (watt-for-what training)
    attached: AttachedRun | None = None
    """Set on a phase measured by ``greenbench measure --attach`` rather than by the sweep."""


class Carbon(_Open):
    """Where the electricity came from: grid intensity and PUE."""

    country: str | None = None
    region: str | None = None
    intensity_g_per_kwh: float | None = None
    """Grid carbon intensity, gCO2e/kWh."""
    pue: float | None = None
    source: str | None = None
    year: int | None = None
    is_default: bool | None = None
    """True when no location was given (world average)."""
    # issue 12: the emissions boundary of the intensity
    boundary: str | None = None
    """``lifecycle`` (country and world rows) or ``direct-combustion`` (region rows); None for
    an override or a record written before it was recorded."""


class Tokens(_Open):
    """Token counts of the scored inference pass (None for classifiers)."""

    prompt: int | None = None
    """Prompt tokens; for log-likelihood scoring, the tokens the model computed (context plus
    continuation minus its last token, per forward row; a row shared by choices counts once)."""
    generated: int | None = None
    """Generated tokens; None for log-likelihood scoring, which generates none."""


class FinetuneResult(_Open):
    """What fine-tuning did."""

    steps: int | None = None
    train_samples: int | None = None
    loss_first: float | None = None
    loss_last: float | None = None
    trainable_params: int | None = None
    tokens: int | None = None
    adapter_path: str | None = None
    mixed_precision: str | None = None
    """``bf16`` (forward passes under bf16 autocast) or ``no``; None in records before it was
    recorded."""


# -- issue 16: latency and throughput of the inference phase ---------------------------------


class Spread(_Open):
    """Mean and percentiles of a set of durations, s."""

    mean: float | None = None
    p50: float | None = None
    p95: float | None = None
    """95th percentile (linear interpolation between closest ranks, numpy's default)."""


class Latency(_Open):
    """Latency and throughput of the inference phase (``greenbench.sweep.latency``)."""

    queries_per_s: float | None = None
    """Queries answered per second of inference-window wall time (mean over repeats)."""
    generated_tokens_per_s: float | None = None
    """Generated tokens per second of inference-window wall time (None for classifiers)."""
    batches: int | None = None
    """Batches timed, all repeats together."""
    batch_s: Spread | None = None
    """Wall time of one batch, s: from the previous batch's end (or the window's start)."""
    query_s: Spread | None = None
    """Latency each query saw, s: the time of the batch that answered it (one value per query)."""
    note: str | None = None
    """Why the fields are None, or how they were measured."""


class Answers(_Open):
    """What a job answered, per sample (issue 14): read by :mod:`greenbench.records.answers`
    for the degenerate-answer flag, the label baselines and the agreement between variants."""

    kind: str | None = None
    """``label`` (chosen labels, classifier top-1 labels) or ``text`` (digests of generations)."""
    given: dict[str, str | None] = Field(default_factory=dict)
    """Sample id -> the chosen label (None when the output names none), or ``sha256:`` + 16 hex
    digits of the stripped generated text."""
    references: dict[str, list[str]] | None = None
    """Label tasks: sample id -> the accepted labels."""
    choices: list[str] | None = None
    """Label tasks: the task's labels."""


class JobRecord(_Open):
    """The record of one job of a sweep (``docs/records.md``).

    The per-record figures (``energy_per_query_j`` … ``index_notes``) are set when the job is
    committed (:func:`greenbench.records.per_record.attach`); the per-task figures (Pareto,
    GQI) are not stored: :func:`greenbench.records.per_task.task_figures` computes them from a
    set of records.
    """

    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    """Record layout version (``schema`` in JSON)."""
    job_id: str
    """``j-`` + 12 hex digits of the SHA-256 of the resolved job."""
    sweep: str | None = None
    model: ModelInfo = Field(default_factory=ModelInfo)
    variant: Variant = Field(default_factory=Variant)
    base_job_id: str | None = None
    """For a fine-tuned variant: the job of the same model's base variant on the same task."""
    task: str | None = None
    limit: int | None = None
    repeats: int | None = None
    meter: str | None = None
    primary_metric: str | None = None
    higher_is_better: bool | None = None
    quality: dict[str, QualityValue] = Field(default_factory=dict)
    phases: dict[str, Phase] = Field(default_factory=dict)
    energy_basis: str | None = None
    """``net`` when an idle baseline was taken, else ``gross``."""
    emissions_g: dict[str, float | None] = Field(default_factory=dict)
    """gCO2e on the energy basis: per phase, one pass of it (inference: the mean over repeats,
    as ``phases``); ``total``: what the whole job emitted, each phase × its ``repeats``."""
    carbon: Carbon | None = None
    samples: int | None = None
    """Evaluation samples (queries) answered."""
    tokens: Tokens | None = None
    finetune_result: FinetuneResult | None = None
    status: str | None = None
    """``ok`` or ``failed``."""
    error: str | None = None
    """One line, for a failed job."""
    environment: dict[str, Any] | None = None
    started_at: str | None = None
    """ISO 8601, UTC."""
    finished_at: str | None = None
    backend: dict[str, Any] | None = None
    """What the backend reports about the loaded model (device, dtype, licence…)."""
    score_missing: list[str | int] | None = None
    """Sample ids with no prediction (scored as wrong)."""
    energy_per_query_j: float | None = None
    """Inference energy per query on ``energy_basis``, J."""
    emissions_per_query_g: float | None = None
    """Inference emissions per query, gCO2e."""
    energy_per_1k_queries_j: float | None = None
    emissions_per_1k_queries_g: float | None = None
    energy_per_token_j: float | None = None
    """Inference energy per generated token, J."""
    energy_per_correct_j: float | None = None
    """Inference energy per correct answer (accuracy-type metrics), J."""
    quality_per_kwh: float | None = None
    """Primary metric per kWh of inference energy."""
    cegi: float | None = None
    """gCO2e of fine-tuning per percentage point of gain per million trainable parameters."""
    cegi_note: str | None = None
    """Why ``cegi`` is None (e.g. ``no gain``)."""
    cegi_gain_pp: float | None = None
    """Gain over the base job, percentage points."""
    # issue 15: the CEGI paper's own choices (docs/metrics.md, records/cegi_inputs.py)
    cegi_metric: str | None = None
    """The task's ``cegi_metric``: the 0..1 metric CEGI's gain is computed on (None: the
    primary metric)."""
    cegi_basis: str | None = None
    """Energy basis of the fine-tuning emissions ``cegi`` charges (the record's: net or gross)."""
    cegi_gross: float | None = None
    """CEGI charging the gross fine-tuning emissions (eco2AI-style, as in the paper)."""
    cegi_significant: bool | None = None
    """False when the gain lies inside the overlap of the two 95% CIs (gain not significant);
    None when a CI is missing or there is no CEGI."""
    energy_estimated: bool | None = None
    """True when any inference energy is an estimate."""
    # issue 12: the estimate constants' range of energy_per_query_j
    energy_per_query_range_j: list[float] | None = None
    """``[low, high]`` inference energy per query on ``energy_basis``, J; None when the energy is
    measured or its range is unknown (the phase's ``energy_range_note`` says why)."""
    index_notes: list[str] | None = None
    """Inputs an index could not use."""
    # Issue 13: how generated code was contained when the task ran it.
    code_sandbox: str | None = None
    """What the code sandbox contained and what not (e.g. ``network not isolated``)."""
    # issue 16: latency and throughput
    latency: Latency | None = None
    """Latency and throughput of the inference phase; None for records written before."""

    # Issue 12 (no silent gaps): what the energy figures are known to leave out.
    energy_gaps: list[str] | None = None
    """One line per device the job used but no source measured, e.g. ``GPU energy not
    measured: NVML unavailable (…)``; empty when nothing is known missing, None in records
    written before schema 3."""
    # -- issue 14: answers kept for the per-task flags (greenbench.records.answers) --
    answers: Answers | None = None
    """Per-sample answers; None for records written before they were kept."""
    # Issue 14: how a multiple-choice task was scored, and its few-shot examples.
    choice_scoring: str | None = None
    """``loglikelihood`` or ``generate`` (multiple_choice tasks only)."""
    num_fewshot: int | None = None
    """Solved examples placed before each prompt (0: zero-shot)."""
    chat_template: bool | None = None
    """Whether prompts were wrapped in the model's chat template (text tasks)."""
    # Stale records on resume: the task definition the record was scored against.
    task_hash: str | None = None
    """SHA-256 hex of the task's definition and local data files as the job ran it
    (:func:`greenbench.tasks.definition.task_hash`); None in records written before it was kept.
    A resumed sweep reuses a stored ok record only when it equals the job's."""

    @property
    def ok(self) -> bool:
        """Whether the job succeeded."""
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data: the fields set, ``schema`` by its JSON name; a value
        JSON cannot hold (e.g. an object in a backend's ``describe()``) as its ``str``."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True, fallback=str)
