"""``greenbench score``: predictions from a JSONL file, table or JSON out, missing ids reported,
bad files -> one line naming file and line, exit 2."""

from __future__ import annotations

import json

import pytest

from greenbench.cli import main as cli


def export(tmp_path, task: str) -> list[dict]:
    out = tmp_path / f"{task}-samples.jsonl"
    assert cli.main(["tasks", task, "--export", str(out)]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def write(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_round_trip_export_predict_score_json(tmp_path, capfd):
    samples = export(tmp_path, "sentiment")
    # Right on all but the last two; the very last one is left out.
    preds = [{"id": s["id"], "prediction": s["reference"].upper()} for s in samples[:-2]]
    preds.append({"id": samples[-2]["id"], "prediction": "no idea"})
    path = write(tmp_path / "preds.jsonl", preds)
    capfd.readouterr()
    assert cli.main(["score", "sentiment", "--predictions", path, "--json"]) == 0
    out = json.loads(capfd.readouterr().out)
    assert out["task"] == "sentiment" and out["samples"] == len(samples)
    acc = out["metrics"]["accuracy"]
    assert acc["value"] == pytest.approx((len(samples) - 2) / len(samples))
    assert acc["ci_low"] <= acc["value"] <= acc["ci_high"]
    assert out["missing"] == [samples[-1]["id"]]


def test_table_output_and_per_sample_file(tmp_path, capfd):
    samples = export(tmp_path, "math-reasoning")
    preds = [{"id": s["id"], "prediction": s["reference"]} for s in samples[:5]]
    path = write(tmp_path / "preds.jsonl", preds)
    per_sample = tmp_path / "per-sample.jsonl"
    args = ["score", "math-reasoning", "--predictions", path, "--limit", "5"]
    assert cli.main([*args, "--per-sample", str(per_sample)]) == 0
    out = capfd.readouterr().out
    assert "final_number_match" in out and "95% CI" in out
    records = [json.loads(line) for line in per_sample.read_text().splitlines()]
    assert [r["scores"]["final_number_match"] for r in records] == [1.0] * 5


def test_classification_predictions_as_label_lists(tmp_path, capfd):
    samples = export(tmp_path, "image-classification")
    preds = [{"id": s["id"], "prediction": [str(i) for i in s["reference"]]} for s in samples]
    path = write(tmp_path / "preds.jsonl", preds)
    capfd.readouterr()
    assert cli.main(["score", "image-classification", "--predictions", path, "--json"]) == 0
    metrics = json.loads(capfd.readouterr().out)["metrics"]
    assert metrics["top1_accuracy"]["value"] == 1.0 and metrics["top5_accuracy"]["value"] == 1.0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            '{"id": "sent-001", "prediction": "positive"}\n{not json\n',
            "preds.jsonl:2: not valid JSON",
        ),
        ('{"id": "sent-001"}\n', "preds.jsonl:1: missing field 'prediction'"),
        ('["sent-001", "positive"]\n', "preds.jsonl:1: expected a JSON object"),
        (
            '{"id": "a", "prediction": "x"}\n{"id": "a", "prediction": "y"}\n',
            "preds.jsonl:2: duplicate id 'a'",
        ),
    ],
)
def test_malformed_predictions_exit_2(tmp_path, capfd, content, needle):
    path = tmp_path / "preds.jsonl"
    path.write_text(content)
    assert cli.main(["score", "sentiment", "--predictions", str(path)]) == 2
    err = capfd.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_missing_predictions_file_and_unknown_task_exit_2(tmp_path, capfd):
    assert cli.main(["score", "sentiment", "--predictions", str(tmp_path / "none.jsonl")]) == 2
    assert "does not exist" in capfd.readouterr().err
    path = write(tmp_path / "p.jsonl", [{"id": "x", "prediction": "y"}])
    assert cli.main(["score", "sentimental", "--predictions", path]) == 2
    assert "unknown task 'sentimental'" in capfd.readouterr().err


def test_code_scores_say_how_the_code_was_contained(tmp_path, capfd):
    from greenbench.tasks.py_sandbox import isolation

    samples = export(tmp_path, "code-generation")[:2]
    forged = "    import os\n    os._exit = lambda *a: None\n    return 0\n"
    preds = [{"id": s["id"], "prediction": forged} for s in samples]
    path = write(tmp_path / "preds.jsonl", preds)
    capfd.readouterr()
    args = ["score", "code-generation", "--predictions", path, "--limit", "2", "--json"]
    assert cli.main(args) == 0
    out = json.loads(capfd.readouterr().out)
    assert out["metrics"]["pass_at_1"]["value"] == 0.0  # the forged pass
    assert out["sandbox"] == isolation().note
    assert ("no network" in out["sandbox"]) == (isolation().bwrap is not None)
    assert cli.main(["score", "sentiment", "--predictions", path, "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["sandbox"] is None
