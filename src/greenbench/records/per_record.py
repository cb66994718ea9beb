"""Figures of one record, attached when its job is committed (formulas: ``docs/metrics.md``).

- per-query figures of the inference phase (``energy_per_query_j``, ``emissions_per_query_g``,
  ``energy_per_1k_queries_j``, ``emissions_per_1k_queries_g``, ``energy_per_token_j``,
  ``energy_per_correct_j``, ``quality_per_kwh``), on the record's ``energy_basis`` (net of idle
  where a baseline was taken, gross otherwise), and ``energy_estimated``;
- ``cegi`` / ``cegi_note`` / ``cegi_gain_pp`` of a fine-tuned variant, against the quality of
  its base job (``base_job_id``), charging the fine-tuning emissions.

A figure that does not apply is None; inputs an index could not use add a line to
``index_notes``. The CEGI depends on the base record only: when the base job is committed after
the fine-tuned one, :func:`attach_cegi` updates the fine-tuned record alone.
"""

from __future__ import annotations

from greenbench.metrics.catalogue import counts_correct
from greenbench.metrics.efficiency import cegi, per_query
from greenbench.records.energy_range import per_query_range
from greenbench.records.schema import JobRecord
from greenbench.records.values import inference_energy_j, primary_value

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
#: The CEGI fields.
CEGI_FIELDS = ("cegi", "cegi_note", "cegi_gain_pp")
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
        correct = None
        if quality is not None and counts_correct(out.primary_metric):
            correct = round(quality * samples)
        figures = per_query(
            energy,
            out.emissions_g.get("inference") or 0.0,
            samples,
            correct=correct,
            generated_tokens=out.tokens.generated if out.tokens else None,
            quality=quality,
        )
        for name in PER_QUERY_FIELDS:
            setattr(out, name, getattr(figures, name))
        out.energy_per_query_range_j = per_query_range(out)
        out.index_notes = [*out.index_notes, *figures.notes]
    return attach_cegi(out, base)


def attach_cegi(record: JobRecord, base: JobRecord | None) -> JobRecord:
    """A copy of ``record`` with its CEGI fields set against ``base`` (None when the record is
    not an ok fine-tuned variant; a note when the base is not measured ok)."""
    out = record.model_copy(deep=True)
    for name in CEGI_FIELDS:
        setattr(out, name, None)
    if not out.ok or not out.variant.finetune:
        return out
    tuned = primary_value(out)
    base_quality = primary_value(base) if base else None
    if tuned is None or base_quality is None:
        out.cegi_note = "base variant not measured (ok) in this sweep"
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
    result = cegi(
        finetune_g,
        base_quality,
        tuned,
        int(trainable),
        higher_is_better=out.higher_is_better is not False,
    )
    out.cegi, out.cegi_note, out.cegi_gain_pp = result.value, result.note, result.gain_pp
    return out
