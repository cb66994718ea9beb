"""Scoring a task's predictions with its metrics: per-sample records plus aggregates with CIs."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenbench.metrics.catalogue import METRICS, InputKind
from greenbench.metrics.quality import MetricResult, MetricValue, execution
from greenbench.metrics.quality.ci import unavailable
from greenbench.tasks import parsing
from greenbench.tasks.choices import ChoiceScores
from greenbench.tasks.code_check import check_candidate
from greenbench.tasks.py_sandbox import isolation
from greenbench.tasks.sql_sandbox import SqlSandbox, settle
from greenbench.tasks.sqldb import shop_database

if TYPE_CHECKING:
    from greenbench.tasks.task import Sample, Task

#: Repeats of each SQL query for VES timing (best of).
SQL_REPEATS = 3


@dataclass
class TaskScore:
    """A task's scores over a set of samples."""

    metrics: dict[str, MetricValue]
    """Metric name -> aggregate with 95% bootstrap CI."""
    per_sample: list[dict[str, Any]]
    """One record per sample: id, prompt, prediction, reference, scores {metric: float|None}."""
    missing: list[str] = field(default_factory=list)
    """Sample ids with no prediction (scored as wrong)."""
    sandbox: str | None = None
    """How generated code was contained (``py_sandbox.Isolation.note``); None when no code
    ran."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: ``metrics`` (name -> MetricValue.to_dict()), ``per_sample``,
        ``missing``."""
        return {
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "per_sample": self.per_sample,
            "missing": self.missing,
            "sandbox": self.sandbox,
        }


def _sql_outcomes(
    task: Task, samples: list[Sample], preds: list[str]
) -> tuple[list[execution.QueryOutcome], list[execution.QueryOutcome], list[bool]]:
    """Run gold and predicted SQL of each sample: on the row's own database file
    (``database_path``, Spider; one private copy per file), on a database built from the row's
    own script (``schema_field``), or on the task database (one private copy for all)."""
    spec = task.spec
    pred_out: list[execution.QueryOutcome] = []
    gold_out: list[execution.QueryOutcome] = []
    ordered: list[bool] = []
    shared: dict[str, SqlSandbox] = {}
    try:
        for sample, pred in zip(samples, preds, strict=True):
            script = sample.data.get(spec.schema_field) if spec.schema_field else None
            db_file = sample.data.get("database_path") or (None if script else shop_database())
            if db_file is not None:
                key = str(db_file)
                if key not in shared:
                    shared[key] = SqlSandbox(Path(db_file), timeout_s=spec.timeout_s)
                box = shared[key]
            else:
                box = SqlSandbox(script=script, timeout_s=spec.timeout_s)
            try:
                gold_sql = str(sample.reference)
                gold = box.run(gold_sql, SQL_REPEATS)
                pred_sql = parsing.extract_sql(pred)
                empty = execution.QueryOutcome(None, 0.0, "empty prediction")
                outcome = box.run(pred_sql, SQL_REPEATS) if pred_sql else empty
                ordered.append("order by" in gold_sql.lower())
                # Rows are compared now and released: only row-free outcomes are kept.
                outcome, gold = settle(outcome, gold, ordered[-1])
                pred_out.append(outcome)
                gold_out.append(gold)
            finally:
                if db_file is None:
                    box.close()
    finally:
        for box in shared.values():
            box.close()
    return pred_out, gold_out, ordered


def _code_passes(task: Task, samples: list[Sample], preds: list[str]) -> list[bool]:
    check = partial(check_candidate, timeout_s=task.spec.timeout_s)
    # Each check is two sandboxed processes; a few at a time keep the cores busy.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        verdicts = pool.map(check, [s.data for s in samples], preds)
        return [v.passed for v in verdicts]


def _scorer_inputs(
    kind: InputKind,
    task: Task,
    samples: list[Sample],
    raw: list[Any],
    texts: list[str],
    resources: dict[str, Any],
) -> tuple:
    """The positional arguments a scorer of input ``kind`` takes (see ``InputKind``)."""
    refs = [s.reference for s in samples]
    if kind == "text":
        return texts, refs
    if kind == "label":
        return [
            r.label if isinstance(r, ChoiceScores) else parsing.parse_label(t, s.choices or [])
            for r, t, s in zip(raw, texts, samples, strict=True)
        ], refs
    if kind == "label_norm":
        return [r.label_norm if isinstance(r, ChoiceScores) else None for r in raw], refs
    if kind == "ranked":
        return [parsing.ranked_indices(r) if r is not None else [] for r in raw], refs
    if kind == "sql":
        return _sql_outcomes(task, samples, texts)
    if kind == "code":
        # Code keeps its leading indentation: a completion continues the prompt's body.
        passed = _code_passes(task, samples, ["" if r is None else str(r).rstrip() for r in raw])
        return [1] * len(passed), [int(p) for p in passed]
    return texts, resources.get("reference_model_path")  # "lm"


def score_samples(
    task: Task,
    samples: list[Sample],
    predictions: dict[str, Any],
    resources: dict[str, Any] | None = None,
    seed: int = 0,
) -> TaskScore:
    """Score ``predictions`` (sample id -> output) on ``samples`` with every metric of the task.

    Missing ids count as wrong (empty output) and are listed in ``missing``."""
    spec = task.spec
    resources = resources or {}
    missing = [s.id for s in samples if s.id not in predictions]
    raw = [predictions.get(s.id) for s in samples]
    classify = spec.output_type == "classify"
    # Stop strings are the generator's business; outputs are scored as given (stripped).
    texts = ["" if r is None or classify else str(r).strip() for r in raw]
    results: dict[str, MetricResult] = {}
    inputs: dict[str, tuple] = {}  # input kind -> scorer arguments, built once per kind
    by_loglik = bool(raw) and all(isinstance(r, ChoiceScores) for r in raw)
    for metric in spec.metrics:
        info = METRICS[metric.name]
        if info.inputs == "label_norm" and not by_loglik:
            results[metric.name] = unavailable(
                "needs log-likelihood scoring of the choices (choice_scoring: loglikelihood)",
                len(samples),
            )
            continue
        if info.inputs not in inputs:
            inputs[info.inputs] = _scorer_inputs(info.inputs, task, samples, raw, texts, resources)
        results[metric.name] = info.scorer(
            *inputs[info.inputs], **metric.scorer_options(), seed=seed
        )
    per_sample = [
        {
            "id": s.id,
            "prompt": s.prompt,
            "prediction": str(raw[i]) if isinstance(raw[i], ChoiceScores) else raw[i],
            "reference": s.reference,
            "scores": {n: r.per_sample[i] if r.per_sample else None for n, r in results.items()},
            **(raw[i].to_log() if isinstance(raw[i], ChoiceScores) else {}),
        }
        for i, s in enumerate(samples)
    ]
    sandbox = isolation().note if "code" in inputs else None
    return TaskScore({n: r.metric for n, r in results.items()}, per_sample, missing, sandbox)
