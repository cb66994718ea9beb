"""A real sweep, end to end: a tiny causal model built here, a task of our own with training
data, base and LoRA variants, each job in its own worker process, CEGI from measured values."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from greenbench.store import ResultsStore
from greenbench.sweep.runner import Overrides, prepare, run_sweep

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from tiny import build_causal

TASK = {
    "name": "tiny-yes",
    "description": "Every answer is yes; a LoRA learns to say it.",
    "output_type": "multiple_choice",
    # the estimated model answers from a predictions file (text), so labels are read from text
    "choice_scoring": "generate",
    "choices": ["yes", "no"],
    "data": {
        "default": "offline",
        "offline": {"path": "tiny-yes.jsonl"},
        "train": {"path": "tiny-yes-train.jsonl"},
    },
    "prompt": "question: {{ q }} answer:",
    "target": "label",
    "metrics": [{"name": "accuracy"}],
    "primary_metric": "accuracy",
    "generation": {"max_new_tokens": 3, "stop": ["\n"]},
}
QUESTIONS = [
    "is the bench green",
    "does the kite fly",
    "is the harbour quiet",
    "is the answer 42",
    "does the cat sit",
    "is the chair blue",
]


@pytest.fixture
def sweep_config(tmp_path) -> Path:
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "tiny-yes.yaml").write_text(yaml.safe_dump(TASK))
    rows = [{"id": f"q{i}", "q": q, "label": "yes"} for i, q in enumerate(QUESTIONS)]
    (tasks / "tiny-yes.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    train = [{"id": f"t{i}", "q": f"{q} today", "label": "yes"} for i, q in enumerate(QUESTIONS)]
    (tasks / "tiny-yes-train.jsonl").write_text("\n".join(json.dumps(r) for r in train))
    model = build_causal(tmp_path / "tiny-causal", chat_template=False)
    config = {
        "name": "e2e",
        "meter": "estimate",
        "idle_seconds": 0.5,
        "cooldown_s": 0,
        "location": {"country": "FRA"},
        "tasks": [{"name": "tiny-yes", "tasks_dir": str(tasks)}],
        "models": [
            {
                "name": "tiny",
                "source": str(model),
                "chat_template": False,
                "variants": [
                    {
                        "name": "lora-r8",
                        "batch_size": 6,
                        "finetune": {
                            "rank": 8,
                            "alpha": 32,
                            "steps": 30,
                            "batch_size": 6,
                            "learning_rate": 0.05,
                            "train_samples": 6,
                        },
                    }
                ],
            }
        ],
    }
    predictions = tmp_path / "big-llm.jsonl"
    predictions.write_text(
        "\n".join(json.dumps({"id": r["id"], "prediction": "yes"}) for r in rows)
    )
    config["models"].append(
        {
            "name": "big-llm",
            "kind": "estimate",
            "source": "big/llm",
            "active_params": 1.0e11,
            "predictions": str(predictions),
        }
    )
    path = tmp_path / "e2e.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_real_sweep_with_a_lora_variant_yields_a_cegi(sweep_config, tmp_path, monkeypatch):
    monkeypatch.setenv("GREENBENCH_CACHE_DIR", str(tmp_path / "cache"))
    # No RAPL tree, even on a machine that has one: the estimate meter runs, as in CI.
    monkeypatch.setenv("GREENBENCH_POWERCAP_ROOT", str(tmp_path / "no-powercap"))
    config, jobs = prepare(sweep_config, Overrides())
    assert [(j.variant.name, j.added_as_base) for j in jobs] == [
        ("base", True),
        ("lora-r8", False),
        ("base", False),
    ]
    out = tmp_path / "run"
    outcome = run_sweep(config, jobs, out)
    assert outcome.failed == [], outcome
    base, lora, big = json.loads((out / "results.json").read_text())
    assert lora["base_job_id"] == base["job_id"]
    for record in (base, lora):  # measured (by the estimate meter: no RAPL in CI)
        assert record["status"] == "ok"
        assert record["samples"] == len(QUESTIONS)
        assert record["energy_basis"] == "net"
        assert record["phases"]["inference"]["energy_j"]["total"] > 0
        assert all(
            p.startswith("estimated:") for p in record["phases"]["load"]["provenance"].values()
        )
        assert record["model"]["params_total"] > 0
        assert record["emissions_g"]["total"] > 0
        assert record["carbon"]["country"] == "FRA"
        assert record["energy_per_query_j"] is not None
    assert "finetune" in lora["phases"] and "finetune" not in base["phases"]
    assert lora["finetune_result"]["loss_last"] < lora["finetune_result"]["loss_first"]
    # The adapter is saved under the run directory, to be served or evaluated again.
    adapter = Path(lora["finetune_result"]["adapter_path"])
    assert adapter == out / "adapters" / lora["job_id"]
    assert (adapter / "adapter_config.json").is_file()
    assert lora["model"]["params_trainable"] > 0
    # CEGI from the measured qualities, fine-tuning emissions and trainable parameters
    gain = lora["quality"]["accuracy"]["value"] - base["quality"]["accuracy"]["value"]
    if gain > 0:
        expected = lora["emissions_g"]["finetune"] / (
            gain * 100 * lora["finetune_result"]["trainable_params"] / 1e6
        )
        assert lora["cegi"] == pytest.approx(expected)
        assert lora["cegi_gain_pp"] == pytest.approx(gain * 100)
    else:
        assert lora["cegi"] is None and lora["cegi_note"] == "no gain"
    # the estimated model: answers from its file, energy from parameter scaling, labelled
    assert big["status"] == "ok" and big["quality"]["accuracy"]["value"] == 1.0
    assert "load" not in big["phases"] and big["energy_estimated"] is True
    assert all("param-scaling" in p for p in big["phases"]["inference"]["provenance"].values())
    assert big["pareto_energy"] is True  # the only perfect answers
    # ... but all "yes", as every reference is: flagged, and no better than the majority class
    assert big["answer_warning"] == "constant answer: all 6 answers are 'yes'"
    assert big["majority_baseline"] == 1.0 and big["beats_majority"] is False
    # each job keeps its answers; the plain base variant is its model's reference
    assert sorted(base["answers"]["given"]) == [f"q{i}" for i in range(len(QUESTIONS))]
    assert base["agreement_note"] == "the reference variant"
    assert lora["agreement_reference"] == base["job_id"]
    assert 0.0 <= lora["agreement_with_reference"] <= 1.0
    with ResultsStore(out / "results.db") as store:
        assert store.integrity_ok()
        assert len(store.samples(lora["job_id"])) == len(QUESTIONS)
        assert "idle" in store.meta()
    # same command again: nothing to do
    again = run_sweep(config, jobs, out)
    assert again.ran == [] and again.skipped == 3
