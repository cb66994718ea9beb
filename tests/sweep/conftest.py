"""Fixtures of the sweep tests: fake jobs importable by the worker process, offline hubs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("GB_FAKE_LOG", str(tmp_path / "runs.log"))
    # this test's jobs share host counters with each other only, not with other test runs
    monkeypatch.setenv("GREENBENCH_LEDGER_DIR", str(tmp_path / "host-ledger"))
