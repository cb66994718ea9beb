"""What runs on a Ray node for :class:`~greenbench.sweep.executors.ray_executor.RayExecutor`.

Two functions, each the body of a Ray task pinned to one node:

- :func:`calibrate_node` — once per node, before its first job: the node's identity, its
  hardware (``greenbench.environment.describe``) and its idle power per energy meter, measured
  while the task holds every CPU and GPU of the node so none of our jobs runs meanwhile;
- :func:`run_on_node` — one job: the same worker process as the local executor
  (``python -m greenbench.sweep.worker``, via ``run_in_subprocess``),
  given its node's idle baseline (restricted to the GPUs Ray gave the job) and its node's
  location, so a crash is contained and the job is measured alone.

Imported on the nodes (where greenbench must be installed), never for the local executor.
"""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

from greenbench.sweep.plan import Job
from greenbench.sweep.worker import run_in_subprocess

#: How a failed record from :func:`run_in_subprocess` starts when the worker process died from a
#: signal (OOM killer, SIGSEGV, an operator's kill): a system failure, retried by Ray.
KILLED_PREFIX = "worker killed by "
#: Node labels (``ray start --labels "greenbench-country=DEU,greenbench-pue=1.2"``) giving the
#: node's location; a node with any of them is resolved from its labels alone.
LOCATION_LABELS = {
    "greenbench-country": "country",
    "greenbench-region": "region",
    "greenbench-carbon-intensity": "intensity",
    "greenbench-pue": "pue",
}
#: The tail of the worker's stderr sent back to the driver for ``DIR/logs/<job_id>.log``, bytes.
LOG_TAIL_BYTES = 256 * 1024


class WorkerDied(RuntimeError):
    """The job's worker process was killed by a signal; Ray retries the task on this error."""


class NodeFacts(TypedDict):
    """What :func:`calibrate_node` found on a node; the driver hands it to each job there."""

    node: dict[str, Any]
    """:func:`node_identity`."""
    environment: dict[str, Any]
    """The node's hardware and software (``greenbench.environment.describe()``)."""
    carbon: dict[str, Any] | None
    """The node's location from its labels (:func:`node_carbon`; None: the sweep's)."""
    gpu_ids: list[str]
    """The node's GPUs in the CUDA order of the idle baselines' ``gpu:<i>`` components."""
    idle: dict[str, dict[str, Any]]
    """Meter name -> ``IdleBaseline.to_dict()`` (empty: not calibrated, gross energy)."""


class JobOutcome(TypedDict):
    """What :func:`run_on_node` sends back to the driver for one job."""

    record: dict[str, Any]
    """The job record (ok or failed; docs/records.md), with ``node`` set."""
    samples: list[dict[str, Any]]
    """Its per-sample logs."""
    log: str
    """The tail of the worker's stderr (at most ``LOG_TAIL_BYTES``)."""


def node_identity() -> dict[str, Any]:
    """``{"id", "hostname", "ip", "labels"}`` of the node this Ray task runs on.

    ``labels`` are the user's node labels (``ray start --labels``), Ray's own ``ray.io/*`` left
    out.
    """
    import ray

    ctx = ray.get_runtime_context()
    return {
        "id": ctx.get_node_id(),
        "hostname": socket.gethostname(),
        "ip": ray.util.get_node_ip_address(),
        "labels": {
            k: _label(v)
            for k, v in (ctx.get_node_labels() or {}).items()
            if not k.startswith("ray.io/")
        },
    }


def _label(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def calibrate_node(meters: list[str], seconds: float) -> NodeFacts:
    """Describe this node and measure its idle power with each meter in ``meters``.

    Args:
        meters: energy meter names (``auto``, ``rapl``, …) the sweep's jobs use.
        seconds: calibration window per meter, seconds; 0 skips calibration (gross energy).

    Returns:
        The node's facts; its ``gpu_ids`` are the devices Ray gave this task (all of the
        node's).

    Raises:
        GreenbenchError: a meter cannot read this node's counters, or its location labels are
            wrong.
    """
    import ray

    from greenbench.energy import EnergyMeter
    from greenbench.environment import describe

    identity = node_identity()
    carbon = node_carbon(identity["labels"])
    idle: dict[str, Any] = {}
    if seconds > 0:
        for meter_name in dict.fromkeys(meters):
            with EnergyMeter(meter=meter_name) as meter:
                idle[meter_name] = meter.calibrate_idle(seconds).to_dict()
    return {
        "node": identity,
        "environment": describe(),
        "carbon": carbon,
        "gpu_ids": [str(g) for g in ray.get_gpu_ids()],
        "idle": idle,
    }


def job_baseline(
    idle: dict[str, Any] | None, node_gpu_ids: list[str], job_gpu_ids: list[str]
) -> dict[str, Any] | None:
    """The node's idle baseline as the job's meter will see it.

    The meter names GPUs ``gpu:<i>`` by CUDA index after ``CUDA_VISIBLE_DEVICES``, which Ray
    sets per task: the node was calibrated with all its GPUs (``node_gpu_ids``), the job sees
    only its own (``job_gpu_ids``). GPU components are renumbered to the job's view and the
    others dropped; CPU, RAM and other components are kept as they are.
    """
    if idle is None:
        return None
    power: dict[str, float] = {}
    provenance: dict[str, str] = {}
    old_prov = idle.get("provenance", {})
    for key, watts in idle["power_w"].items():
        if not key.startswith("gpu:"):
            power[key] = watts
            if key in old_prov:
                provenance[key] = old_prov[key]
    for index, gpu in enumerate(job_gpu_ids):
        if gpu not in node_gpu_ids:
            continue
        source = f"gpu:{node_gpu_ids.index(gpu)}"
        if source in idle["power_w"]:
            power[f"gpu:{index}"] = idle["power_w"][source]
            if source in old_prov:
                provenance[f"gpu:{index}"] = old_prov[source]
    return {**idle, "power_w": power, "provenance": provenance}


def node_carbon(labels: dict[str, str]) -> dict[str, Any] | None:
    """The node's carbon context from its location labels (None: it has none).

    Raises:
        GreenbenchError: an unknown country or region, or a bad number, in the labels.
    """
    given = {arg: labels[key] for key, arg in LOCATION_LABELS.items() if labels.get(key)}
    if not given:
        return None
    from greenbench.carbon import resolve_location
    from greenbench.errors import GreenbenchError

    try:
        return resolve_location(**given).to_dict()
    except GreenbenchError as exc:
        raise GreenbenchError(f"node labels greenbench-*: {exc}") from None


def run_on_node(
    job_data: dict[str, Any],
    facts: NodeFacts,
    *,
    cooldown_s: float,
    timeout_s: float | None,
    runner: str,
) -> JobOutcome:
    """Run one job in a worker process on this node.

    Args:
        job_data: the :class:`Job`, as ``model_dump(mode="json")``.
        facts: this node's :func:`calibrate_node` result.
        cooldown_s: pause before the job, seconds, so the previous job's heat and turbo state
            do not leak into this one's measurement.
        timeout_s: wall-clock limit of the worker, seconds (None: none).
        runner: ``module:function`` the worker runs the job with.

    Returns:
        The worker's record (ok or failed, with ``node`` set), its per-sample logs and the tail
        of its stderr.

    Raises:
        WorkerDied: the worker was killed by a signal (Ray retries the task).
    """
    import ray

    job = Job.model_validate(job_data)
    identity = node_identity()
    gpu_ids = [str(g) for g in ray.get_gpu_ids()]
    idle = job_baseline(facts["idle"].get(job.meter), facts["gpu_ids"], gpu_ids)
    carbon = facts["carbon"] or job.carbon
    if cooldown_s > 0:
        time.sleep(cooldown_s)
    with tempfile.TemporaryDirectory(prefix="greenbench-ray-") as tmp:
        log = Path(tmp) / "worker.log"
        record, samples = run_in_subprocess(
            job.model_copy(update={"idle": idle, "carbon": carbon}),
            timeout_s=timeout_s,
            runner=runner,
            log_path=log,
        )
        text = _tail(log)
    if record["status"] != "ok" and str(record.get("error") or "").startswith(KILLED_PREFIX):
        raise WorkerDied(record["error"])
    record["node"] = {**identity, "gpu_ids": gpu_ids}
    if not record.get("environment"):
        record["environment"] = facts["environment"]
    return {"record": record, "samples": samples, "log": text}


def _tail(path: Path) -> str:
    if not path.is_file():
        return ""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
        return fh.read().decode("utf-8", errors="replace")
