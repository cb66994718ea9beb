"""A multiple-choice job scored by log-likelihood, in-process, on a tiny causal model: what the
record and the per-sample log hold, the per-run override, and a backend that cannot score."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from fake_jobs import CARBON

from greenbench.models import ModelSpec, Variant, load_backend
from greenbench.sweep.job import run_job
from greenbench.sweep.plan import Job

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from tiny import build_causal

TASK = {
    "name": "tiny-mood",
    "output_type": "multiple_choice",
    "choices": ["positive", "negative", "neutral"],
    "data": {"default": "offline", "offline": {"path": "tiny-mood.jsonl"}},
    "prompt": "summarize: {{ text }}\nanswer:",
    "target": "label",
    "metrics": [{"name": "accuracy"}, {"name": "accuracy_norm"}],
    "primary_metric": "accuracy",
}
ROWS = [
    ("the green bench measures energy", "positive"),
    ("a red kite flies over the quiet harbour", "neutral"),
    ("the meeting moved because the lab was closed", "negative"),
    ("a photo of a cat on a blue chair", "positive"),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("loglik-job")
    tasks = root / "tasks"
    tasks.mkdir()
    (tasks / "tiny-mood.yaml").write_text(yaml.safe_dump(TASK))
    lines = [json.dumps({"id": f"m{i}", "text": t, "label": y}) for i, (t, y) in enumerate(ROWS)]
    (tasks / "tiny-mood.jsonl").write_text("\n".join(lines))
    model = build_causal(root / "model", chat_template=False)
    return tasks, model


def _job(setup, **fields) -> Job:
    tasks, model = setup
    spec = fields.pop("model", ModelSpec(name="tiny", source=str(model), chat_template=False))
    return Job(
        sweep="t",
        model=spec,
        variant=Variant(name="fp32", batch_size=4),
        task="tiny-mood",
        tasks_dir=str(tasks),
        carbon=CARBON,
        meter="estimate",
        **fields,
    ).with_id()


def test_the_record_and_log_keep_each_choices_loglikelihood(setup):
    record, logs = run_job(_job(setup))
    assert record["status"] == "ok", record.get("error")
    assert record["choice_scoring"] == "loglikelihood" and record["num_fewshot"] == 0
    assert set(record["quality"]) == {"accuracy", "accuracy_norm"}
    assert record["tokens"]["generated"] is None and record["tokens"]["prompt"] > 0
    assert record["phases"]["inference"]["energy_j"]["total"] > 0
    spec = ModelSpec(name="tiny", source=str(setup[1]), chat_template=False)
    backend = load_backend(spec, Variant(batch_size=1))
    for log in logs:
        scored = log["choice_logprobs"]
        assert [c["choice"] for c in scored] == TASK["choices"]
        pairs = [(log["prompt"], " " + c["choice"]) for c in scored]
        direct = backend.loglikelihood(pairs)
        assert [c["logprob"] for c in scored] == pytest.approx([d.logprob for d in direct])
        assert [c["tokens"] for c in scored] == [d.tokens for d in direct]
        best = max(scored, key=lambda c: c["logprob"])["choice"]
        assert log["chosen"] == log["prediction"] == best
        assert log["scores"]["accuracy"] == float(best == log["reference"])
    accuracy = sum(log["chosen"] == log["reference"] for log in logs) / len(logs)
    assert record["quality"]["accuracy"]["value"] == pytest.approx(accuracy)


def test_a_run_can_score_by_generation_and_only_then_the_id_changes(setup):
    default = _job(setup)
    assert "choice_scoring" not in default.content() and "num_fewshot" not in default.content()
    generate = _job(setup, choice_scoring="generate")
    assert generate.job_id != default.job_id
    record, logs = run_job(generate)
    assert record["status"] == "ok" and record["choice_scoring"] == "generate"
    assert record["tokens"]["generated"] > 0
    norm = record["quality"]["accuracy_norm"]
    assert norm["value"] is None and "log-likelihood" in norm["unavailable"]
    assert "choice_logprobs" not in logs[0]


def test_a_backend_without_loglikelihoods_leaves_the_metrics_unavailable(setup, tmp_path):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(
        "\n".join(json.dumps({"id": f"m{i}", "prediction": "x"}) for i in "0123")
    )
    spec = ModelSpec(
        name="big", source="api", kind="estimate", active_params=1e11, predictions=str(predictions)
    )
    record, logs = run_job(_job(setup, model=spec))
    assert record["status"] == "ok" and logs == []
    for value in record["quality"].values():
        assert value["value"] is None and "choice_scoring: generate" in value["unavailable"]
    assert "inference" not in record["phases"]


def test_in_a_chat_template_the_choice_follows_the_assistant_turn_without_delimiter(tmp_path):
    # lm-eval with --apply_chat_template: target_delimiter "" (the turn separates the answer)
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "tiny-mood.yaml").write_text(yaml.safe_dump(TASK))
    lines = [json.dumps({"id": f"m{i}", "text": t, "label": y}) for i, (t, y) in enumerate(ROWS)]
    (tasks / "tiny-mood.jsonl").write_text("\n".join(lines))
    spec = ModelSpec(name="tiny-chat", source=str(build_causal(tmp_path / "chat")))
    record, logs = run_job(_job((tasks, None), model=spec))
    assert record["status"] == "ok", record.get("error")
    backend = load_backend(spec, Variant(batch_size=1))
    assert backend.chat_formatted
    for log in logs[:2]:
        bare = backend.loglikelihood([(log["prompt"], c) for c in TASK["choices"]])
        assert [c["logprob"] for c in log["choice_logprobs"]] == pytest.approx(
            [b.logprob for b in bare]
        )


def test_a_task_entry_can_turn_the_chat_template_off_for_its_task(tmp_path):
    from greenbench.sweep.config import parse_config
    from greenbench.sweep.plan import expand

    config = parse_config(
        {
            "tasks": [{"name": "sentiment", "chat_template": False}, "nli"],
            "models": [{"name": "m", "source": "some/model"}],
        },
        "x.yaml",
    )
    plain, chat = expand(config, CARBON)
    assert plain.chat_template is False and chat.chat_template is None
    assert "chat_template" in plain.content() and "chat_template" not in chat.content()
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "tiny-mood.yaml").write_text(yaml.safe_dump(TASK))
    lines = [json.dumps({"id": f"m{i}", "text": t, "label": y}) for i, (t, y) in enumerate(ROWS)]
    (tasks / "tiny-mood.jsonl").write_text("\n".join(lines))
    spec = ModelSpec(name="tiny-chat", source=str(build_causal(tmp_path / "chat")))
    record, logs = run_job(_job((tasks, None), model=spec, chat_template=False))
    assert record["status"] == "ok" and record["chat_template"] is False
    plain_backend = load_backend(spec.model_copy(update={"chat_template": False}), Variant())
    bare = plain_backend.loglikelihood([(logs[0]["prompt"], " " + c) for c in TASK["choices"]])
    assert [c["logprob"] for c in logs[0]["choice_logprobs"]] == pytest.approx(
        [b.logprob for b in bare]
    )
