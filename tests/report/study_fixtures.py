"""A sweep store for the study views: one model LoRA-fine-tuned at two ranks and two bit widths
against its bases, and a larger model never fine-tuned (on a GPU, energy estimated). Records
are built with ``report_fixtures.record`` and get their per-record figures (CEGI, per-query
emissions) from the real commit-time code, not written in."""

from __future__ import annotations

from pathlib import Path

import report_fixtures as rf

from greenbench.records import load_records
from greenbench.records.per_record import attach

GPU_ENV = {**rf.ENVIRONMENT, "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3"}]}
EVIL = "<img src=x onerror=window.__xss=1>"


def _variant(row: dict, bits: int, rank: int | None, base: str | None) -> dict:
    row["variant"]["bits"] = bits
    if rank is not None:
        row["variant"]["finetune"]["rank"] = rank
    row["base_job_id"] = base
    return row


def raw_records() -> list[dict]:
    """Six jobs of text-to-sql (execution accuracy, 0..1)."""
    return [
        _variant(rf.record("j-base16", quality=0.40, ci=0.02), 16, None, None),
        _variant(
            rf.record(
                "j-r8-16",
                variant="lora-r8",
                quality=0.50,
                ci=0.02,
                finetune_j=900.0,
                trainable=460_800,
            ),
            16,
            8,
            "j-base16",
        ),
        _variant(
            rf.record(
                "j-r64-16",
                variant="lora-r64",
                quality=0.42,
                ci=0.05,
                finetune_j=1800.0,
                trainable=3_686_400,
            ),
            16,
            64,
            "j-base16",
        ),
        _variant(rf.record("j-base4", variant="nf4", quality=0.35, ci=0.02), 4, None, None),
        _variant(
            rf.record(
                "j-r8-4",
                variant="qlora-r8",
                quality=0.45,
                ci=0.02,
                finetune_j=700.0,
                trainable=460_800,
            ),
            4,
            8,
            "j-base4",
        ),
        {
            **_variant(
                rf.record(
                    "j-llm",
                    model=f"large{EVIL}",
                    quality=0.55,
                    inference_j=4000.0,
                    params=7_000_000_000,
                ),
                16,
                None,
                None,
            ),
            "environment": dict(GPU_ENV),
        },
    ]


def records() -> list[dict]:
    """The jobs as the store holds them: per-record figures attached against their base."""
    typed = load_records(raw_records())
    by_id = {r.job_id: r for r in typed}
    return [attach(r, by_id.get(r.base_job_id or "")).to_json() for r in typed]


def build(directory: Path, study: str | None = "cegi", cegi_basis: str = "net") -> Path:
    config = {"name": "study-sweep", "study": study, "cegi_basis": cegi_basis}
    return rf.build_store(directory, records(), {}, {**rf.META, "config": config})
