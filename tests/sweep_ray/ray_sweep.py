"""Helpers of the Ray executor tests: a loopback-only Ray environment, a tiny sweep to run.

Ray reads its environment when it starts (the raylet passes it on to every worker, and so to the
job's worker process), so each module sets the variables below before it starts its one Ray
instance: no usage statistics, no auth token written to the real home, node addresses kept on
loopback, no model hub, and the fake job functions of ``tests/sweep`` importable.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path.insert(0, str(TESTS / "sweep"))  # fake_jobs
sys.path.insert(0, str(TESTS / "models"))  # tiny

#: A task written for these tests (no third-party text): summarize a one-line note.
NOTES = [
    ("n1", "the lab moved the green bench to the quiet harbour", "bench moved to harbour"),
    ("n2", "a red kite flew over the meeting at dawn", "kite over meeting"),
    ("n3", "the answer is 42 and the query cost one joule", "answer 42, one joule"),
    ("n4", "select the planets with more than two moons", "planets with two moons"),
]
NOTES_TASK = """\
name: ray-notes
description: Summarize a one-line note (written for the Ray executor tests).
output_type: generate
architecture_hint: causal
data:
  default: offline
  offline: {path: notes.jsonl}
prompt: "summarize: {{ text }}"
target: summary
metrics:
  - {name: rougeL}
primary_metric: rougeL
generation: {max_new_tokens: 6}
"""


def ray_environment(tmp: Path) -> dict[str, str]:
    """Variables every Ray process of a test module starts with."""
    path = [str(TESTS / "sweep"), str(HERE), os.environ.get("PYTHONPATH", "")]
    return {
        "HOME": str(tmp / "home"),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "disabled",
        # Ray's single-machine switch: keep node addresses on 127.0.0.1 (see import_ray).
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TOKENIZERS_PARALLELISM": "false",
        "GREENBENCH_CACHE_DIR": str(tmp / "cache"),
        "GB_FAKE_LOG": str(tmp / "runs.log"),
        "GB_FAKE_SLEEP": "6",
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
    }


def run_tiny(config_path: Path, out: Path, executor: str, **options) -> list[dict]:
    """Run the tiny sweep with ``executor`` into ``out``; return its results.json."""
    from greenbench.sweep.executors import build_executor
    from greenbench.sweep.runner import prepare, run_sweep

    config, jobs = prepare(config_path)
    run_sweep(config, jobs, out, build_executor(executor, config, out, **options))
    return json.loads((out / "results.json").read_text())


def summary(out: Path) -> dict[str, tuple]:
    """job id -> (status, model, variant, task, quality, predictions) of the sweep in ``out``:
    what must not depend on where the jobs ran."""
    from greenbench.store import ResultsStore

    with ResultsStore(out / "results.db") as store:
        return {
            r["job_id"]: (
                r["status"],
                r["model"]["name"],
                r["variant"]["name"],
                r["task"],
                {name: m["value"] for name, m in r["quality"].items()},
                [(s["id"], s["prediction"]) for s in store.samples(r["job_id"])],
            )
            for r in store.jobs()
        }
