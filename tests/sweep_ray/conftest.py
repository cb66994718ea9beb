"""Fixtures of the Ray executor tests: the module's Ray environment, a tiny sweep, its local run.

Helpers live in ``ray_sweep`` (a name of its own: test modules import it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ray_sweep import NOTES, NOTES_TASK, ray_environment, run_tiny, summary


@pytest.fixture(scope="module")
def ray_env(tmp_path_factory):
    """This module's Ray environment, set in ``os.environ`` for the module's duration."""
    tmp = tmp_path_factory.mktemp("ray-env")
    env = ray_environment(tmp)
    (tmp / "home").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory) -> Path:
    """A sweep config: a tiny Llama in fp32 and LoRA, on text-to-sql and a notes task."""
    import tiny
    import yaml

    root = tmp_path_factory.mktemp("tiny-sweep")
    model = tiny.build_causal(root / "tiny-llama")
    tasks = root / "tasks"
    tasks.mkdir()
    (tasks / "ray-notes.yaml").write_text(NOTES_TASK)
    rows = [{"id": i, "text": t, "summary": s} for i, t, s in NOTES]
    (tasks / "notes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = {
        "name": "ray-tiny",
        "location": {"country": "FRA"},
        "meter": "estimate",
        "idle_seconds": 0.2,
        "cooldown_s": 0,
        "job_timeout_s": 300,
        "tasks": [
            {"name": "text-to-sql", "limit": 3, "max_new_tokens": 8},
            {"name": "ray-notes", "tasks_dir": str(tasks)},
        ],
        "models": [
            {
                "name": "tiny-llama",
                "source": str(model),
                "kind": "hf",
                "variants": [
                    {"name": "fp32", "batch_size": 4},
                    {
                        "name": "lora",
                        "batch_size": 4,
                        "tasks": ["text-to-sql"],
                        "finetune": {"rank": 2, "steps": 2, "batch_size": 2, "train_samples": 4},
                    },
                ],
            }
        ],
    }
    path = root / "sweep.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="session")
def local_summary(tiny_config, tmp_path_factory) -> dict[str, tuple]:
    """The tiny sweep under the local executor (the reference the Ray runs must match)."""
    tmp = tmp_path_factory.mktemp("local")
    with pytest.MonkeyPatch.context() as patch:
        for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "GREENBENCH_CACHE_DIR"):
            patch.setenv(key, ray_environment(tmp)[key])
        run_tiny(tiny_config, tmp / "out", "local")
    return summary(tmp / "out")
