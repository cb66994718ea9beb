"""``greenbench eval`` and ``greenbench.evaluate``: lm-eval's arguments build the sweep a user
would have written as YAML — same job ids, same records — and run it end to end offline."""

from __future__ import annotations

import json

import pytest
import yaml

import greenbench
from greenbench.cli.main import main
from greenbench.store import ResultsStore

#: Fields of a record that must match between the eval run and the YAML run (energy and
#: timestamps differ run to run).
SAME = ("job_id", "model", "variant", "task", "limit", "primary_metric", "quality", "samples")


def _records(directory):
    with ResultsStore(directory / "results.db") as store:
        return {r.job_id: r.to_json() for r in store.records()}


def test_eval_of_a_tiny_model_equals_the_equivalent_yaml_sweep(tmp_path, tiny_model, tasks_dir):
    args = [
        "eval",
        "--model", "hf",
        "--model_args", f"pretrained={tiny_model},dtype=float32,chat_template=false",
        "--tasks", "tiny-yes",
        "--include_path", str(tasks_dir),
        "--limit", "3",
        "--batch_size", "2",
        "--device", "cpu",
        "--country", "FRA",
        "--meter", "estimate",
        "--idle_seconds", "0",
        "--output_path", str(tmp_path / "eval"),
        "--log_samples",
    ]  # fmt: skip
    mlruns = (tmp_path / "mlruns").as_uri()
    assert main([*args, "--mlflow", mlruns]) == 0
    config = {
        "name": "by-hand",
        "meter": "estimate",
        "idle_seconds": 0,
        "limit": 3,
        "location": {"country": "FRA"},
        "tasks": [{"name": "tiny-yes", "tasks_dir": str(tasks_dir)}],
        "models": [
            {
                "name": "tiny-causal",
                "source": str(tiny_model),
                "kind": "hf",
                "chat_template": False,
                "variants": [{"name": "fp32", "dtype": "fp32", "batch_size": 2, "device": "cpu"}],
            }
        ],
    }
    path = tmp_path / "by-hand.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["run", str(path), "--out", str(tmp_path / "yaml")]) == 0

    evaluated, by_yaml = _records(tmp_path / "eval"), _records(tmp_path / "yaml")
    assert list(evaluated) == list(by_yaml) and len(evaluated) == 1
    for job_id, record in evaluated.items():
        assert record["status"] == "ok"
        assert {k: record[k] for k in SAME} == {k: by_yaml[job_id][k] for k in SAME}
        assert record["latency"]["queries_per_s"] > 0
        assert record["latency"]["batches"] == 2  # 3 samples in batches of 2
    (job_id,) = evaluated
    log = tmp_path / "eval" / f"samples_tiny-yes_{job_id}.jsonl"
    assert [json.loads(line)["id"] for line in log.read_text().splitlines()] == ["q0", "q1", "q2"]
    assert (tmp_path / "eval" / "report.html").is_file()

    mlflow = pytest.importorskip("mlflow")
    mlflow.set_tracking_uri(mlruns)
    runs = mlflow.search_runs(experiment_names=["greenbench"])
    assert sorted(runs["tags.mlflow.runName"]) == ["eval", "tiny-causal/fp32@tiny-yes"]
    assert list(runs["tags.job_id"].dropna()) == [job_id]


def test_evaluate_returns_results_with_a_dataframe_and_leaderboard(tmp_path, tiny_model, tasks_dir):
    results = greenbench.evaluate(
        model="hf",
        model_args={"pretrained": str(tiny_model), "chat_template": "false", "name": "tiny"},
        tasks=["tiny-yes"],
        variants=[{"name": "b1", "batch_size": 1}, {"name": "b4", "batch_size": 4}],
        include_path=str(tasks_dir),
        limit=2,
        meter="estimate",
        idle_seconds=0,
        output_path=tmp_path / "out",
    )
    assert [r.variant.name for r in results.records] == ["b1", "b4"]
    frame = results.to_dataframe()
    assert list(frame["variant"]) == ["b1", "b4"]
    assert (frame["samples"] == 2).all()
    board = results.leaderboard("tiny-yes")
    assert {row.variant for row in board.rows} == {"b1", "b4"}
    assert results.report(tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert greenbench.load(tmp_path / "out").records == results.records


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model_args", "dtype=bf16"], "--model_args: pretrained=DIR_OR_HUB_ID is required"),
        (["--model_args", "pretrained=x,peft=ad"], "--model_args peft=: loading a trained"),
        (["--model_args", "pretrained=x,dtype=int3"], "--model_args dtype=int3: allowed:"),
        (["--model_args", "pretrained=x,bogus"], "--model_args: 'bogus' is not key=value"),
        (["--model_args", "pretrained=x", "--model", "vllm"], "unknown backend 'vllm'"),
    ],
)
def test_bad_arguments_are_one_line_errors_with_status_2(capsys, extra, message):
    args = ["eval", "--tasks", "sentiment", *extra]
    if "--model_args" not in extra:
        args += ["--model_args", "pretrained=x"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.slow
def test_eval_of_the_zoo_model_runs_end_to_end(tmp_path):
    out = tmp_path / "zoo"
    args = [
        "eval", "--model", "hf",
        "--model_args", "pretrained=zoo:smollm2-135m-instruct",
        "--tasks", "sentiment", "--limit", "2", "--meter", "estimate", "--idle_seconds", "0",
        "--output_path", str(out),
    ]  # fmt: skip
    assert main(args) == 0
    (record,) = _records(out).values()
    assert record["status"] == "ok", record.get("error")
    assert record["model"]["name"] == "smollm2-135m-instruct"
    assert record["model"]["params_total"] == 134_515_008
    assert record["quality"]["accuracy"]["value"] is not None
    assert record["energy_per_query_j"] > 0


def test_num_fewshot_reaches_every_task_entry_and_the_job_ids():
    from greenbench.sweep.oneline import eval_config
    from greenbench.sweep.runner import plan_config

    zero = eval_config("hf", "pretrained=x", "sentiment,nli")
    five = eval_config("hf", "pretrained=x", "sentiment,nli", num_fewshot=5)
    assert [t.num_fewshot for t in five.tasks] == [5, 5]
    assert [t.num_fewshot for t in zero.tasks] == [None, None]
    ids = {j.job_id for j in plan_config(zero, "eval")}
    assert ids.isdisjoint(j.job_id for j in plan_config(five, "eval"))
