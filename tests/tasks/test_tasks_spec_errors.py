"""Bad task files fail early with one line naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greenbench.errors import GreenbenchError
from greenbench.tasks import list_tasks, load_task

GOOD = """\
name: my-task
output_type: multiple_choice
data:
  offline: {path: rows.jsonl}
prompt: "Review: {{ text }} -> positive or negative?"
target: label
choices: [positive, negative]
metrics:
  - {name: accuracy}
primary_metric: accuracy
generation: {max_new_tokens: 3}
"""
ROWS = [
    {"id": "r1", "text": "great", "label": "positive"},
    {"id": "r2", "text": "bad", "label": "negative"},
]


def write_task(directory: Path, yaml_text: str = GOOD, rows=ROWS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = directory / "my-task.yaml"
    path.write_text(yaml_text)
    return path


def test_a_user_task_loads_by_name_and_path(tmp_path):
    path = write_task(tmp_path)
    by_name = load_task("my-task", tasks_dir=tmp_path)
    by_path = load_task(str(path))
    assert by_name.name == by_path.name == "my-task"
    assert by_name.samples()[0].prompt == "Review: great -> positive or negative?"
    assert "my-task" in [t.name for t in list_tasks(tmp_path)]
    assert by_name.higher_is_better("accuracy") is True


def _error(path: Path) -> str:
    with pytest.raises(GreenbenchError) as info:
        load_task(str(path)).samples()
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_unknown_field_names_file_and_field(tmp_path):
    path = write_task(tmp_path, GOOD.replace("data:\n", "data:\n  offlne: {path: x}\n"))
    assert "unknown field 'data.offlne'" in _error(path)


def test_unknown_top_level_field(tmp_path):
    path = write_task(tmp_path, GOOD + "temperature: 0.7\n")
    assert "unknown field 'temperature'" in _error(path)


def test_missing_template_variable_names_file_and_variable(tmp_path):
    path = write_task(tmp_path, GOOD.replace("{{ text }}", "{{ review_text }}"))
    message = _error(path)
    assert "'review_text'" in message and "prompt" in message


def test_template_syntax_error_names_the_line(tmp_path):
    path = write_task(tmp_path, GOOD.replace("{{ text }}", "{{ text }"))
    assert "template syntax error" in _error(path)


def test_unknown_metric(tmp_path):
    path = write_task(tmp_path, GOOD.replace("{name: accuracy}", "{name: acuracy}"))
    message = _error(path)
    assert "metrics.0.name" in message and "unknown metric 'acuracy'" in message


def test_wrong_direction_for_a_metric(tmp_path):
    path = write_task(
        tmp_path, GOOD.replace("{name: accuracy}", "{name: accuracy, higher_is_better: false}")
    )
    assert "higher_is_better=True" in _error(path)


def test_primary_metric_must_be_listed(tmp_path):
    path = write_task(tmp_path, GOOD.replace("primary_metric: accuracy", "primary_metric: bleu"))
    assert "primary_metric 'bleu'" in _error(path)


def test_missing_dataset_file(tmp_path):
    path = write_task(tmp_path, GOOD.replace("rows.jsonl", "nowhere.jsonl"))
    message = _error(path)
    assert "data.offline.path" in message and "nowhere.jsonl" in message


def test_malformed_jsonl_line_names_file_and_line(tmp_path):
    path = write_task(tmp_path)
    (tmp_path / "rows.jsonl").write_text('{"id": "a", "text": "x", "label": "positive"}\n{oops\n')
    with pytest.raises(GreenbenchError, match=r"rows\.jsonl:2: not valid JSON"):
        load_task(str(path)).samples()


def test_invalid_yaml(tmp_path):
    path = write_task(tmp_path, "name: [unclosed\n")
    assert "invalid YAML" in _error(path)


def test_missing_required_field(tmp_path):
    path = write_task(tmp_path, GOOD.replace("target: label\n", ""))
    assert "missing field 'target'" in _error(path)


def test_unknown_task_and_bad_tasks_dir(tmp_path):
    with pytest.raises(GreenbenchError, match=r"unknown task 'nope'.*sentiment"):
        load_task("nope")
    with pytest.raises(GreenbenchError, match="not a directory"):
        list_tasks(tmp_path / "absent")


def test_unconfigured_source_is_refused(tmp_path):
    path = write_task(tmp_path)
    with pytest.raises(GreenbenchError, match=r"no data\.hub source"):
        load_task(str(path), source="hub")
