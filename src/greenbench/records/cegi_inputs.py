"""What a record's CEGI is computed on, as the CEGI paper defines it (``docs/metrics.md``).

- the metric: a gain in percentage points needs a metric on a 0..1 scale; the task's
  ``cegi_metric`` (e.g. SPICE or BLEU-4 for captioning, whose primary CIDEr runs 0..10) or else
  its primary metric; any other scale gives no CEGI, with the reason;
- the fine-tuning emissions on a chosen energy basis: ``net`` (above the idle baseline,
  greenbench's) or ``gross`` (everything the meters saw, as eco2AI measured in the paper);
- whether the gain is significant: not when the two 95% CIs overlap.
"""

from __future__ import annotations

from typing import Literal

from greenbench.metrics.catalogue import METRICS, UNIT
from greenbench.records.schema import JobRecord, QualityValue
from greenbench.records.values import as_float
from greenbench.units import J_PER_KWH

Basis = Literal["net", "gross"]
#: What a report says of a CEGI whose gain lies inside the overlap of the two 95% CIs.
NOT_SIGNIFICANT = "gain not significant"


def cegi_metric(record: JobRecord) -> str | None:
    """The metric the CEGI of ``record`` is computed on: its ``cegi_metric``, else its primary
    metric."""
    return record.cegi_metric or record.primary_metric


def scale_reason(metric: str | None) -> str | None:
    """Why ``metric`` cannot carry a CEGI (None when it can: a known metric on 0..1)."""
    info = METRICS.get(metric) if metric else None
    if info is None:
        return f"metric {metric!r} is not in the catalogue: its scale is unknown"
    if info.scale != UNIT:
        return f"{metric} is on a {info.scale} scale, not 0..1 (set the task's cegi_metric)"
    return None


def finetune_emissions_g(record: JobRecord, basis: Basis) -> float | None:
    """gCO2e of the ``finetune`` phase on ``basis``: the record's own figure when the basis is
    the record's, else the phase's energy on ``basis`` x the record's grid intensity x PUE
    (None when the phase, its energy or the carbon context is missing)."""
    phase = record.phases.get("finetune")
    if phase is None:
        return None
    if basis == record.energy_basis:
        return as_float(record.emissions_g.get("finetune"))
    energy = as_float((phase.net_energy_j if basis == "net" else phase.energy_j).get("total"))
    carbon = record.carbon
    if energy is None or carbon is None or None in (carbon.intensity_g_per_kwh, carbon.pue):
        return None
    return energy / J_PER_KWH * float(carbon.intensity_g_per_kwh) * float(carbon.pue)


def significant(base: QualityValue, tuned: QualityValue, higher_is_better: bool) -> bool | None:
    """True when the fine-tuned CI lies wholly beyond the base CI in the better direction;
    False when the two 95% CIs overlap (the gain lies inside their overlap); None when either
    CI is missing."""
    bounds = (base.ci_low, base.ci_high, tuned.ci_low, tuned.ci_high)
    if any(b is None for b in bounds):
        return None
    if higher_is_better:
        return float(tuned.ci_low) > float(base.ci_high)  # type: ignore[arg-type]
    return float(tuned.ci_high) < float(base.ci_low)  # type: ignore[arg-type]
