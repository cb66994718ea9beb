"""exact_match with lm-evaluation-harness's options: each option changes a result computed by
hand, the options apply in lm-eval's order, and a task YAML's metric entry sets them."""

from __future__ import annotations

import json

import pytest

from greenbench.errors import GreenbenchError
from greenbench.metrics.quality.exact_match import exact_match
from greenbench.tasks import load_task


def em(pred: str, ref, **options) -> float:
    return exact_match([pred], [ref], **options).metric.value


@pytest.mark.parametrize(
    ("pred", "ref", "options", "plain", "with_options"),
    [
        ("Paris", "paris", {"ignore_case": True}, 0.0, 1.0),
        ("Paris.", "Paris", {"ignore_punctuation": True}, 0.0, 1.0),
        ("$1,000", "1000", {"ignore_punctuation": True}, 0.0, 1.0),
        ("The answer is 42", "42", {"regexes_to_ignore": [r"^The answer is "]}, 0.0, 1.0),
        ("a-b c", "ab\tc", {"regexes_to_ignore": ["-", r"\s"]}, 0.0, 1.0),
        ("a-b  c", "ab c", {"regexes_to_ignore": ["-"]}, 0.0, 0.0),  # spaces still differ
    ],
)
def test_each_option_changes_the_match_as_computed_by_hand(pred, ref, options, plain, with_options):
    assert em(pred, ref) == plain
    assert em(pred, ref, **options) == with_options


def test_regexes_apply_to_the_reference_too():
    # The regex strips "Answer: " from the reference; the prediction never had it.
    assert em("42", "Answer: 42") == 0.0
    assert em("42", "Answer: 42", regexes_to_ignore=["Answer: "]) == 1.0


def test_regexes_run_before_lower_case_as_in_lm_eval():
    # "The " is removed from the reference only (the prediction's "the " does not match the
    # case-sensitive regex); lower-casing comes after, so the strings differ. Lower-casing
    # first would remove nothing and make them equal.
    assert em("the cat", "The cat", ignore_case=True, regexes_to_ignore=["The "]) == 0.0
    assert em("The cat", "the cat", ignore_case=True, regexes_to_ignore=["The "]) == 0.0
    assert em("the cat", "The cat", ignore_case=True) == 1.0


def test_punctuation_is_ascii_only_and_spaces_stay():
    assert em("¿qué?", "qué", ignore_punctuation=True) == 0.0  # ¿ is not ASCII punctuation
    assert em("new-york", "new york", ignore_punctuation=True) == 0.0  # "newyork" != "new york"


def test_mean_over_samples_and_any_of_several_references():
    result = exact_match(
        ["Paris", "berlin", "Rome!"],
        [["Lyon", "Paris"], "Berlin", "Rome"],
        ignore_case=True,
    )
    assert result.per_sample == [1.0, 1.0, 0.0]
    assert result.metric.value == pytest.approx(2 / 3)
    assert result.metric.ci_low <= result.metric.value <= result.metric.ci_high


TASK = """\
name: capitals
output_type: generate
data:
  offline: {path: rows.jsonl}
prompt: "Capital of {{ country }}?"
target: capital
metrics:
  - name: exact_match
    ignore_case: true
    ignore_punctuation: true
    regexes_to_ignore: ["^The capital is "]
  - {name: rougeL}
primary_metric: exact_match
"""


def write_task(tmp_path, text: str = TASK):
    rows = [
        {"id": "fr", "country": "France", "capital": "Paris"},
        {"id": "de", "country": "Germany", "capital": "Berlin"},
    ]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = tmp_path / "capitals.yaml"
    path.write_text(text)
    return path


def test_a_task_metric_entry_sets_the_options(tmp_path):
    task = load_task(str(write_task(tmp_path)))
    samples = task.samples()
    result = task.score(samples, {"fr": "The capital is paris.", "de": "  Munich "})
    assert [s["scores"]["exact_match"] for s in result.per_sample] == [1.0, 0.0]
    assert result.metrics["exact_match"].value == 0.5


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - {name: rougeL}", "  - {name: rougeL, ignore_case: true}", "takes no option"),
        ('["^The capital is "]', '["(unclosed"]', "is not a regex"),
    ],
)
def test_bad_options_are_refused_naming_them(tmp_path, old, new, message):
    with pytest.raises(GreenbenchError, match=message):
        load_task(str(write_task(tmp_path, TASK.replace(old, new))))
