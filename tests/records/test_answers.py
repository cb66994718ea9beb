"""What a job answered, checked per task: degenerate answers flagged, majority-class and chance
baselines of label tasks, and each variant's agreement with its model's reference variant — on
constructed records, through the per-task figures that results.json and every view read."""

from __future__ import annotations

import pytest

from greenbench.records.answers import label_answers, text_answers, text_digest
from greenbench.records.per_task import with_task_fields

CHOICES = ["positive", "negative"]
#: Six samples, four of them positive: majority baseline 4/6, chance 1/2.
REFS = {f"s{i}": [label] for i, label in enumerate(["positive"] * 4 + ["negative"] * 2)}


def label_record(job_id, given, *, model="m", variant=None, quality=None, **extra):
    answers = label_answers(dict(zip(REFS, given, strict=True)), REFS, CHOICES)
    correct = sum(g is not None and g in REFS[k] for k, g in zip(REFS, given, strict=True))
    return {
        "job_id": job_id,
        "task": "sentiment",
        "status": "ok",
        "primary_metric": "accuracy",
        "quality": {"accuracy": {"value": correct / len(REFS) if quality is None else quality}},
        "model": {"name": model, "kind": "hf"},
        "variant": variant or {"name": "fp32", "dtype": "fp32", "quantization": "none"},
        "answers": answers.model_dump(),
        **extra,
    }


def text_record(job_id, texts, *, variant):
    answers = text_answers({f"s{i}": t for i, t in enumerate(texts)})
    return {
        "job_id": job_id,
        "task": "summaries",
        "status": "ok",
        "primary_metric": "rougeL",
        "quality": {"rougeL": {"value": 0.2}},
        "model": {"name": "m", "kind": "hf"},
        "variant": variant,
        "answers": answers.model_dump(),
    }


INT8 = {"name": "int8", "dtype": "fp32", "quantization": "int8-dynamic"}
GGUF = {"name": "gguf", "backend": "llamacpp", "quantization": "gguf:Q4_1"}


def by_id(records):
    return {r["job_id"]: r for r in with_task_fields(records)}


def test_a_constant_label_answer_is_flagged_and_scores_only_the_majority_baseline():
    rows = by_id([label_record("const", ["positive"] * 6)])
    row = rows["const"]
    assert row["answer_warning"] == "constant answer: all 6 answers are 'positive'"
    assert row["quality"]["accuracy"]["value"] == pytest.approx(4 / 6)
    assert row["majority_baseline"] == pytest.approx(4 / 6)
    assert row["chance_baseline"] == pytest.approx(0.5)
    assert row["beats_majority"] is False


def test_a_varied_answer_set_is_not_flagged_and_can_beat_the_baseline():
    given = ["positive", "positive", "positive", "positive", "negative", "negative"]
    row = by_id([label_record("good", given)])["good"]
    assert row["answer_warning"] is None
    assert row["beats_majority"] is True


def test_unparseable_answers_count_as_one_class():
    row = by_id([label_record("mute", [None] * 6)])["mute"]
    assert row["answer_warning"] == "constant answer: all 6 answers are no label (unparseable)"
    assert row["quality"]["accuracy"]["value"] == 0.0


def test_95_percent_of_one_label_is_degenerate_and_94_is_not():
    refs = {f"s{i}": ["positive"] for i in range(100)}

    def share(n_positive):
        given = {k: "positive" if i < n_positive else "negative" for i, k in enumerate(refs)}
        record = label_record("x", ["positive"] * 6)
        record["answers"] = label_answers(given, refs, CHOICES).model_dump()
        return by_id([record])["x"]["answer_warning"]

    assert share(95) == "degenerate answers: 95 of 100 (95%) are 'positive'"
    assert share(94) is None


def test_baselines_with_several_accepted_labels_per_sample():
    refs = {"a": ["x"], "b": ["x", "y"], "c": ["z"], "d": ["y", "z"]}
    record = label_record("r", ["positive"] * 6)
    record["answers"] = label_answers(dict.fromkeys(refs, "x"), refs, ["x", "y", "z"]).model_dump()
    row = by_id([record])["r"]
    # x is accepted by a and b, y by b and d, z by c and d: the tie goes to the first label, x.
    assert row["majority_baseline"] == pytest.approx(2 / 4)
    # (1 + 2 + 1 + 2) accepted labels over 4 samples × 3 labels.
    assert row["chance_baseline"] == pytest.approx(6 / 12)


def test_generated_text_all_the_same_is_flagged_and_varied_text_is_not():
    same = text_record("same", ["The sentiment of this"] * 3, variant=INT8)
    varied = text_record("varied", ["a", "b", "a"], variant={"name": "fp32"})
    rows = by_id([same, varied])
    assert rows["same"]["answer_warning"] == "constant answer: all 3 answers are the same text"
    assert rows["varied"]["answer_warning"] is None
    # Not a label task: no baselines.
    assert rows["same"]["majority_baseline"] is None and rows["same"]["beats_majority"] is None


def test_agreement_with_the_reference_variant_in_a_constructed_sweep():
    reference = ["positive", "negative", "positive", "negative", "positive", "negative"]
    int8 = ["positive", "negative", "positive", "positive", None, "negative"]
    other = label_record("other-fp32", ["negative"] * 6, model="other")
    rows = by_id(
        [
            label_record("m-gguf", reference, variant=GGUF),
            label_record("m-fp32", reference),
            label_record("m-int8", int8, variant=INT8),
            other,
        ]
    )
    # The fp32 job is the reference even though the gguf job came first.
    assert rows["m-int8"]["agreement_with_reference"] == pytest.approx(4 / 6)
    assert rows["m-int8"]["agreement_reference"] == "m-fp32"
    assert rows["m-gguf"]["agreement_with_reference"] == 1.0
    assert rows["m-fp32"]["agreement_with_reference"] is None
    assert rows["m-fp32"]["agreement_note"] == "the reference variant"
    # Another model is compared with its own reference only: itself.
    assert rows["other-fp32"]["agreement_reference"] == "other-fp32"


def test_agreement_of_generated_text_and_a_model_without_a_plain_variant():
    fp32 = text_record("fp32", ["positive", "negative", "neg"], variant={"name": "fp32"})
    int8 = text_record("int8", ["positive", "The sentiment of", "neg"], variant=INT8)
    rows = by_id([fp32, int8])
    assert rows["int8"]["agreement_with_reference"] == pytest.approx(2 / 3)
    alone = by_id([text_record("int8", ["a", "b"], variant=INT8)])["int8"]
    assert alone["agreement_with_reference"] is None
    assert alone["agreement_note"] == "no plain (unquantized, not fine-tuned) reference"


def test_agreement_counts_only_the_samples_both_jobs_answered():
    fp32 = text_record("fp32", ["a", "b", "c", "d"], variant={"name": "fp32"})
    int8 = text_record("int8", ["a", "x"], variant=INT8)  # a limit of 2 samples
    assert by_id([fp32, int8])["int8"]["agreement_with_reference"] == pytest.approx(1 / 2)


def test_text_digest_ignores_surrounding_whitespace_only():
    assert text_digest(" positive\n") == text_digest("positive")
    assert text_digest("positive") != text_digest("Positive")
