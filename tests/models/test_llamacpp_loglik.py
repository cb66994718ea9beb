"""llamacpp backend: continuation log-likelihoods equal a hand computation with
llama-cpp-python's own full-logits evaluation (``logits_all``) and ``log_softmax``."""

from __future__ import annotations

import numpy as np
import pytest

from greenbench.models.spec import ModelSpec, Variant

pytest.importorskip("llama_cpp")

import llama_cpp

from greenbench.models.backends.llamacpp import LlamaCppBackend

pytestmark = pytest.mark.slow

SPEC = ModelSpec(
    name="smollm2", source="zoo:smollm2-135m-instruct", kind="llamacpp", chat_template=False
)
REVIEW = "Is this review positive or negative?\nReview: the soup was cold and late.\nSentiment:"
PAIRS = [
    (REVIEW, " positive"),
    (REVIEW, " negative"),
    (REVIEW + " ", "negative and rude"),  # trailing space moves to the continuation
    ("The capital of France is Par", "is."),  # may merge across the boundary
]


def _hand(path, context: str, continuation: str) -> tuple[float, int]:
    llm = llama_cpp.Llama(model_path=str(path), logits_all=True, n_ctx=512, verbose=False)
    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    whole = llm.tokenize((context + continuation).encode(), add_bos=False, special=True)
    ctx = llm.tokenize(context.encode(), add_bos=False, special=True)
    cont = whole[len(ctx) :]
    llm.eval(ctx + cont)
    logits = np.asarray(llm.scores[: len(ctx) + len(cont)], dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logprobs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    total = sum(float(logprobs[len(ctx) + j - 1, t]) for j, t in enumerate(cont))
    llm.close()
    return total, len(cont)


def test_loglikelihoods_equal_llama_cpps_full_logits(zoo_cache):
    backend = LlamaCppBackend(SPEC, Variant())
    try:
        got = backend.loglikelihood(PAIRS)
        want = [_hand(backend.path, c, x) for c, x in PAIRS]
    finally:
        backend.close()
    assert [g.tokens for g in got] == [n for _, n in want]
    for g, (total, _) in zip(got, want, strict=True):
        assert g.logprob == pytest.approx(total, abs=1e-3)
    assert got[0].input_tokens > 0 and got[1].input_tokens == 0  # one row for both labels
