"""The typed record of a job before it runs (``docs/records.md``), shared by the job runner
and executors.

An executor that loses a job (worker crash, OOM kill, timeout) still records it: it calls
:func:`failed_record` in the driver, which needs nothing but the job itself. Records travel
between processes as JSON (:meth:`JobRecord.to_json`), so :func:`failed_record` returns JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from greenbench.records import SCHEMA_VERSION, JobRecord, load_record
from greenbench.sweep.plan import Job


def now_iso() -> str:
    """The current UTC time, ISO 8601 with offset."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_record(job: Job) -> JobRecord:
    """The record of ``job`` before anything is measured: what the job itself says (model,
    variant, task, carbon context…), measured fields empty or None, status ``failed``.

    The runner fills it in as phases complete and sets ``status`` to ``ok`` at the end, so a
    job that fails half-way keeps what it measured. The per-record figures are not set here:
    the driver attaches them when it commits the record.
    """
    variant = job.variant
    return JobRecord(
        schema=SCHEMA_VERSION,
        job_id=job.job_id,
        sweep=job.sweep,
        model={
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
        variant={
            "name": variant.name,
            "backend": variant.backend or job.model.kind,
            "dtype": variant.dtype,
            "quantization": variant.quantization,
            "bits": variant.bits,
            "batch_size": variant.batch_size,
            "finetune": variant.finetune.model_dump(mode="json") if variant.finetune else None,
        },
        base_job_id=job.base_job_id,
        task=job.task,
        limit=job.limit,
        repeats=job.repeats,
        meter=job.meter,
        primary_metric=None,
        higher_is_better=None,
        quality={},
        phases={},
        energy_basis="net" if job.idle else "gross",
        emissions_g={"total": 0.0},
        carbon=job.carbon,
        samples=0,
        tokens={"prompt": None, "generated": None},
        finetune_result=None,
        status="failed",
        error=None,
        environment=None,
        started_at=now_iso(),
        finished_at=None,
        task_hash=job.task_hash,
    )


def mark_failed(record: JobRecord, error: str) -> JobRecord:
    """A copy of ``record`` marked failed: the last line of ``error`` (500 characters at
    most), no quality, finished now; what was measured is kept."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    out = record.model_copy(deep=True)
    out.status = "failed"
    out.error = (lines[-1] if lines else "failed")[:500]
    out.quality = {}
    out.finished_at = now_iso()
    return out


def failed_record(
    job: Job, error: str, partial: JobRecord | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``partial`` (or a fresh skeleton of ``job``) marked failed with a one-line ``error``,
    as JSON (:func:`mark_failed`)."""
    record = load_record(partial) if partial else new_record(job)
    return mark_failed(record, error).to_json()
