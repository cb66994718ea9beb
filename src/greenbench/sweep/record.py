"""The job record's skeleton (see docs/records.md), shared by the job runner and executors.

An executor that loses a job (worker crash, OOM kill, timeout) still records it: it calls
:func:`failed_record` in the driver, which needs nothing but the job itself.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from greenbench.sweep.plan import Job

#: Version of the record layout in docs/records.md.
SCHEMA = 1


def now_iso() -> str:
    """The current UTC time, ISO 8601 with offset."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_record(job: Job) -> dict[str, Any]:
    """A record for ``job`` with every field present and nothing measured yet (status failed).

    The runner fills it in as phases complete and sets ``status`` to ``ok`` at the end, so a
    job that fails half-way keeps what it measured.
    """
    variant = job.variant
    return {
        "schema": SCHEMA,
        "job_id": job.job_id,
        "sweep": job.sweep,
        "model": {
            "name": job.model.name,
            "kind": job.model.kind,
            "source": job.model.source,
            "architecture": job.model.architecture,
            "family": job.model.family,
            "params_total": None,
            "params_trainable": None,
            "params_active": job.model.active_params,
            "note": None,
        },
        "variant": {
            "name": variant.name,
            "backend": variant.backend or job.model.kind,
            "dtype": variant.dtype,
            "quantization": variant.quantization,
            "bits": variant.bits,
            "batch_size": variant.batch_size,
            "finetune": variant.finetune.model_dump(mode="json") if variant.finetune else None,
        },
        "base_job_id": job.base_job_id,
        "task": job.task,
        "limit": job.limit,
        "repeats": job.repeats,
        "meter": job.meter,
        "primary_metric": None,
        "higher_is_better": None,
        "quality": {},
        "phases": {},
        "energy_basis": "net" if job.idle else "gross",
        "emissions_g": {"total": 0.0},
        "carbon": job.carbon,
        "samples": 0,
        "tokens": {"prompt": None, "generated": None},
        "finetune_result": None,
        "status": "failed",
        "error": None,
        "environment": None,
        "started_at": now_iso(),
        "finished_at": None,
    }


def failed_record(job: Job, error: str, partial: dict[str, Any] | None = None) -> dict[str, Any]:
    """``partial`` (or a fresh skeleton) marked failed with a one-line ``error``."""
    record = dict(partial) if partial else new_record(job)
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    record["status"] = "failed"
    record["error"] = (lines[-1] if lines else "failed")[:500]
    record["quality"] = {}
    record["finished_at"] = now_iso()
    return record
