"""Few-shot prompts (lm-eval's sampler semantics) and log-likelihood choice picks (acc vs
acc_norm), through real task files."""

from __future__ import annotations

import json

import pytest
import yaml

from greenbench.errors import GreenbenchError
from greenbench.models.base import LogLikelihood
from greenbench.tasks import load_task
from greenbench.tasks.choices import choose

ROWS = [{"id": f"r{i}", "text": f"review number {i}", "label": "ab"[i % 2]} for i in range(6)]
TRAIN = [{"id": f"t{i}", "text": f"train {i}", "label": "b"} for i in range(4)]


def _task(tmp_path, **fields):
    spec = {
        "name": "fs",
        "output_type": "multiple_choice",
        "choices": ["a", "b"],
        "data": {"default": "offline", "offline": {"path": "rows.jsonl"}},
        "prompt": "Q: {{ text }}\nA:",
        "target": "label",
        "metrics": [{"name": "accuracy"}, {"name": "accuracy_norm"}],
        "primary_metric": "accuracy",
        **fields,
    }
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(r) for r in TRAIN))
    path = tmp_path / "fs.yaml"
    path.write_text(yaml.safe_dump(spec))
    return load_task(str(path))


def _example(row) -> str:
    return f"Q: {row['text']}\nA: {row['label']}\n\n"


def test_examples_from_the_evaluation_split_never_include_the_evaluated_sample(tmp_path):
    # 5 shots out of 6 rows: each draw takes all 6 rows, so the only row dropped is its own
    task = _task(tmp_path, num_fewshot=5)
    for sample, row in zip(task.samples(), ROWS, strict=True):
        own = f"Q: {row['text']}\nA:"
        assert sample.prompt.endswith("\n\n" + own)
        prefix = sample.prompt[: -len(own)]
        assert _example(row) not in prefix
        others = [r for r in ROWS if r is not row]
        assert sorted(prefix.split("\n\n")[:-1]) == sorted(_example(r)[:-2] for r in others)


def test_the_draw_is_seeded_and_lm_eval_shaped(tmp_path):
    first = [s.prompt for s in _task(tmp_path, num_fewshot=2).samples()]
    again = [s.prompt for s in _task(tmp_path, num_fewshot=2).samples()]
    other = [s.prompt for s in _task(tmp_path, num_fewshot=2, fewshot_seed=7).samples()]
    assert first == again and first != other
    for prompt in first:
        *examples, own = prompt.split("\n\n")
        assert len(examples) == 2 and own.startswith("Q: review number")
        assert all(
            e.startswith("Q: review number") and e[-4:] in ("A: a", "A: b") for e in examples
        )
    # --limit draws what the full run's first samples draw (one generator, rows in order)
    limited = [s.prompt for s in _task(tmp_path, num_fewshot=2).samples(limit=3)]
    assert limited == first[:3]


def test_training_rows_are_the_default_pool_and_a_file_or_split_can_be_named(tmp_path):
    with_train = {"default": "offline", "offline": {"path": "rows.jsonl"}}
    with_train["train"] = {"path": "train.jsonl"}
    prompts = [s.prompt for s in _task(tmp_path, num_fewshot=3, data=with_train).samples()]
    assert all(p.count("Q: train") == 3 and "A: b\n\nQ: review" in p for p in prompts)
    from_test = _task(tmp_path, num_fewshot=1, data=with_train, fewshot_split="test")
    assert all("Q: train" not in s.prompt for s in from_test.samples())
    from_file = _task(tmp_path, num_fewshot=2, fewshot_file="train.jsonl", fewshot_delimiter="\n")
    assert all(s.prompt.count("Q: train") == 2 for s in from_file.samples())
    with pytest.raises(GreenbenchError, match=r"fewshot_split.*'dev'.*allowed: test"):
        _task(tmp_path, num_fewshot=1, fewshot_split="dev").samples()
    with pytest.raises(GreenbenchError, match=r"num_fewshot.*pool has 6"):
        _task(tmp_path, num_fewshot=6).samples()


def test_accuracy_and_accuracy_norm_pick_differently_when_lengths_differ(tmp_path):
    # "no" at -3.0 nats beats "absolutely" at -5.0; per character -1.5 loses to -0.5
    picks = choose(
        ["no", "absolutely"], [LogLikelihood(-3.0, 1, True), LogLikelihood(-5.0, 3, False)]
    )
    assert (picks.label, picks.label_norm) == ("no", "absolutely")
    task = _task(tmp_path)
    samples = task.samples(limit=1)
    samples[0].reference = "absolutely"
    score = task.score(samples, {samples[0].id: picks})
    assert score.metrics["accuracy"].value == 0.0
    assert score.metrics["accuracy_norm"].value == 1.0
    log = score.per_sample[0]
    assert log["prediction"] == "no" and log["chosen_norm"] == "absolutely"
    assert log["choice_logprobs"][1] == {"choice": "absolutely", "logprob": -5.0, "tokens": 3}
    # text predictions (generation scoring) leave accuracy_norm unavailable, with the reason
    text = task.score(samples, {samples[0].id: "absolutely"})
    assert text.metrics["accuracy_norm"].value is None
    assert "log-likelihood" in text.metrics["accuracy_norm"].unavailable
