"""Every built-in task loads offline, renders its prompts and scores a perfect prediction as
perfect, with CIs that bracket the value."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from greenbench.metrics.quality import captioning
from greenbench.models.base import LogLikelihood
from greenbench.tasks import Sample, list_tasks, load_task
from greenbench.tasks.choices import choose
from greenbench.tasks.parsing import imagenet_index

BUILTINS = [
    "code-generation",
    "code-summarization",
    "dialogue-summarization",
    "image-captioning",
    "image-classification",
    "math-reasoning",
    "nli",
    "sentiment",
    "story-generation",
    "text-to-sql",
    "vqa",
]
#: Metrics whose perfect score is not 1: CIDEr has no fixed maximum, VES depends on timing.
UNBOUNDED = {"cider": 3.0, "ves": 0.5}


def perfect_prediction(task_name: str, sample: Sample):
    """What a model that is always right would output for ``sample``."""
    if task_name == "image-classification":
        table, _ = imagenet_index()
        names = {i: label for label, i in table.items()}
        return [names[i] for i in sample.reference]
    if task_name == "vqa":
        return Counter(sample.reference).most_common(1)[0][0]
    if task_name == "image-captioning":
        return sample.reference[0]
    if sample.choices:  # multiple choice is scored by log-likelihood: the reference is likeliest
        scores = [
            LogLikelihood(-1.0 if c == sample.reference else -9.0, 1, True) for c in sample.choices
        ]
        return choose(sample.choices, scores)
    return sample.reference


def test_the_builtins_are_listed():
    assert [t.name for t in list_tasks()] == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_loads_renders_and_scores_perfect(name, monkeypatch):
    # METEOR's JVM takes ~30 s; it has its own slow test.
    monkeypatch.setattr(captioning, "meteor_unavailable_reason", lambda: "skipped in this test")
    task = load_task(name)
    assert task.source == "offline"
    samples = task.samples()
    assert len(samples) >= 40
    assert len({s.id for s in samples}) == len(samples)
    for s in samples:
        assert s.prompt.strip() and "{{" not in s.prompt
        json.dumps(s.reference)  # references export as JSON
    if task.spec.image_field:
        assert all(s.image is not None and s.image.mode == "RGB" for s in samples)
        images = {json.dumps(s.data["image"], sort_keys=True) for s in samples}
        assert len(images) >= 20
    if task.spec.output_type == "multiple_choice":
        assert {s.reference for s in samples} == set(task.spec.choices)
    result = task.score(samples, {s.id: perfect_prediction(name, s) for s in samples})
    assert result.missing == []
    assert len(result.per_sample) == len(samples)
    for metric, value in result.metrics.items():
        if value.unavailable:
            assert metric in {"meteor", "spice", "perplexity"}
            continue
        assert value.ci_low <= value.value <= value.ci_high
        if metric in UNBOUNDED:
            assert value.value > UNBOUNDED[metric]
        else:
            assert value.value == pytest.approx(1.0, abs=1e-6), metric
    assert task.spec.primary_metric in result.metrics


@pytest.mark.parametrize("name", BUILTINS)
def test_empty_predictions_score_low_and_are_all_missing(name, monkeypatch):
    monkeypatch.setattr(captioning, "meteor_unavailable_reason", lambda: "skipped in this test")
    task = load_task(name)
    samples = task.samples(limit=5)
    result = task.score(samples, {})
    assert result.missing == [s.id for s in samples]
    primary = result.metrics[task.spec.primary_metric]
    assert primary.value == 0.0


def test_generation_budgets_stay_small():
    budgets = {t.name: t.spec.generation.max_new_tokens for t in list_tasks()}
    assert budgets["sentiment"] <= 4 and budgets["nli"] <= 4
    assert budgets["text-to-sql"] <= 96 and budgets["dialogue-summarization"] <= 64


def test_text_to_sql_has_graded_difficulty():
    rows = load_task("text-to-sql").rows()
    assert len(rows) >= 60
    assert Counter(r["difficulty"] for r in rows).keys() == {"easy", "medium", "hard", "extra"}


def test_image_classification_accepts_label_strings_and_indices():
    task = load_task("image-classification")
    samples = task.samples(limit=2)  # both views of the cat photo
    preds = {samples[0].id: ["tabby, tabby cat", "tiger cat"], samples[1].id: ["lynx", "281"]}
    result = task.score(samples, preds)
    assert result.metrics["top1_accuracy"].value == 0.5
    assert result.metrics["top5_accuracy"].value == 1.0
