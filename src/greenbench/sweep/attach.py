"""Attaching a training run measured outside the sweep to one of its jobs.

``greenbench measure --attach RUN_DIR:JOB_ID -- python train.py …`` measures the command as
``measure`` always does, then stores its window in the job's record as the phase ``training``
(:data:`~greenbench.records.schema.TRAINING_PHASE`), with
:class:`~greenbench.records.schema.AttachedRun` saying it was attached, from which command.
It is a phase of its own, not ``finetune``: the sweep did not train the variant it evaluated,
so no CEGI is computed from it (CEGI needs a fine-tuned variant measured against its base,
``docs/metrics.md``); the watt-for-what view shows it as the job's training electricity.

The phase's emissions use the job's own carbon context (``record.carbon``: one grid and PUE per
record) on the record's ``energy_basis``; ``emissions_g.total`` then counts it, like a
fine-tuning phase. Attaching again replaces the earlier ``training`` phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from greenbench.errors import GreenbenchError
from greenbench.records import JobRecord, load_record
from greenbench.records.schema import TRAINING_PHASE, AttachedRun
from greenbench.records.values import as_float, job_emissions_g
from greenbench.units import J_PER_KWH

if TYPE_CHECKING:
    from greenbench.energy.measurement import Measurement


@dataclass(frozen=True)
class AttachTarget:
    """A job of a sweep's results store, named ``RUN_DIR:JOB_ID``."""

    run_dir: Path
    """The sweep's ``--out`` directory (holds ``results.db``)."""
    job_id: str
    """The job's id, e.g. ``j-0123456789ab``."""

    @property
    def store_path(self) -> Path:
        return self.run_dir / "results.db"


def parse_target(text: str) -> AttachTarget:
    """``RUN_DIR:JOB_ID`` checked against the store, without writing it: the directory holds a
    greenbench ``results.db`` whose job ``JOB_ID`` exists and was not fine-tuned by the sweep.
    GreenbenchError (one line, naming the input) otherwise."""
    from greenbench.store import ResultsStore

    run_dir, sep, job_id = text.rpartition(":")
    if not sep or not run_dir or not job_id:
        raise GreenbenchError(f"--attach {text!r}: expected RUN_DIR:JOB_ID")
    target = AttachTarget(Path(run_dir), job_id)
    if not target.store_path.is_file():
        raise GreenbenchError(
            f"--attach {text!r}: no results.db in {run_dir!r}; give the --out directory of a "
            "`greenbench run`"
        )
    with ResultsStore.open_readonly(target.store_path) as store:
        found = store.job(job_id)
    if found is None:
        raise GreenbenchError(f"--attach {text!r}: no job {job_id!r} in {target.store_path}")
    if "finetune" in load_record(found).phases:
        raise GreenbenchError(
            f"--attach {text!r}: job {job_id!r} was fine-tuned by the sweep; its training "
            "electricity is its finetune phase"
        )
    return target


def training_emissions_g(record: JobRecord) -> float | None:
    """gCO2e of the record's ``training`` phase on its ``energy_basis``, with its carbon
    context; None when the energy or the context is missing."""
    phase = record.phases.get(TRAINING_PHASE)
    carbon = record.carbon
    if phase is None or carbon is None or None in (carbon.intensity_g_per_kwh, carbon.pue):
        return None
    energy = phase.net_energy_j if record.energy_basis == "net" else phase.energy_j
    joules = as_float(energy.get("total"))
    if joules is None:
        return None
    return joules / J_PER_KWH * float(carbon.intensity_g_per_kwh) * float(carbon.pue)


def attach_training(
    target: AttachTarget,
    measurement: Measurement,
    *,
    command: list[str],
    exit_status: int,
    meter: str,
) -> JobRecord:
    """Store ``measurement`` as the job's ``training`` phase; rewrite the directory's
    ``results.json`` (when there is one) from the store; return the updated record."""
    from greenbench.records.per_task import with_task_fields
    from greenbench.store import ResultsStore
    from greenbench.sweep.phases import phase_of
    from greenbench.sweep.worker import write_json_atomic

    phase = phase_of([measurement])
    phase.attached = AttachedRun(
        tool="greenbench measure",
        command=list(command),
        exit_status=exit_status,
        meter=meter,
        idle_baseline=bool(measurement.idle_energy_j),
        attached_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    with ResultsStore(target.store_path) as store:
        found = store.job(target.job_id)
        if found is None:  # deleted while the command ran
            raise GreenbenchError(f"--attach: job {target.job_id!r} is no longer in the store")
        record = load_record(found)
        record.phases[TRAINING_PHASE] = phase
        per_phase = {k: v for k, v in record.emissions_g.items() if k != "total"}
        per_phase[TRAINING_PHASE] = training_emissions_g(record)
        repeats = {name: p.repeats for name, p in record.phases.items()}
        record.emissions_g = {"total": job_emissions_g(per_phase, repeats), **per_phase}
        store.put_job(record)
        results = target.run_dir / "results.json"
        if results.is_file():
            plan = (store.meta() or {}).get("plan")
            records = store.records()
            if isinstance(plan, list):
                records = [r for r in records if r.job_id in set(plan)]
            write_json_atomic(results, with_task_fields(records))
    return record
