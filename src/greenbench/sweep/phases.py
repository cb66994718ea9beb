"""What a job's record says of its phases: a measured phase from its windows, an estimated
phase of a kind-estimate model, and the record's emissions per phase and in total."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from greenbench.records.schema import JobRecord, Phase
from greenbench.sweep.plan import Job

if TYPE_CHECKING:
    from greenbench.energy.measurement import Measurement


def sum_or_none(values: list[int | None]) -> int | None:
    """The sum of ``values``; None when one of them is None (a count not known)."""
    return None if any(v is None for v in values) else sum(values)


def estimated_phase(job: Job, outputs: dict[str, list[Any]]) -> Phase:
    """The inference phase of a kind-estimate model, scaled from its active parameters:
    energy (epoch2025, the default) or emissions (garg2025), prompt tokens counted."""
    from greenbench.energy import param_scaling

    prompt, generated = (
        sum_or_none(outputs["prompt_tokens"]),
        sum_or_none(outputs["generated_tokens"]),
    )
    queries = len(outputs["predictions"])
    if job.model.param_scaling == "garg2025":
        tokens = None if prompt is None or generated is None else prompt + generated
        grams = param_scaling.estimate_inference_emissions_garg2025(
            job.model.active_params, queries, tokens
        )
        return Phase(
            duration_s=None,
            energy_j={"total": None},
            net_energy_j={"total": None},
            provenance=dict(grams["provenance"]),
            repeats=1,
            emissions_g=grams["emissions_g"],
        )
    estimate = param_scaling.estimate_inference_energy(
        job.model.active_params, queries, generated_tokens=generated, prompt_tokens=prompt
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


def phase_of(measurements: list[Measurement]) -> Phase:
    """One phase from its windows: mean per component, spread of the totals across repeats."""
    from greenbench.energy.host_ledger import SHARE_SUFFIX

    dicts = [m.to_dict() for m in measurements]
    n = len(dicts)

    def mean(key: str) -> dict[str, float]:
        keys = {k for d in dicts for k in d[key]}
        return {k: sum(d[key].get(k, 0.0) for d in dicts) / n for k in sorted(keys)}

    totals = [d["energy_j"]["total"] for d in dicts]
    provenance: dict[str, str] = {}
    for d in dicts:  # a repeat that shared the host with another job says so for the phase
        for key, method in d["provenance"].items():
            if key not in provenance or method.endswith(SHARE_SUFFIX):
                provenance[key] = method
    return Phase(
        duration_s=sum(d["duration_s"] for d in dicts) / n,
        energy_j=mean("energy_j"),
        net_energy_j=mean("net_energy_j"),
        provenance=provenance,
        repeats=n,
        total_j_std=statistics.stdev(totals) if n > 1 else None,
        repeat_totals_j=totals,
    )


def attach_emissions(job: Job, record: JobRecord) -> None:
    """gCO2e per phase (one pass) from the record's energy basis and the job's carbon context
    (for a kind-estimate model with a ``provider``, the provider's; a phase estimated in gCO2e
    directly (garg2025) keeps its own figure), and the job's ``total``: every pass of every
    phase."""
    from greenbench.carbon import CarbonContext, resolve_location
    from greenbench.records.values import job_emissions_g

    provider = job.model.provider if job.model.kind == "estimate" else None
    if provider is not None:
        ctx = resolve_location(
            country=provider.country,
            region=provider.region,
            intensity=provider.carbon_intensity,
            pue=provider.pue,
        )
        record.carbon = ctx.to_dict()
    else:
        ctx = CarbonContext(**job.carbon)
    net = record.energy_basis == "net"
    emissions = {
        name: p.emissions_g
        if p.emissions_g is not None
        else ctx.emissions_g((p.net_energy_j if net else p.energy_j)["total"])
        for name, p in record.phases.items()
    }
    repeats = {name: p.repeats for name, p in record.phases.items()}
    record.emissions_g = {"total": job_emissions_g(emissions, repeats), **emissions}
