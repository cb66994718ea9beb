"""Figures of one record, attached when its job is committed (formulas: ``docs/metrics.md``).

- per-query figures of the inference phase (``energy_per_query_j``, ``emissions_per_query_g``,
  ``energy_per_1k_queries_j``, ``emissions_per_1k_queries_g``, ``energy_per_token_j``,
  ``energy_per_correct_j``, ``quality_per_kwh``), on the record's ``energy_basis`` (net of idle
  where a baseline was taken, gross otherwise), and ``energy_estimated``;
- ``cegi`` / ``cegi_note`` / ``cegi_gain_pp`` of a fine-tuned variant, against the quality of
  its base job (``base_job_id``), charging the fine-tuning emissions; ``cegi_metric``,
  ``cegi_basis``, ``cegi_gross`` and ``cegi_significant`` say what it was computed on
  (:mod:`greenbench.records.cegi_inputs`).

A figure that does not apply is None; inputs an index could not use add a line to
``index_notes``. The CEGI depends on the base record only: when the base job is committed after
the fine-tuned one, :func:`attach_cegi` updates the fine-tuned record alone.
"""

from __future__ import annotations

from greenbench.metrics.catalogue import METRICS, scores_0_or_1
from greenbench.metrics.efficiency import cegi, per_query
from greenbench.records.cegi_inputs import (
    cegi_metric,
    finetune_emissions_g,
    scale_reason,
    significant,
)
from greenbench.records.energy_range import per_query_range
from greenbench.records.schema import JobRecord, QualityValue
from greenbench.records.values import as_float, inference_energy_j, primary_value

#: The per-query fields, as named by ``greenbench.metrics.efficiency.PerQuery``.
PER_QUERY_FIELDS = (
    "energy_per_query_j",
    "emissions_per_query_g",
    "energy_per_1k_queries_j",
    "emissions_per_1k_queries_g",
    "energy_per_token_j",
    "energy_per_correct_j",
    "quality_per_kwh",
)
#: The CEGI fields (``cegi_metric`` is the task's input, set when the job runs).
CEGI_FIELDS = (
    "cegi",
    "cegi_note",
    "cegi_gain_pp",
    "cegi_basis",
    "cegi_gross",
    "cegi_significant",
)
#: Every field this module sets.
FIELDS = (
    *PER_QUERY_FIELDS,
    *CEGI_FIELDS,
    "energy_estimated",
    "index_notes",
    "energy_per_query_range_j",
)


def attach(record: JobRecord, base: JobRecord | None) -> JobRecord:
    """A copy of ``record`` with every field of :data:`FIELDS` set.

    Args:
        record: a finished job's record, any status.
        base: the record of its ``base_job_id`` when committed, else None.
    """
    out = record.model_copy(deep=True)
    for name in FIELDS:
        setattr(out, name, None)
    out.index_notes = []
    phase = out.phases.get("inference")
    out.energy_estimated = phase is not None and any(
        str(p).startswith("estimated") for p in phase.provenance.values()
    )
    energy = inference_energy_j(out)
    samples = out.samples or 0
    if out.ok and energy is not None and samples >= 1:
        quality = primary_value(out)
        correct, notes = _correct_answers(out, quality, samples)
        if quality is not None and out.higher_is_better is False:
            notes.append(
                f"{out.primary_metric} is lower-is-better: quality per kWh would reward "
                "a worse model, so it is null"
            )
            per_kwh_quality = None
        else:
            per_kwh_quality = quality
        figures = per_query(
            energy,
            out.emissions_g.get("inference") or 0.0,
            samples,
            correct=correct,
            generated_tokens=out.tokens.generated if out.tokens else None,
            quality=per_kwh_quality,
        )
        for name in PER_QUERY_FIELDS:
            setattr(out, name, getattr(figures, name))
        out.energy_per_query_range_j = per_query_range(out)
        out.index_notes = [*out.index_notes, *notes, *figures.notes]
    elif out.ok and samples >= 1 and as_float(out.emissions_g.get("inference")) is not None:
        # estimated in gCO2e directly (param_scaling: garg2025): no energy to divide
        grams = float(out.emissions_g["inference"])  # type: ignore[arg-type]
        out.emissions_per_query_g = grams / samples
        out.emissions_per_1k_queries_g = grams / samples * 1000
        out.index_notes = ["inference estimated in gCO2e (garg2025): no energy figures"]
    return attach_cegi(out, base)


def _correct_answers(
    record: JobRecord, quality: float | None, samples: int
) -> tuple[int | None, list[str]]:
    """Correct answers of an evaluation (for the energy per correct answer), or None with a
    note saying why there is no such count."""
    if quality is None:
        return None, []
    if scores_0_or_1(record.primary_metric):
        return round(quality * samples), []
    info = METRICS.get(record.primary_metric or "")
    if info is not None and info.partial_credit:
        return None, [
            f"{info.name} gives partial credit per sample: no count of correct answers, "
            "so no energy per correct answer"
        ]
    return None, []


def attach_cegi(record: JobRecord, base: JobRecord | None) -> JobRecord:
    """A copy of ``record`` with its CEGI fields set against ``base`` (None when the record is
    not an ok fine-tuned variant; a note when the base is not measured ok, the metric is not on
    a 0..1 scale, or there are no fine-tuning emissions to charge)."""
    out = record.model_copy(deep=True)
    for name in CEGI_FIELDS:
        setattr(out, name, None)
    if not out.ok or not out.variant.finetune:
        return out
    metric = cegi_metric(out)
    reason = scale_reason(metric)
    if reason:
        out.cegi_note = reason
        return out
    tuned_q = out.quality.get(metric or "") or QualityValue()
    base_q = (base.quality.get(metric or "") if base and base.ok else None) or QualityValue()
    if tuned_q.value is None or base_q.value is None:
        out.cegi_note = (
            f"{metric} not measured on both variants"
            if base and base.ok
            else "base variant not measured (ok) in this sweep"
        )
        return out
    trainable = (
        out.finetune_result.trainable_params if out.finetune_result else None
    ) or out.model.params_trainable
    if not trainable:
        out.cegi_note = "no trainable parameters recorded"
        return out
    finetune_g = out.emissions_g.get("finetune")
    if finetune_g is None:  # never 0 g: that would make the CEGI 0, the best possible score
        out.cegi_note = "fine-tuning phase not measured: no emissions to charge"
        return out
    if finetune_g <= 0:
        out.cegi_note = "fine-tuning emissions are 0 gCO2e: nothing measured to charge"
        return out
    higher = METRICS[metric or ""].higher_is_better
    result = cegi(finetune_g, base_q.value, tuned_q.value, int(trainable), higher_is_better=higher)
    out.cegi, out.cegi_note, out.cegi_gain_pp = result.value, result.note, result.gain_pp
    out.cegi_basis = out.energy_basis
    gross_g = finetune_emissions_g(out, "gross")
    if result.value is not None and gross_g is not None and gross_g > 0:
        gross = cegi(gross_g, base_q.value, tuned_q.value, int(trainable), higher_is_better=higher)
        out.cegi_gross = gross.value
    if result.value is not None:
        out.cegi_significant = significant(base_q, tuned_q, higher)
    return out
