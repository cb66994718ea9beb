"""lm-evaluation-harness task files: run as they are from --tasks-dir, convert with
``greenbench tasks --from-lm-eval``, and fields that cannot be mapped exit 2 naming the field."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from greenbench.cli import main as cli
from greenbench.models.spec import ModelSpec, Variant
from greenbench.sweep.job import run_job
from greenbench.sweep.plan import Job
from greenbench.tasks import load_task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from tiny import build_causal

CARBON = {
    "country": "FRA",
    "region": None,
    "intensity_g_per_kwh": 56.0,
    "pue": 1.0,
    "source": "test",
    "year": None,
    "is_default": False,
}
LM_EVAL_TASK = """\
task: tiny_mood
tag: [demo]
dataset_path: json
dataset_kwargs:
  data_files:
    test: mood-test.jsonl
    train: mood-train.jsonl
output_type: multiple_choice
test_split: test
training_split: train
num_fewshot: 1
doc_to_text: "summarize: {{text}}\\nanswer:"
doc_to_target: label
doc_to_choice: ["positive", "negative"]
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
metadata:
  version: 1.0
"""
TEST_ROWS = [
    {"text": "the green bench measures energy", "label": 0},
    {"text": "the meeting moved because the lab was closed", "label": 1},
    {"text": "a red kite flies over the quiet harbour", "label": 0},
]
TRAIN_ROWS = [{"text": "a photo of a cat on a blue chair", "label": 0}]


@pytest.fixture
def lm_eval_dir(tmp_path) -> Path:
    directory = tmp_path / "lm-eval"
    directory.mkdir()
    (directory / "tiny_mood.yaml").write_text(LM_EVAL_TASK)
    for name, rows in (("mood-test.jsonl", TEST_ROWS), ("mood-train.jsonl", TRAIN_ROWS)):
        (directory / name).write_text("\n".join(json.dumps(r) for r in rows))
    return directory


def test_the_converter_writes_an_equivalent_greenbench_task(lm_eval_dir, tmp_path, capfd):
    converted = tmp_path / "greenbench-tasks"
    converted.mkdir()
    out = converted / "tiny_mood.yaml"
    assert (
        cli.main(
            ["tasks", "--from-lm-eval", str(lm_eval_dir / "tiny_mood.yaml"), "--out", str(out)]
        )
        == 0
    )
    assert "wrote tiny_mood" in capfd.readouterr().out
    original = load_task("tiny_mood", tasks_dir=lm_eval_dir)
    mine = load_task("tiny_mood", tasks_dir=converted)
    assert mine.spec.choice_scoring == "loglikelihood" and mine.spec.num_fewshot == 1
    assert [m.name for m in mine.spec.metrics] == ["accuracy", "accuracy_norm"]
    theirs, ours = original.samples(), mine.samples()
    assert [(s.prompt, s.reference, s.choices) for s in theirs] == [
        (s.prompt, s.reference, s.choices) for s in ours
    ]
    # lm-eval's prompt: the training example, its answer (the indexed choice), then the row
    assert ours[1].prompt == (
        "summarize: a photo of a cat on a blue chair\nanswer: positive\n\n"
        "summarize: the meeting moved because the lab was closed\nanswer:"
    )
    assert ours[1].reference == "negative"


def test_the_lm_eval_file_runs_and_equals_its_conversion(lm_eval_dir, tmp_path):
    converted = tmp_path / "converted"
    converted.mkdir()
    assert (
        cli.main(
            [
                "tasks",
                "--from-lm-eval",
                str(lm_eval_dir / "tiny_mood.yaml"),
                "--out",
                str(converted / "t.yaml"),
            ]
        )
        == 0
    )
    model = build_causal(tmp_path / "model", chat_template=False)
    results = []
    for directory in (lm_eval_dir, converted):
        job = Job(
            sweep="t",
            model=ModelSpec(name="tiny", source=str(model), chat_template=False),
            variant=Variant(name="fp32", batch_size=4),
            task="tiny_mood",
            tasks_dir=str(directory),
            carbon=CARBON,
            meter="estimate",
        ).with_id()
        record, logs = run_job(job)
        assert record["status"] == "ok", record.get("error")
        results.append((record["quality"], [log["choice_logprobs"] for log in logs]))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("process_docs: !function utils.process_docs\n", "process_docs"),
        ("filter_list:\n  - name: strict\n    filter: [{function: take_first}]\n", "filter_list"),
        ("group: moods\n", "group"),
        ("description: 'Answer well.'\n", "description"),
    ],
)
def test_unmappable_fields_exit_2_naming_the_field(lm_eval_dir, capfd, extra, field):
    path = lm_eval_dir / "tiny_mood.yaml"
    path.write_text(LM_EVAL_TASK + extra)
    assert cli.main(["tasks", "--from-lm-eval", str(path)]) == 2
    err = capfd.readouterr().err.strip()
    assert f"lm-eval field '{field}'" in err and len(err.splitlines()) == 1
    assert "Traceback" not in err
    assert cli.main(["tasks", "tiny_mood", "--tasks-dir", str(lm_eval_dir)]) == 2  # where read
    err = capfd.readouterr().err.strip()
    assert f"lm-eval field '{field}'" in err and len(err.splitlines()) == 1


BROKEN = LM_EVAL_TASK.replace("task: tiny_mood", "task: tiny_broken")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            BROKEN + "process_docs: !function utils.process_docs\n",
            "lm-eval field 'process_docs': !function",
        ),
        (
            BROKEN.replace("  - metric: acc_norm\n", "  - metric: acc_norm\n  - metric: f1\n"),
            "lm-eval field 'metric_list[2]': metric 'f1' cannot be mapped",
        ),
    ],
)
def test_listing_skips_an_unmappable_file_and_names_it(lm_eval_dir, capfd, text, reason):
    # file names that are not the task names: finding a task by name lists the directory
    (lm_eval_dir / "tiny_mood.yaml").rename(lm_eval_dir / "a_mood.yaml")
    (lm_eval_dir / "b_broken.yaml").write_text(text)
    assert cli.main(["tasks", "--tasks-dir", str(lm_eval_dir), "--json"]) == 0
    captured = capfd.readouterr()
    names = [t["name"] for t in json.loads(captured.out)]
    assert "tiny_mood" in names and "sentiment" in names and "tiny_broken" not in names
    err = captured.err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"not listed: {lm_eval_dir / 'b_broken.yaml'}: ") and reason in err
    assert cli.main(["tasks", "--tasks-dir", str(lm_eval_dir)]) == 0  # the table, too
    captured = capfd.readouterr()
    assert "tiny_mood" in captured.out and reason in captured.err

    assert cli.main(["tasks", "tiny_broken", "--tasks-dir", str(lm_eval_dir)]) == 2
    err = capfd.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and reason in err and "b_broken.yaml" in err
    assert "Traceback" not in err

    evaluate = ["eval", "--model_args", "pretrained=m", "--include_path", str(lm_eval_dir)]
    assert cli.main([*evaluate, "--tasks", "tiny_mood", "--show_config"]) == 0
    assert "tiny_mood" in capfd.readouterr().out
    assert cli.main([*evaluate, "--tasks", "tiny_broken", "--show_config"]) == 2
    err = capfd.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and reason in err
