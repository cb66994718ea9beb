"""Scoring details a user relies on: label parsing, missing ids, per-sample records, training
pairs from a shipped train split."""

from __future__ import annotations

import pytest

from greenbench.errors import GreenbenchError
from greenbench.tasks import load_task
from greenbench.tasks.parsing import candidate_program, extract_sql, parse_label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Positive", "positive"),
        ("  negative.", "negative"),
        ("The sentiment is NEGATIVE, not positive", "negative"),
        ("I'd say neutral", None),
        ("non-positive", None),
    ],
)
def test_first_label_word_wins(text, label):
    assert parse_label(text, ["positive", "negative"]) == label


def test_extract_sql_from_chatty_answers():
    assert extract_sql("```sql\nSELECT 1;\n```\nThis returns one.") == "SELECT 1"
    assert extract_sql("SQL: SELECT name FROM t; DROP TABLE t") == "SELECT name FROM t"


def test_candidate_program_follows_human_eval():
    row = {
        "prompt": 'def f(x):\n    """Double."""\n',
        "test": "def check(c):\n    assert c(2) == 4",
        "entry_point": "f",
    }
    program = candidate_program(row, "    return 2 * x\n")
    assert program.rstrip() == row["prompt"] + "    return 2 * x"  # the test runs apart
    restated = candidate_program(row, "```python\ndef f(x):\n    return x + x\n```")
    assert restated.endswith("def f(x):\n    return x + x\n")  # the restatement is the one run


def test_missing_predictions_are_wrong_and_listed():
    task = load_task("sentiment")
    samples = task.samples(limit=4)
    preds = {samples[0].id: "Positive!", samples[1].id: "negative", samples[2].id: "meh"}
    result = task.score(samples, preds)
    assert result.missing == [samples[3].id]
    assert [r["scores"]["accuracy"] for r in result.per_sample] == [1.0, 1.0, 0.0, 0.0]
    record = result.per_sample[0]
    assert set(record) == {"id", "prompt", "prediction", "reference", "scores"}
    assert record["prediction"] == "Positive!" and record["prompt"] == samples[0].prompt
    as_dict = result.to_dict()
    assert as_dict["metrics"]["accuracy"]["value"] == 0.5 and as_dict["missing"] == [samples[3].id]


def test_sentiment_training_pairs_come_from_a_disjoint_split():
    task = load_task("sentiment")
    pairs = task.training_pairs(30, seed=0)
    assert len(pairs) == 30
    eval_prompts = {s.prompt for s in task.samples()}
    assert not {p for p, _ in pairs} & eval_prompts
    assert {c for _, c in pairs} == {"positive", "negative"}
    assert all(p.startswith("Is the sentiment of this review") for p, _ in pairs)


def test_tasks_without_training_data_say_so():
    with pytest.raises(GreenbenchError, match="task nli has no training data generator"):
        load_task("nli").training_pairs(3)


def test_unknown_metric_direction_query():
    with pytest.raises(GreenbenchError, match="no metric"):
        load_task("nli").higher_is_better("bleu")
    assert load_task("story-generation").higher_is_better("perplexity") is False


def test_perplexity_is_reported_unavailable_without_a_reference_model():
    task = load_task("story-generation")
    samples = task.samples(limit=3)
    result = task.score(samples, {s.id: s.reference for s in samples})
    assert result.metrics["perplexity"].value is None
    assert "reference_model_path" in result.metrics["perplexity"].unavailable
    assert result.per_sample[0]["scores"]["perplexity"] is None


def test_dialogue_training_pairs_are_disjoint_from_evaluation():
    task = load_task("dialogue-summarization")
    pairs = task.training_pairs(40, seed=1)
    assert len(pairs) == 40
    eval_rows = task.rows()
    assert not {p for p, _ in pairs} & {s.prompt for s in task.samples()}
    assert not {c for _, c in pairs} & {r["summary"] for r in eval_rows}


def test_every_registered_metric_can_be_scored():
    import typing

    from greenbench.metrics.catalogue import METRICS, InputKind

    for name, info in METRICS.items():
        assert info.inputs in typing.get_args(InputKind), name
        assert callable(info.scorer), name
