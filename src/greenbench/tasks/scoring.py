"""Scoring a task's predictions with its metrics: per-sample records plus aggregates with CIs."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from greenbench.metrics.quality import (
    METRICS,
    MetricResult,
    MetricValue,
    captioning,
    execution,
    labels,
    perplexity,
    text,
    vqa,
)
from greenbench.tasks import parsing
from greenbench.tasks.py_sandbox import run_python
from greenbench.tasks.sql_sandbox import SqlSandbox
from greenbench.tasks.sqldb import shop_database

if TYPE_CHECKING:
    from greenbench.tasks.task import Sample, Task

#: Text metrics: name -> f(predictions, references, seed=) -> MetricResult.
TEXT_METRICS: dict[str, Callable[..., MetricResult]] = {
    "rouge1": partial(text.rouge, rouge_type="rouge1"),
    "rouge2": partial(text.rouge, rouge_type="rouge2"),
    "rougeL": partial(text.rouge, rouge_type="rougeL"),
    "bleu": text.sacrebleu_bleu,
    "bleu4": captioning.bleu4,
    "cider": captioning.cider,
    "meteor": captioning.meteor,
    "spice": captioning.spice,
    "vqa_accuracy": vqa.vqa_accuracy,
    "final_number_match": labels.final_number_match,
}
#: SQL metrics: name -> f(pred outcomes, gold outcomes, ordered flags, seed=).
SQL_METRICS: dict[str, Callable[..., MetricResult]] = {
    "execution_accuracy": execution.execution_accuracy,
    "ves": execution.valid_efficiency_score,
}
#: Ranked-label metrics: name -> k.
TOP_K = {"top1_accuracy": 1, "top5_accuracy": 5}
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

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: ``metrics`` (name -> MetricValue.to_dict()), ``per_sample``,
        ``missing``."""
        return {
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "per_sample": self.per_sample,
            "missing": self.missing,
        }


def _sql_outcomes(task: Task, samples: list[Sample], preds: list[str]) -> tuple[list, list, list]:
    """Run gold and predicted SQL of each sample: on the task database (one private copy for
    all samples), or on a database built from the row's own script (``schema_field``)."""
    spec = task.spec
    pred_out, gold_out, ordered = [], [], []
    shared: SqlSandbox | None = None
    try:
        for sample, pred in zip(samples, preds, strict=True):
            script = sample.data.get(spec.schema_field) if spec.schema_field else None
            if script:
                box = SqlSandbox(script=script, timeout_s=spec.timeout_s)
            else:
                shared = shared or SqlSandbox(shop_database(), timeout_s=spec.timeout_s)
                box = shared
            try:
                gold_sql = str(sample.reference)
                gold_out.append(box.run(gold_sql, SQL_REPEATS))
                pred_sql = parsing.extract_sql(pred)
                empty = execution.QueryOutcome(None, 0.0, "empty prediction")
                pred_out.append(box.run(pred_sql, SQL_REPEATS) if pred_sql else empty)
                ordered.append("order by" in gold_sql.lower())
            finally:
                if box is not shared:
                    box.close()
    finally:
        if shared is not None:
            shared.close()
    return pred_out, gold_out, ordered


def _code_passes(task: Task, samples: list[Sample], preds: list[str]) -> list[bool]:
    programs = [parsing.build_program(s.data, p) for s, p in zip(samples, preds, strict=True)]
    run = partial(run_python, timeout_s=task.spec.timeout_s)
    # Each program is its own process; a few at a time keep the cores busy.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return [o.passed for o in pool.map(run, programs)]


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
    refs = [s.reference for s in samples]
    results: dict[str, MetricResult] = {}
    cache: dict[str, Any] = {}
    for metric in spec.metrics:
        name, kind = metric.name, METRICS[metric.name].inputs
        if kind == "text":
            results[name] = TEXT_METRICS[name](texts, refs, seed=seed)
        elif kind == "label":
            chosen = [parsing.parse_label(t, spec.choices or []) for t in texts]
            results[name] = labels.accuracy(chosen, refs, seed=seed)
        elif kind == "ranked":
            ranked = [parsing.ranked_indices(r) if r is not None else [] for r in raw]
            results[name] = labels.top_k_accuracy(ranked, refs, TOP_K[name], seed=seed)
        elif kind == "sql":
            if "sql" not in cache:
                cache["sql"] = _sql_outcomes(task, samples, texts)
            results[name] = SQL_METRICS[name](*cache["sql"], seed=seed)
        elif kind == "code":
            # Code keeps its leading indentation: a completion continues the prompt's body.
            code = ["" if r is None else str(r).rstrip() for r in raw]
            passed = _code_passes(task, samples, code)
            results[name] = execution.pass_at_k(
                [1] * len(passed), [int(p) for p in passed], 1, seed=seed
            )
        else:  # "lm"
            results[name] = perplexity.perplexity(
                texts, resources.get("reference_model_path"), seed=seed
            )
    per_sample = [
        {
            "id": s.id,
            "prompt": s.prompt,
            "prediction": raw[i],
            "reference": s.reference,
            "scores": {n: r.per_sample[i] if r.per_sample else None for n, r in results.items()},
        }
        for i, s in enumerate(samples)
    ]
    return TaskScore({n: r.metric for n, r in results.items()}, per_sample, missing)
