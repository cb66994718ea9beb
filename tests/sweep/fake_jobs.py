"""A fast fake job function for driver and executor tests (``--runner fake_jobs:run``).

It goes through the real worker process but loads no model: ``model.source`` picks what the
job does — ``fake:ok`` (a plausible ok record), ``fake:raise`` (uncaught exception),
``fake:exit`` (``os._exit(3)``), ``fake:sleep`` (sleeps ``GB_FAKE_SLEEP`` seconds, then ok).
Each run appends a line ``JOB_ID PID PPID ROUGE`` to the file named by ``GB_FAKE_LOG`` so tests
can count runs and see which process started the worker (``ROUGE``: ``loaded`` when the worker
started with rouge-score's scorer already imported, else ``-``).
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from greenbench.models.base import Step
from greenbench.sweep.config import SweepConfig, parse_config
from greenbench.sweep.plan import Job, expand
from greenbench.sweep.record import new_record, now_iso

if TYPE_CHECKING:  # the worker imports this module for ``run``: no driver import there
    from greenbench.sweep.runner import SweepOutcome

FAKE_RUNNER = "fake_jobs:run"
#: Samples per reported progress step of a fake job.
FAKE_BATCH = 4
CARBON = {
    "country": "FRA",
    "region": None,
    "intensity_g_per_kwh": 56.0,
    "pue": 1.0,
    "source": "test",
    "year": None,
    "is_default": False,
}

#: Quality of each variant name (text-to-sql execution accuracy), so CEGI has a gain.
QUALITY = {"base": 0.2, "fp32": 0.2, "lora": 0.45, "int8": 0.15}


def phase(total_j: float, duration_s: float = 1.0) -> dict:
    energy = {"total": total_j, "cpu": total_j * 0.8, "ram": total_j * 0.2}
    net = {k: v / 2 for k, v in energy.items()}
    return {
        "duration_s": duration_s,
        "energy_j": energy,
        "net_energy_j": net,
        "provenance": {"cpu": "estimated:fake", "ram": "estimated:fake"},
        "repeats": 1,
        "total_j_std": None,
        "repeat_totals_j": [total_j],
    }


def run(job: Job, on_step=None):
    log = os.environ.get("GB_FAKE_LOG")
    if log:
        with open(log, "a") as fh:
            rouge = "loaded" if "rouge_score.rouge_scorer" in sys.modules else "-"
            fh.write(f"{job.job_id} {os.getpid()} {os.getppid()} {rouge}\n")
    kind = job.model.source.removeprefix("fake:")
    if kind == "raise":
        raise RuntimeError("boom: the model exploded")
    if kind == "exit":
        os._exit(3)
    if kind == "sleep":
        time.sleep(float(os.environ.get("GB_FAKE_SLEEP", "30")))
    record = new_record(job).to_json()
    quality = QUALITY.get(job.variant.name, 0.3)
    samples = job.limit or 10
    if on_step is not None:  # as a batching backend reports: per batch of FAKE_BATCH samples
        for done in range(0, samples + 1, FAKE_BATCH):
            on_step(Step("inference", done, samples))
        if samples % FAKE_BATCH:
            on_step(Step("inference", samples, samples))
    record.update(
        primary_metric="execution_accuracy",
        higher_is_better=True,
        quality={"execution_accuracy": {"value": quality, "ci_low": 0.0, "ci_high": 1.0}},
        samples=samples,
        tokens={"prompt": 100, "generated": 50},
        status="ok",
        finished_at=now_iso(),
    )
    size = 2.0 if job.variant.name == "int8" else 4.0
    record["phases"] = {"load": phase(1.0), "inference": phase(size * samples)}
    if job.variant.finetune is not None:
        record["phases"]["finetune"] = phase(360.0)
        record["finetune_result"] = {"steps": 3, "trainable_params": 1000, "train_samples": 8}
        record["model"]["params_trainable"] = 1000
    intensity = job.carbon["intensity_g_per_kwh"]
    emissions = {
        k: p["net_energy_j"]["total"] / 3.6e6 * intensity for k, p in record["phases"].items()
    }
    record["emissions_g"] = {"total": sum(emissions.values()), **emissions}
    logs = [
        {"id": f"s{i}", "prompt": "p", "prediction": "x", "reference": "y", "score": 1.0}
        for i in range(samples)
    ]
    return record, logs


def fake_config(*sources: str, **changes):
    """A config whose models are fake jobs (``fake:ok`` …), with a LoRA variant on the first."""
    data = {
        "name": "fake",
        "tasks": ["text-to-sql"],
        "limit": 4,
        "idle_seconds": 0,
        "cooldown_s": 0,
        "models": [
            {
                "name": f"m{i}-{source.removeprefix('fake:')}",
                "source": source,
                "variants": [{"name": "fp32"}, {"name": "lora", "finetune": {"rank": 2}}]
                if i == 0
                else [{"name": "int8", "quantization": "int8-dynamic"}],
            }
            for i, source in enumerate(sources)
        ],
    }
    data.update(changes)
    return parse_config(data, "fake.yaml")


def fake_jobs(*sources: str) -> list[Job]:
    return expand(fake_config(*sources), CARBON)


def sweep(out_dir: str, *sources: str, config: SweepConfig | None = None) -> SweepOutcome:
    """Run a fake sweep into ``out_dir`` with the local executor, no checks and no report:
    ``config``, or ``fake_config(*sources)`` (run as a script: the driver a test can SIGKILL)."""
    from greenbench.sweep.executors.local import LocalExecutor
    from greenbench.sweep.runner import run_sweep

    config = config or fake_config(*sources)
    return run_sweep(
        config,
        expand(config, CARBON),
        out_dir,
        executor=LocalExecutor(runner=FAKE_RUNNER, check=False),
    )


if __name__ == "__main__":
    import sys

    sweep(*sys.argv[1:])


def runs(tmp_path) -> list[tuple[str, int]]:
    """``(job id, worker pid)`` of each fake job run, in order."""
    log = tmp_path / "runs.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [(line.split()[0], int(line.split()[1])) for line in lines]
