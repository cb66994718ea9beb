"""VQA accuracy (the VQAv2 consensus metric) with its standard answer normalisation.

Written here because no maintained PyPI package exposes the VQA evaluation code; the rules follow
the VQAv2 evaluation's published description: lower-case, drop punctuation (keeping decimal points
and digit-grouping commas' digits together), spell-out numbers to digits, drop articles, restore a
few common apostrophe-less contractions. Accuracy of an answer against ``n`` human answers is
``min(1, matches / 3)`` averaged over the ``n`` leave-one-out subsets of the humans (VQAv2 has
``n = 10``); with a single reference it is plain exact match after normalisation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from greenbench.metrics.quality.ci import N_BOOT, MetricResult, bootstrap_mean

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
_ARTICLES = {"a", "an", "the"}
_CONTRACTIONS = {
    "dont": "don't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "arent": "aren't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "shouldnt": "shouldn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "im": "i'm",
    "ive": "i've",
    "youre": "you're",
    "thats": "that's",
    "whats": "what's",
    "theyre": "they're",
    "its": "it's",
}
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
_PERIOD_NOT_DECIMAL = re.compile(r"(?<!\d)\.|\.(?!\d)")
_PUNCT = re.compile(r"[^\w\s'.]")


def normalize_answer(answer: str) -> str:
    """Normalise a VQA answer: ``"Two dogs."`` -> ``"2 dogs"``, ``"1,000"`` -> ``"1000"``,
    ``"The red one"`` -> ``"red one"``, ``"dont know"`` -> ``"don't know"``."""
    text = answer.lower().replace("\n", " ").replace("\t", " ").strip()
    text = _DIGIT_COMMA.sub("", text)
    text = _PERIOD_NOT_DECIMAL.sub(" ", text)
    text = _PUNCT.sub(" ", text)
    words = []
    for word in text.split():
        word = word.strip("'")
        word = _NUMBER_WORDS.get(word, word)
        if word and word not in _ARTICLES:
            words.append(_CONTRACTIONS.get(word, word))
    return " ".join(words)


def vqa_score(prediction: str, answers: Sequence[str]) -> float:
    """One question's VQA accuracy in [0, 1] against its human ``answers``."""
    if isinstance(answers, str):
        answers = [answers]
    pred = normalize_answer(prediction)
    gold = [normalize_answer(a) for a in answers]
    if len(gold) == 1:
        return float(pred == gold[0])
    matches = [g == pred for g in gold]
    total = sum(matches)
    return sum(min(1.0, (total - m) / 3.0) for m in matches) / len(gold)


def vqa_accuracy(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> MetricResult:
    """Mean VQA accuracy in [0, 1] over questions, CI over questions."""
    scores = [vqa_score(p, r) for p, r in zip(predictions, references, strict=True)]
    return bootstrap_mean(scores, seed=seed, n_boot=n_boot)
