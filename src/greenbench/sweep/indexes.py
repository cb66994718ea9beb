"""Attach the efficiency indexes to finished job records (formulas: ``docs/metrics.md``).

:func:`attach` takes every record of a sweep and returns them with these fields set (``None``
where an index does not apply, and a line in ``index_notes`` where it was given inputs it could
not use):

- per-query figures from the inference phase (``energy_per_query_j``, ``emissions_per_query_g``,
  ``energy_per_1k_queries_j``, ``emissions_per_1k_queries_g``, ``energy_per_token_j``,
  ``energy_per_correct_j``, ``quality_per_kwh``), on the record's ``energy_basis`` (net of idle
  where a baseline was taken, gross otherwise);
- ``cegi`` / ``cegi_note`` / ``cegi_gain_pp`` for fine-tuned variants, against the quality of the
  base job (``base_job_id``) measured in the same sweep, charging the fine-tuning emissions;
- ``gqi`` / ``gqi_unit`` / ``gqi_note`` for accuracy-type primary metrics, from the inference
  (test) electricity, in one unit per task chosen by ``gqi_unit`` so a task's GQIs compare;
- ``pareto_energy`` / ``pareto_emissions``: whether the record is on its task's frontier of
  primary quality vs energy (emissions) per query;
- ``energy_estimated``: True when any inference figure is an estimate (e.g. ``kind: estimate``
  models, whose energy comes from parameter scaling; their provenance stays in ``phases``).

Indexes depend on other records (the base job, the task's group), so the driver calls
:func:`attach` again over all records whenever one arrives; the result is the same whatever
order jobs finish in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from greenbench.metrics.efficiency import cegi, gqi, gqi_unit, pareto_front, per_query

#: Fields this module sets on every record.
INDEX_FIELDS = (
    "energy_per_query_j",
    "emissions_per_query_g",
    "energy_per_1k_queries_j",
    "emissions_per_1k_queries_g",
    "energy_per_token_j",
    "energy_per_correct_j",
    "quality_per_kwh",
    "cegi",
    "cegi_note",
    "cegi_gain_pp",
    "gqi",
    "gqi_unit",
    "gqi_note",
    "pareto_energy",
    "pareto_emissions",
    "energy_estimated",
    "index_notes",
)


#: Primary metrics that are a fraction of correct samples, besides any ``*accuracy`` metric.
ACCURACY_LIKE = frozenset({"final_number_match", "pass_at_1", "exact_match"})


def is_accuracy(metric: str | None) -> bool:
    """Whether ``metric`` is a fraction 0..1 of correct samples (accuracy, top-k, pass@1, …).

    Such metrics give a count of correct answers (value × samples, for the energy per correct
    answer) and a GQI; text-overlap scores (ROUGE, BLEU) and perplexity do not.
    """
    return bool(metric) and ("accuracy" in metric or metric in ACCURACY_LIKE)


def primary_value(record: dict[str, Any]) -> float | None:
    """The primary metric's value of an ok record, or None."""
    if record.get("status") != "ok":
        return None
    value = (record.get("quality") or {}).get(record.get("primary_metric"), {}).get("value")
    return float(value) if value is not None else None


def inference_energy_j(record: dict[str, Any]) -> float | None:
    """Inference energy on the record's basis (net or gross), J; None without the phase."""
    phase = (record.get("phases") or {}).get("inference")
    if not phase:
        return None
    key = "net_energy_j" if record.get("energy_basis") == "net" else "energy_j"
    return float(phase[key]["total"])


def attach(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``records`` with every index field set (see the module docstring)."""
    out = [_per_record(dict(r)) for r in records]
    by_id = {r["job_id"]: r for r in out}
    for record in out:
        _cegi(record, by_id.get(record.get("base_job_id") or ""))
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in out:
        if record.get("status") == "ok":
            by_task[record["task"]].append(record)
    for group in by_task.values():
        _gqi(group)
        _pareto(group)
    return out


def _per_record(record: dict[str, Any]) -> dict[str, Any]:
    for name in INDEX_FIELDS:
        record[name] = None
    record["index_notes"] = []
    energy = inference_energy_j(record)
    quality = primary_value(record)
    phase = (record.get("phases") or {}).get("inference") or {}
    record["energy_estimated"] = any(
        str(p).startswith("estimated") for p in (phase.get("provenance") or {}).values()
    )
    samples = record.get("samples") or 0
    if record.get("status") != "ok" or energy is None or samples < 1:
        return record
    correct = None
    if quality is not None and is_accuracy(record.get("primary_metric")):
        correct = round(quality * samples)
    figures = per_query(
        energy,
        (record.get("emissions_g") or {}).get("inference", 0.0),
        samples,
        correct=correct,
        generated_tokens=(record.get("tokens") or {}).get("generated"),
        quality=quality,
    )
    for name in INDEX_FIELDS[:7]:
        record[name] = getattr(figures, name)
    record["index_notes"].extend(figures.notes)
    return record


def _cegi(record: dict[str, Any], base: dict[str, Any] | None) -> None:
    if record.get("status") != "ok" or not (record.get("variant") or {}).get("finetune"):
        return
    tuned = primary_value(record)
    base_quality = primary_value(base) if base else None
    if tuned is None or base_quality is None:
        record["cegi_note"] = "base variant not measured (ok) in this sweep"
        return
    trainable = (record.get("finetune_result") or {}).get("trainable_params") or (
        record.get("model") or {}
    ).get("params_trainable")
    if not trainable:
        record["cegi_note"] = "no trainable parameters recorded"
        return
    result = cegi(
        (record.get("emissions_g") or {}).get("finetune", 0.0),
        base_quality,
        tuned,
        int(trainable),
        higher_is_better=bool(record.get("higher_is_better", True)),
    )
    record["cegi"] = result.value
    record["cegi_note"] = result.note
    record["cegi_gain_pp"] = result.gain_pp


def _gqi(group: list[dict[str, Any]]) -> None:
    rated = [
        r
        for r in group
        if is_accuracy(r.get("primary_metric"))
        and primary_value(r) is not None
        and inference_energy_j(r) is not None
    ]
    if not rated:
        return
    unit = gqi_unit(inference_energy_j(r) for r in rated)
    for record in rated:
        result = gqi(
            min(1.0, max(0.0, primary_value(record))), inference_energy_j(record), energy_unit=unit
        )
        record["gqi"] = result.value
        record["gqi_unit"] = unit
        record["gqi_note"] = result.note


def _pareto(group: list[dict[str, Any]]) -> None:
    higher = bool(group[0].get("higher_is_better", True))
    for cost, field in (
        ("energy_per_query_j", "pareto_energy"),
        ("emissions_per_query_g", "pareto_emissions"),
    ):
        points = [(primary_value(r), r.get(cost)) for r in group]
        front = set(pareto_front(points, higher_is_better=higher))
        for i, record in enumerate(group):
            if points[i][0] is not None and points[i][1] is not None:
                record[field] = i in front
