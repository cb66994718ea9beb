"""Fixtures of the sweep tests: fake jobs importable by the worker process, offline hubs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from greenbench.sweep.config import parse_config
from greenbench.sweep.plan import Job, expand

HERE = Path(__file__).resolve().parent
FAKE_RUNNER = "fake_jobs:run"
CARBON = {"country": "FRA", "region": None, "intensity_g_per_kwh": 56.0, "pue": 1.0}


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("GB_FAKE_LOG", str(tmp_path / "runs.log"))


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


def runs(tmp_path) -> list[str]:
    """Job ids the fake runner ran, in order."""
    log = tmp_path / "runs.log"
    return log.read_text().split() if log.exists() else []
