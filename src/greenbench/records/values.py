"""Facts read off one record, each computed here and nowhere else: the primary quality, the
inference energy on the record's basis, display labels, number coercion, and whether a metric
counts correct answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from greenbench.records.schema import JobRecord, QualityValue


def as_float(value: object) -> float | None:
    """``value`` as a float when it is a number (not a bool), else None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def primary_quality(record: JobRecord) -> QualityValue:
    """The primary metric's ``{value, ci_low, ci_high}`` (empty when the record has none)."""
    return record.quality.get(record.primary_metric or "") or QualityValue()


def primary_value(record: JobRecord) -> float | None:
    """The primary metric's value of an ok record (metric's scale), or None."""
    return primary_quality(record).value if record.ok else None


def higher_is_better(record: JobRecord) -> bool:
    """Whether the record's primary metric is maximized (True when the record does not say,
    as in the skeleton of a job that failed before scoring)."""
    return record.higher_is_better is not False


def inference_energy_j(record: JobRecord) -> float | None:
    """Inference energy on the record's basis (net or gross), J; None without the phase."""
    phase = record.phases.get("inference")
    if phase is None:
        return None
    energy = phase.net_energy_j if record.energy_basis == "net" else phase.energy_j
    return as_float(energy.get("total"))


def job_emissions_g(per_phase: Mapping[str, Any], repeats: Mapping[str, Any]) -> float | None:
    """What a job emitted, gCO2e: each phase's one-pass emissions × its repeats (1 when not
    given); None when a phase's emissions are not a number."""
    total = 0.0
    for name, grams in per_phase.items():
        if not isinstance(grams, (int, float)) or isinstance(grams, bool):
            return None
        times = repeats.get(name)
        total += grams * (times if isinstance(times, int) and times >= 1 else 1)
    return total


def finetune_cost(record: JobRecord, *, emissions: bool) -> float | None:
    """The one-off cost of fine-tuning on the record's ``energy_basis`` (the basis of its
    per-query figures, so the two add up): energy of the ``finetune`` phase (J), or its
    emissions (gCO2e) with ``emissions``. 0 for a variant that is not fine-tuned; None for a
    fine-tuned variant whose phase was not measured (never 0: that would make it free)."""
    phase = record.phases.get("finetune")
    if phase is None:
        return None if record.variant.finetune else 0.0
    if emissions:
        return as_float(record.emissions_g.get("finetune"))
    energy = phase.net_energy_j if record.energy_basis == "net" else phase.energy_j
    return as_float(energy.get("total"))


#: How each ``energy_basis`` is named next to a figure.
BASIS_LABELS = {"net": "net of idle", "gross": "gross, no idle baseline"}


def basis_label(bases: Iterable[str | None]) -> str:
    """The energy basis of figures built from records with ``bases``, in words: ``"net of
    idle"``, ``"gross, no idle baseline"``, or a warning when they differ (figures on different
    bases do not compare)."""
    found = sorted({b or "unknown" for b in bases})
    if len(found) == 1:
        return BASIS_LABELS.get(found[0], f"{found[0]} energy")
    return "mixed bases (" + " and ".join(found) + "): not comparable"


def job_label(record: JobRecord) -> str:
    """``model · variant`` of a record (not necessarily unique)."""
    return f"{record.model.name or '?'} · {record.variant.name or '?'}"


def variant_details(record: JobRecord) -> str:
    """The variant in one line, e.g.
    ``"hf · fp32 · none · 32-bit · batch 8 · LoRA r8 α16, 30 steps"``."""
    variant = record.variant
    parts = [
        str(value)
        for value in (variant.backend, variant.dtype, variant.quantization)
        if value not in (None, "")
    ]
    if variant.bits is not None:
        parts.append(f"{variant.bits}-bit")
    if variant.batch_size is not None:
        parts.append(f"batch {variant.batch_size}")
    tune = variant.finetune
    if tune:
        method = tune.method or "finetune"
        lora = method in ("lora", "qlora")
        text = {"lora": "LoRA", "qlora": "QLoRA"}.get(method, method)
        if tune.rank is not None and lora:
            text += f" r{tune.rank}"
        if tune.alpha is not None and lora:
            text += f" α{tune.alpha:g}"
        if tune.steps is not None:
            text += f", {tune.steps} steps"
        parts.append(text)
    return " · ".join(parts)
