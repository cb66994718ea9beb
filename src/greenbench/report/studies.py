"""The three studies' own tables, built from a sweep's records (``greenbench report DIR --study``).

- ``cegi`` (Kumar et al., 2024): per task, each fine-tuned variant (model x bits x LoRA rank):
  the gain ΔP over its base in percentage points with an interval, the fine-tuning emissions on
  the chosen basis, the trainable parameters (M) and CEGI, "gain not significant" where the two
  95% CIs overlap;
- ``slm-vs-llm`` (Garg et al., 2025): per task, each fine-tuned small model against each model
  never fine-tuned on it (the LLMs): both qualities, both per-query emissions, their ratio and
  the break-even number of queries;
- ``watt-for-what`` (Gowda et al.): per task, model x hardware: accuracy, training and test
  electricity (kWh) and GQI in the report's unit; training is the job's ``finetune`` phase
  (e.g. a head probe of an image classifier), else a ``training`` phase attached from
  ``greenbench measure --attach`` (:mod:`greenbench.sweep.attach`).

Each table holds raw values (None where a figure does not apply, with the reason in ``note``);
:mod:`greenbench.report.studies_export` writes them as Markdown, CSV or an HTML section.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import DEFAULT_UNIT, break_even
from greenbench.records import JobRecord, load_records
from greenbench.records.cegi_inputs import NOT_SIGNIFICANT, Basis, finetune_emissions_g
from greenbench.records.per_task import task_figures
from greenbench.records.schema import TRAINING_PHASE, Phase
from greenbench.records.values import as_float, inference_energy_j, job_label, primary_quality
from greenbench.units import J_PER_KWH

Study = Literal["cegi", "slm-vs-llm", "watt-for-what"]
STUDIES: tuple[str, ...] = ("cegi", "slm-vs-llm", "watt-for-what")


@dataclass(frozen=True)
class StudyTable:
    """One task's table of a study."""

    study: str
    task: str
    columns: tuple[str, ...]
    """Column names, units in parentheses."""
    rows: list[tuple[Any, ...]]
    """One tuple per row, in column order: numbers, text, or None (does not apply)."""


def _by_task(records: Sequence[JobRecord]) -> dict[str, list[JobRecord]]:
    out: dict[str, list[JobRecord]] = {}
    for record in records:
        if record.ok:
            out.setdefault(str(record.task), []).append(record)
    return {task: out[task] for task in sorted(out)}


def _pp_interval(base: JobRecord, tuned: JobRecord, metric: str) -> tuple[float | None, ...]:
    """ΔP and its interval in percentage points: (tuned - base) x 100, and the widest
    difference the two 95% CIs allow, [tuned.low - base.high, tuned.high - base.low] x 100
    (conservative: the CIs of independent samples)."""
    b, t = base.quality.get(metric), tuned.quality.get(metric)
    if b is None or t is None or b.value is None or t.value is None:
        return None, None, None
    delta = (t.value - b.value) * 100
    if None in (b.ci_low, b.ci_high, t.ci_low, t.ci_high):
        return delta, None, None
    return delta, (t.ci_low - b.ci_high) * 100, (t.ci_high - b.ci_low) * 100  # type: ignore[operator]


def _cegi_on(record: JobRecord, basis: Basis) -> tuple[float | None, str | None]:
    """The record's CEGI on ``basis`` and the note to show beside it."""
    if record.cegi is None:
        return None, record.cegi_note
    if basis == record.cegi_basis:
        value = record.cegi
    elif basis == "gross":
        value = record.cegi_gross
    else:
        return None, "no net figure: the sweep took no idle baseline"
    if record.cegi_significant is False:
        return value, NOT_SIGNIFICANT
    return value, None


def _lora_rank(record: JobRecord) -> int | None:
    """The variant's LoRA rank; None for other methods (a head probe, a full fine-tune)."""
    tune = record.variant.finetune
    return tune.rank if tune and tune.method in ("lora", "qlora") else None


def cegi_tables(records: Sequence[JobRecord], basis: Basis = "net") -> list[StudyTable]:
    """Per task: each ok fine-tuned variant against its base."""
    columns = (
        "model",
        "bits",
        "LoRA rank",
        "ΔP (pp)",
        "ΔP low (pp)",
        "ΔP high (pp)",
        f"fine-tuning emissions, {basis} (gCO2e)",
        "trainable params (M)",
        f"CEGI, {basis} (gCO2e/pp/M)",
        "note",
    )
    by_id = {r.job_id: r for r in records}
    tables = []
    for task, ok in _by_task(records).items():
        rows = []
        for tuned in [r for r in ok if r.variant.finetune]:
            base = by_id.get(tuned.base_job_id or "")
            metric = tuned.cegi_metric or tuned.primary_metric or ""
            delta = _pp_interval(base, tuned, metric) if base else (None, None, None)
            trainable = (
                tuned.finetune_result.trainable_params if tuned.finetune_result else None
            ) or tuned.model.params_trainable
            value, note = _cegi_on(tuned, basis)
            rows.append(
                (
                    tuned.model.name,
                    tuned.variant.bits,
                    _lora_rank(tuned),
                    *delta,
                    finetune_emissions_g(tuned, basis),
                    trainable / 1e6 if trainable else None,
                    value,
                    note,
                )
            )
        tables.append(StudyTable("cegi", task, columns, rows))
    return tables


def _per_query_g(record: JobRecord) -> float | None:
    return as_float(record.emissions_per_query_g)


def _estimated(record: JobRecord) -> bool:
    return bool(record.energy_estimated)


def slm_vs_llm_tables(records: Sequence[JobRecord]) -> list[StudyTable]:
    """Per task: each fine-tuned small model against each model never fine-tuned on the task."""
    columns = (
        "SLM (fine-tuned)",
        "LLM",
        "SLM quality",
        "LLM quality",
        "SLM emissions/query (gCO2e)",
        "LLM emissions/query (gCO2e)",
        "LLM/SLM emissions",
        "break-even (queries)",
        "note",
    )
    tables = []
    for task, ok in _by_task(records).items():
        tuned_models = {r.model.name for r in ok if r.variant.finetune}
        slms = [r for r in ok if r.variant.finetune]
        llms = [r for r in ok if r.model.name not in tuned_models]
        rows = []
        for slm in slms:
            for llm in llms:
                small, large = _per_query_g(slm), _per_query_g(llm)
                ratio = large / small if small and large is not None else None
                tune_g = as_float(slm.emissions_g.get("finetune"))
                notes = []
                if _estimated(llm):
                    notes.append("LLM energy estimated (see provenance)")
                even: float | None = None
                if small is not None and large is not None and tune_g is not None:
                    result = break_even(tune_g, small, large)
                    even = result.whole_queries
                    notes += [result.note] if result.note else []
                elif tune_g is None:
                    notes.append("fine-tuning not measured")
                rows.append(
                    (
                        job_label(slm),
                        job_label(llm),
                        primary_quality(slm).value,
                        primary_quality(llm).value,
                        small,
                        large,
                        ratio,
                        even,
                        "; ".join(notes) or None,
                    )
                )
        tables.append(StudyTable("slm-vs-llm", task, columns, rows))
    return tables


def hardware(record: JobRecord) -> str:
    """Where the job ran: its first GPU's name, else its CPU model."""
    env = record.environment or {}
    gpus = env.get("gpus") or []
    if gpus and isinstance(gpus[0], Mapping) and gpus[0].get("name"):
        return str(gpus[0]["name"])
    return str(env.get("cpu_model") or "unknown")


def _kwh(joules: float | None) -> float | None:
    return None if joules is None else joules / J_PER_KWH


#: Longest command line a watt-for-what note quotes, characters.
COMMAND_CHARS = 80


def training_phase(record: JobRecord) -> tuple[Phase | None, str | None]:
    """The job's training phase and the note beside it: the sweep's ``finetune`` phase, else a
    ``training`` phase attached from ``greenbench measure`` (the note quotes its command), else
    none ("no training phase in this job")."""
    tuned = record.phases.get("finetune")
    if tuned is not None:
        return tuned, None
    attached = record.phases.get(TRAINING_PHASE)
    if attached is None:
        return None, "no training phase in this job"
    command = shlex.join(attached.attached.command) if attached.attached else ""
    if len(command) > COMMAND_CHARS:
        command = command[: COMMAND_CHARS - 1] + "…"
    return attached, f"training measured by `greenbench measure -- {command}`, attached"


def watt_for_what_tables(
    records: Sequence[JobRecord], gqi_unit: str = DEFAULT_UNIT
) -> list[StudyTable]:
    """Per task: model x hardware with accuracy, training and test electricity, GQI."""
    columns = (
        "model",
        "variant",
        "hardware",
        "accuracy",
        "training electricity (kWh)",
        "test electricity (kWh)",
        f"GQI ({gqi_unit})",
        "note",
    )
    figures = task_figures(records, gqi_unit=gqi_unit)
    tables = []
    for task, ok in _by_task(records).items():
        rows = []
        for record in ok:
            train, note = training_phase(record)
            rated = figures[task].gqi.get(record.job_id)
            notes = [note] if note else []
            if rated and (rated.note or rated.near_singularity):
                notes.append(figures[task].fields(record)["gqi_note"])
            rows.append(
                (
                    record.model.name,
                    record.variant.name,
                    hardware(record),
                    primary_quality(record).value,
                    _kwh(as_float(train.energy_j.get("total"))) if train else None,
                    _kwh(inference_energy_j(record)),
                    rated.value if rated else None,
                    "; ".join(notes) or None,
                )
            )
        tables.append(StudyTable("watt-for-what", task, columns, rows))
    return tables


def study_tables(
    study: str,
    records: Sequence[JobRecord | Mapping[str, Any]],
    *,
    cegi_basis: Basis = "net",
    gqi_unit: str = DEFAULT_UNIT,
) -> list[StudyTable]:
    """The tables of ``study`` (one of :data:`STUDIES`) over ``records`` (records or JSON)."""
    typed = load_records(records)
    if study == "cegi":
        return cegi_tables(typed, cegi_basis)
    if study == "slm-vs-llm":
        return slm_vs_llm_tables(typed)
    if study == "watt-for-what":
        return watt_for_what_tables(typed, gqi_unit)
    raise GreenbenchError(f"--study {study!r}: expected one of {', '.join(STUDIES)}")
