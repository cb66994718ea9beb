"""pycocoevalcap wrappers: BLEU-4 and CIDEr agree with the library; METEOR and SPICE report
why they are unavailable instead of disappearing."""

from __future__ import annotations

import random
import shutil

import pytest
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider

from greenbench.metrics.quality import captioning

WORDS = [
    "a",
    "the",
    "dog",
    "cat",
    "red",
    "blue",
    "ball",
    "grass",
    "sits",
    "runs",
    "on",
    "in",
    "park",
    "with",
    "small",
]


def _data(n: int = 25, seed: int = 0):
    rng = random.Random(seed)
    sent = lambda: " ".join(rng.choices(WORDS, k=rng.randint(4, 9)))  # noqa: E731
    return [sent() for _ in range(n)], [[sent() for _ in range(3)] for _ in range(n)]


def test_tokenize_lowercases_and_drops_punctuation():
    assert captioning.tokenize("A Dog, running!  Fast.") == "a dog running fast"


def test_bleu4_agrees_with_pycocoevalcap():
    preds, refs = _data()
    gts = {i: r for i, r in enumerate(refs)}
    res = {i: [p] for i, p in enumerate(preds)}
    score, per = Bleu(4).compute_score(gts, res, verbose=0)
    ours = captioning.bleu4(preds, refs)
    assert ours.metric.value == pytest.approx(score[3])
    assert ours.per_sample == pytest.approx(per[3])
    assert ours.metric.ci_low <= ours.metric.value <= ours.metric.ci_high


def test_cider_agrees_with_pycocoevalcap():
    preds, refs = _data(seed=2)
    score, _ = Cider().compute_score(
        {i: r for i, r in enumerate(refs)}, {i: [p] for i, p in enumerate(preds)}
    )
    assert captioning.cider(preds, refs).metric.value == pytest.approx(score)


def test_a_caption_equal_to_a_reference_scores_bleu4_one():
    refs = [["a dog runs in the park", "a small dog plays"], ["a red ball on grass", "x y z"]]
    preds = ["a dog runs in the park", "a red ball on grass"]
    assert captioning.bleu4(preds, refs).metric.value == pytest.approx(1.0, abs=1e-6)
    assert (
        captioning.cider(preds, refs).metric.value
        > captioning.cider(["the cat sleeps", "blue sky"], refs).metric.value
    )


def test_spice_without_corenlp_is_unavailable_with_reason():
    reason = captioning.spice_unavailable_reason()
    if reason is None:
        pytest.skip("SPICE's CoreNLP jars are installed here")
    result = captioning.spice(["a dog"], [["a dog"]])
    assert result.metric.value is None
    assert "stanford-corenlp" in result.metric.unavailable
    assert result.per_sample == [None]


def test_meteor_without_java_is_unavailable_with_reason(monkeypatch):
    monkeypatch.setattr(captioning.shutil, "which", lambda name: None)
    result = captioning.meteor(["a dog"], [["a dog"]])
    assert result.metric.value is None
    assert "Java" in result.metric.unavailable


@pytest.mark.slow
def test_meteor_runs_when_java_and_jar_are_present():
    if shutil.which("java") is None or captioning.meteor_unavailable_reason():
        pytest.skip(captioning.meteor_unavailable_reason() or "no java")
    refs = [["a dog runs in the park"], ["a red ball on the grass"]]
    good = captioning.meteor(["a dog runs in the park", "a red ball on the grass"], refs)
    bad = captioning.meteor(["blue sky", "the cat sleeps"], refs)
    assert good.metric.value > 0.9
    assert bad.metric.value < good.metric.value
