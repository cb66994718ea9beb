"""ROUGE and BLEU: hand-checked values, and agreement with rouge-score and sacrebleu."""

from __future__ import annotations

import random

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from greenbench.metrics.quality.text import rouge, sacrebleu_bleu

WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "ran",
    "on",
    "under",
    "mat",
    "rug",
    "quickly",
    "slowly",
    "red",
    "big",
    "small",
    "house",
]


def _pairs(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    preds = [" ".join(rng.choices(WORDS, k=rng.randint(3, 10))) for _ in range(n)]
    refs = [" ".join(rng.choices(WORDS, k=rng.randint(3, 10))) for _ in range(n)]
    return preds, refs


def test_rouge1_hand_checked():
    # 3 of 3 predicted unigrams match, 3 of 6 reference unigrams: P=1, R=0.5, F=2/3.
    result = rouge(["the cat sat"], ["the cat sat on the mat"], "rouge1")
    assert result.metric.value == pytest.approx(2 / 3)


def test_rouge_identical_is_one_and_disjoint_is_zero():
    assert rouge(["a red house"], ["a red house"], "rougeL").metric.value == 1.0
    assert rouge(["blue sky"], ["green grass"], "rouge2").metric.value == 0.0


@pytest.mark.parametrize("rouge_type", ["rouge1", "rouge2", "rougeL"])
def test_rouge_agrees_with_rouge_score(rouge_type):
    preds, refs = _pairs(30)
    scorer = rouge_scorer.RougeScorer([rouge_type], use_stemmer=True)
    direct = [scorer.score(r, p)[rouge_type].fmeasure for p, r in zip(preds, refs, strict=True)]
    ours = rouge(preds, refs, rouge_type)
    assert ours.per_sample == pytest.approx(direct)
    assert ours.metric.value == pytest.approx(sum(direct) / len(direct))
    assert ours.metric.ci_low <= ours.metric.value <= ours.metric.ci_high


def test_rouge_multi_reference_takes_the_best_match():
    result = rouge(["a small dog"], [["a big cat", "a small dog"]], "rougeL")
    assert result.metric.value == 1.0


def test_bleu_agrees_with_sacrebleu_corpus_bleu():
    preds, refs = _pairs(30, seed=1)
    expected = sacrebleu.corpus_bleu(preds, [refs]).score / 100
    result = sacrebleu_bleu(preds, refs)
    assert result.metric.value == pytest.approx(expected)
    assert result.metric.ci_low <= result.metric.value <= result.metric.ci_high


def test_bleu_multi_reference_agrees_with_sacrebleu():
    preds = ["the cat sat on the mat", "a dog ran under the big house"]
    refs = [["the cat is on the mat", "a cat sat on the mat"], ["the dog ran under a house", "x"]]
    streams = [[r[0] for r in refs], [r[1] for r in refs]]
    expected = sacrebleu.corpus_bleu(preds, streams).score / 100
    assert sacrebleu_bleu(preds, refs).metric.value == pytest.approx(expected)


def test_bleu_identical_is_one():
    text = ["the quick brown fox jumps over the lazy dog"] * 3
    assert sacrebleu_bleu(text, text).metric.value == pytest.approx(1.0)
