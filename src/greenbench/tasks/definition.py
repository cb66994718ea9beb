"""A task's definition hash: what a stored record was scored against (``record.task_hash``).

A job's id hashes the job (model, variant, task *name*, options…), not what the task file and
greenbench's defaults say today; a resumed sweep compares this hash with the stored record's to
tell a record scored the way the task is scored now from one scored under an earlier
definition (``docs/sweep.md``, resume).

:func:`task_hash` is the SHA-256 (64 hex digits) of the canonical JSON (sorted keys, no spaces,
UTF-8) of::

    {"spec": <the TaskSpec as validated, defaults filled, None fields left out>,
     "source": "offline" | "hub",
     "files": {"offline": <sha256 of the file's bytes>,   # only when source is offline
               "train": <sha256>,                         # when data.train is set
               "fewshot_file": <sha256>}}                 # when fewshot_file is set

so it covers the prompt template, target and choices, metrics and their options, output type,
``choice_scoring``, few-shot settings, generation settings, the hub dataset's path, split and
revision, and the bytes of every local data file the job reads. The spec is taken after the
job's own overrides (``choice_scoring``, ``num_fewshot``) are applied, so it is the
definition the job runs. It does not cover greenbench's code (a scorer's implementation), the
rows of a hub dataset (their revision is in the spec) or files the rows only name (bundled
images). Fields whose value is None are left out so that a spec field added later with a None
default does not change the hash of tasks that do not use it; a new default that changes how a
task is scored (as ``choice_scoring: loglikelihood`` did) changes it, which is the point.

lm-evaluation-harness records a per-task hash too (``task_hashes`` in its results file: SHA-256
over each evaluated sample's document, prompt and target hashes, computed after the run).
greenbench hashes the definition and data before the run instead, because the resume decision
is taken before any sample is rendered, and because the scoring settings (metrics, choice
scoring), which lm-eval's per-sample hashes do not cover, are what changes between versions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greenbench.tasks.task import Task


def _file_sha256(path: Path) -> str | None:
    """SHA-256 hex of the file's bytes; None when it does not exist (the job will fail)."""
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_files(task: Task) -> dict[str, Path]:
    """The local files the task reads for its source: role -> absolute path."""
    spec, base = task.spec, task.path.parent
    files: dict[str, Path] = {}
    if task.source == "offline" and spec.data.offline is not None:
        files["offline"] = base / spec.data.offline.path
    if spec.data.train is not None:
        files["train"] = base / spec.data.train.path
    if spec.fewshot_file is not None:
        files["fewshot_file"] = base / spec.fewshot_file
    return files


def task_hash(task: Task) -> str:
    """SHA-256 hex of ``task``'s definition and local data (see the module docstring)."""
    content = {
        "spec": task.spec.model_dump(mode="json", exclude_none=True),
        "source": task.source,
        "files": {role: _file_sha256(path) for role, path in data_files(task).items()},
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
