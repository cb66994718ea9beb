"""Batched llama.cpp log-likelihoods (several rows per ``llama_decode``, shared prefixes evaluated
once and copied) equal the one-row-at-a-time evaluation on the zoo's SmolLM2 GGUF."""

from __future__ import annotations

from collections import Counter

import pytest

from greenbench.models.spec import ModelSpec, Variant

pytest.importorskip("llama_cpp")

from greenbench.models.backends import llamacpp_batch, llamacpp_loglik
from greenbench.models.backends.llamacpp import N_CTX, LlamaCppBackend
from greenbench.models.loglik import encode_pair

pytestmark = pytest.mark.slow
REAL_DECODE = llamacpp_batch._Context.decode

SPEC = ModelSpec(
    name="smollm2", source="zoo:smollm2-135m-instruct", kind="llamacpp", chat_template=False
)
PREAMBLE = "Answer the question with the best choice.\n\n"
ANIMAL = PREAMBLE + "Question: which animal is the largest land mammal alive today?\nAnswer:"
CAPITAL = PREAMBLE + "Question: what is the capital city of France?\nAnswer:"
#: A context longer than one prefill chunk (PREFILL_CHUNK tokens).
LONG = (
    "Inventory: "
    + " ".join(f"item {i} weighs {i * 3} kg." for i in range(90))
    + "\nWhich item weighs 42 kg?\nAnswer:"
)
PAIRS = [
    (ANIMAL, " the African elephant"),  # multi-token choices of one question
    (ANIMAL, " the blue whale"),
    (ANIMAL, " a giraffe"),
    (ANIMAL, " the hippo"),
    (CAPITAL, " Paris"),  # one-token choices (one shared row) ...
    (CAPITAL, " Rome"),
    (CAPITAL, " the city of Lyon"),  # ... and a multi-token one of the same question
    ("Name a colour:", " red"),  # a question of its own, no preamble
    ("Name a colour:", " deep ocean blue"),
    (LONG, " item 14"),
    (LONG, " item 12 or so"),
    ("The capital of France is Par", "is."),  # merges across the boundary
    ("", "hello world"),  # empty context: the prefix token alone
]


@pytest.fixture(scope="module")
def backend(zoo_cache):
    made = LlamaCppBackend(SPEC, Variant(batch_size=3))
    yield made
    made.close()


def _encoded(backend, pairs):
    def encode(text: str) -> list[int]:
        return backend.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    return [encode_pair(encode, c, x, backend.llm.token_eos()) for c, x in pairs]


def _score(backend, pairs, n_seq, share_prefix):
    encoded = _encoded(backend, pairs)
    return llamacpp_loglik.score(
        backend.llm, encoded, window=N_CTX, n_seq=n_seq, share_prefix=share_prefix
    )


@pytest.fixture(scope="module")
def one_at_a_time(backend):
    return _score(backend, PAIRS, 1, False)


def test_the_cases_are_covered(backend, one_at_a_time):
    encoded = _encoded(backend, PAIRS)
    assert max(len(c) + len(x) for c, x in encoded) > llamacpp_batch.PREFILL_CHUNK
    assert {len(x) for _, x in encoded} >= {1, 2, 3}
    assert {r.is_greedy for r in one_at_a_time} == {True, False}


@pytest.mark.parametrize(
    ("n_seq", "share_prefix"),
    [(3, False), (3, True), (4, True), (8, True), (16, False)],
    ids=["batch3", "batch3-shared", "batch4-shared", "batch8-shared", "batch16"],
)
def test_batched_equals_one_row_at_a_time(backend, one_at_a_time, n_seq, share_prefix):
    # 12 rows: batches of 3, 4 and 8 (8 does not divide them), 16 (all in one wave)
    got = _score(backend, PAIRS, n_seq, share_prefix)
    assert [(g.tokens, g.is_greedy, g.input_tokens) for g in got] == [
        (r.tokens, r.is_greedy, r.input_tokens) for r in one_at_a_time
    ]
    # measured: identical to the last bit on SmolLM2 Q4_1 (see llamacpp_loglik's docstring)
    for g, r in zip(got, one_at_a_time, strict=True):
        assert g.logprob == pytest.approx(r.logprob, abs=1e-6)


def test_backend_scores_batched_with_its_batch_size(backend, one_at_a_time):
    assert backend.loglikelihood(PAIRS) == one_at_a_time
    assert backend.loglikelihood(PAIRS, share_prefix=False) == one_at_a_time


def _decoded_positions(backend, monkeypatch, pairs, n_seq, share_prefix) -> Counter:
    """How many times each position was evaluated, over all sequences."""
    seen: Counter = Counter()

    def spy(self, items):
        seen.update(position for _, position, _, _ in items)
        REAL_DECODE(self, items)

    monkeypatch.setattr(llamacpp_batch._Context, "decode", spy)
    _score(backend, pairs, n_seq, share_prefix)
    return seen


def test_a_question_prefix_is_evaluated_once_not_once_per_choice(backend, monkeypatch):
    questions = [
        ("Which animal is the largest land mammal alive today? Answer:", c)
        for c in (" the African elephant", " the blue whale", " a tall giraffe")
    ] + [
        ("Name the capital city of the French republic. Answer:", c)
        for c in (" Paris, on the Seine", " Rome, in Italy", " Lyon, on the Rhone")
    ]
    shared = _decoded_positions(backend, monkeypatch, questions, 8, True)
    plain = _decoded_positions(backend, monkeypatch, questions, 8, False)
    assert shared[5] == 2 and plain[5] == 6  # inside the contexts: once per question
    assert sum(shared.values()) < sum(plain.values())


def test_a_prefix_common_to_all_rows_is_evaluated_once(backend, monkeypatch):
    pairs = [(PREAMBLE + f"Question: {q}\nAnswer:", " yes") for q in ("a?", "b?", "c?", "d?")]
    shared = _decoded_positions(backend, monkeypatch, pairs, 2, True)
    assert shared[1] == 1  # four rows in two waves, the preamble evaluated once
    assert _decoded_positions(backend, monkeypatch, pairs, 2, False)[1] == 4
