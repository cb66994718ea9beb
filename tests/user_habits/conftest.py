"""Fixtures of the user-habit tests: a tiny causal model and a task of our own, offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))

#: A task written for these tests: every answer is yes.
TASK = {
    "name": "tiny-yes",
    "description": "Every answer is yes.",
    "output_type": "multiple_choice",
    "choices": ["yes", "no"],
    "data": {"default": "offline", "offline": {"path": "tiny-yes.jsonl"}},
    "prompt": "question: {{ q }} answer:",
    "target": "label",
    "metrics": [{"name": "accuracy"}],
    "primary_metric": "accuracy",
    "generation": {"max_new_tokens": 3, "stop": ["\n"]},
}
QUESTIONS = ["is the bench green", "does the kite fly", "is the harbour quiet", "is it 42"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from tiny import build_causal

    return build_causal(tmp_path_factory.mktemp("tiny") / "tiny-causal", chat_template=False)


@pytest.fixture(scope="session")
def tasks_dir(tmp_path_factory) -> Path:
    tasks = tmp_path_factory.mktemp("tasks")
    (tasks / "tiny-yes.yaml").write_text(yaml.safe_dump(TASK))
    rows = [{"id": f"q{i}", "q": q, "label": "yes"} for i, q in enumerate(QUESTIONS)]
    (tasks / "tiny-yes.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    return tasks
