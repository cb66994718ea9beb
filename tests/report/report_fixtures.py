"""Constructed job records (docs/records.md) and per-sample logs for the report tests.

Two tasks; measured and estimated energy; a fine-tuned variant; a failed job; and hostile
strings (script tags, event handlers) in a model name, a prediction, a prompt and an error.
"""

from __future__ import annotations

import copy
from pathlib import Path

from greenbench.store import ResultsStore

#: Hostile text: run, it would set window.__xss and change the title.
XSS_SCRIPT = "<script>window.__xss = 1; document.title = 'pwned';</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss = 1; document.title = 'pwned'\">"
XSS_SEPARATORS = "line\u2028sep\u2029</script><script>window.__xss = 1</script>"

CARBON = {
    "country": "FRA",
    "region": None,
    "intensity_g_per_kwh": 56.0,
    "pue": 1.2,
    "source": "grid table (test)",
    "year": 2023,
    "is_default": False,
}
ENVIRONMENT = {
    "host": "bench-01",
    "cpu_model": "Test CPU 9000",
    "gpus": [],
    "python": "3.11.7",
    "packages": {"torch": "2.13.0", "transformers": "5.0.0"},
}
ESTIMATED = {"cpu": "estimated:cpu-time×tdp(65W)", "ram": "estimated:rss×0.375W/GB"}
MEASURED = {"cpu": "measured:rapl", "dram": "measured:rapl"}


def phase(total: float, provenance: dict, duration: float = 1.0, repeats: int = 1) -> dict:
    """One phase: ``total`` joules split 80/20 over the provenance's two components."""
    first, second = list(provenance)
    split = {"total": total, first: total * 0.8, second: total * 0.2}
    return {
        "duration_s": duration,
        "energy_j": split,
        "net_energy_j": {k: v / 2 for k, v in split.items()},
        "provenance": dict(provenance),
        "repeats": repeats,
        "total_j_std": total * 0.05 if repeats > 1 else None,
    }


def record(
    job_id: str,
    *,
    task: str = "text-to-sql",
    model: str = "small-lm",
    variant: str = "base",
    quality: float | None = 0.5,
    ci: float = 0.1,
    inference_j: float = 40.0,
    load_j: float = 10.0,
    finetune_j: float | None = None,
    provenance: dict | None = None,
    params: int = 135_000_000,
    trainable: int = 135_000_000,
    status: str = "ok",
    error: str | None = None,
    metric: str = "execution_accuracy",
    samples: int = 40,
) -> dict:
    """A job record with consistent per-query figures (intensity 56 g/kWh, PUE 1.2)."""
    prov = provenance or ESTIMATED
    phases = {"load": phase(load_j, prov), "inference": phase(inference_j, prov, repeats=3)}
    if finetune_j is not None:
        phases["finetune"] = phase(finetune_j, prov, duration=30.0)
    grams = {name: p["energy_j"]["total"] / 3.6e6 * 56.0 * 1.2 for name, p in phases.items()}
    finetune = (
        {"method": "lora", "rank": 8, "alpha": 16, "steps": 30, "train_samples": 200}
        if finetune_j is not None
        else None
    )
    per_query = inference_j / samples
    return {
        "schema": 1,
        "job_id": job_id,
        "sweep": "fixture-sweep",
        "model": {
            "name": model,
            "kind": "hf",
            "params_total": params,
            "params_trainable": trainable,
        },
        "variant": {
            "name": variant,
            "backend": "hf",
            "dtype": "fp32",
            "quantization": "none",
            "bits": 32,
            "batch_size": 8,
            "finetune": finetune,
        },
        "task": task,
        "primary_metric": metric,
        "higher_is_better": True,
        "quality": {}
        if quality is None
        else {
            metric: {
                "value": quality,
                "ci_low": quality - ci,
                "ci_high": quality + ci,
                "higher_is_better": True,
            }
        },
        "phases": phases,
        "energy_basis": "net" if prov is MEASURED else "gross",
        "emissions_g": {"total": sum(grams.values()), **grams},
        "carbon": dict(CARBON),
        "samples": samples,
        "tokens": {"prompt": 5000, "generated": 900},
        "status": status,
        "error": error,
        "energy_per_query_j": per_query,
        "emissions_per_query_g": grams["inference"] / samples,
        "energy_per_1k_queries_j": per_query * 1000,
        "cegi": 0.0123 if finetune_j is not None else None,
        "gqi": 3.5,
        "environment": copy.deepcopy(ENVIRONMENT),
    }


def job_emissions_g(record: dict) -> float:
    """``emissions_g.total`` of a fixture record once migrated to schema 3: every pass of every
    phase (the fixtures, at schema 1, store one inference pass although it ran 3 times)."""
    return sum(
        grams * record["phases"][name]["repeats"]
        for name, grams in record["emissions_g"].items()
        if name != "total"
    )


def records() -> list[dict]:
    """Seven jobs over two tasks, one failed, one measured, one fine-tuned, hostile strings."""
    return [
        record("j-small", quality=0.40, inference_j=40.0),
        record(
            "j-small-lora",
            variant="lora-r8",
            quality=0.62,
            inference_j=42.0,
            finetune_j=900.0,
            trainable=460_800,
        ),
        record(
            "j-large",
            model="large-lm",
            quality=0.66,
            inference_j=400.0,
            params=1_700_000_000,
            trainable=1_700_000_000,
        ),
        record("j-measured", model="rapl-lm", quality=0.30, inference_j=20.0, provenance=MEASURED),
        record("j-xss", model=f"evil{XSS_SCRIPT}", quality=0.10, inference_j=300.0),
        record(
            "j-sum",
            task="summarization",
            metric="rougeL",
            quality=0.21,
            inference_j=80.0,
        ),
        record(
            "j-failed",
            quality=None,
            status="failed",
            error=f"RuntimeError: out of memory {XSS_IMG}",
        ),
    ]


def samples_by_job() -> dict[str, list[dict]]:
    """Two samples per successful job; the hostile job's predictions carry payloads."""
    logs: dict[str, list[dict]] = {}
    for rec in records():
        if rec["status"] != "ok":
            continue
        logs[rec["job_id"]] = [
            {
                "id": f"{rec['job_id']}-s1",
                "prompt": "How many planets have more than 2 moons?",
                "prediction": "SELECT count(*) FROM planets WHERE moons > 2",
                "reference": "SELECT count(*) FROM planets WHERE moons > 2",
                "scores": {rec["primary_metric"]: 1.0},
            },
            {
                "id": f"{rec['job_id']}-s2",
                "prompt": f"List planets {XSS_IMG}",
                "prediction": XSS_SCRIPT if rec["job_id"] == "j-xss" else "SELECT name FROM x",
                "reference": "SELECT name FROM planets",
                "scores": {rec["primary_metric"]: 0.0},
            },
        ]
    logs["j-xss"].append(
        {
            "id": "j-xss-s3",
            "prompt": XSS_SEPARATORS,
            "prediction": XSS_IMG,
            "reference": "&amp; stays &amp;",
            "scores": {"execution_accuracy": 0.0},
        }
    )
    return logs


META = {
    "idle": {"power_w": {"total": 4.2, "cpu": 3.9}, "seconds": 3.0},
    "environment": ENVIRONMENT,
    "carbon": CARBON,
    "config": {"name": "fixture-sweep", "tasks": ["text-to-sql", "summarization"]},
}


def build_store(directory: Path, records: list[dict], samples: dict, meta: dict) -> Path:
    """Write ``records``, their samples and ``meta`` into ``directory/results.db``."""
    with ResultsStore(directory / "results.db") as store:
        for record in records:
            store.put_job(record, samples.get(record["job_id"]))
        for key, value in meta.items():
            store.set_meta(key, value)
    return directory
