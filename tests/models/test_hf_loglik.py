"""hf backend: log-likelihoods of (context, continuation) pairs equal a hand computation (one
full forward pass over the unpadded tokens and ``log_softmax``), batched and one at a time."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from greenbench.models import ModelSpec, Variant, load_backend
from greenbench.models.base import LogLikelihoodUnavailable

#: (context, continuation) pairs: shared contexts with one-token and longer labels, a context
#: with trailing whitespace (moved to the continuation), "meet" + "ing moved", whose whole-string
#: encoding merges across the boundary, and "negat" + "ive", where the merge leaves no
#: continuation tokens at all (lm-eval scores that 0 over 0 tokens).
PAIRS = [
    ("question: how many joules does one query cost? answer:", " it depends"),
    ("question: how many joules does one query cost? answer:", " 42"),
    ("question: how many joules does one query cost? answer:", " positive"),
    ("the green bench measures energy and ", "quality"),
    ("summarize: the meet", "ing moved"),
    ("positive negat", "ive"),
    ("a red kite flies over the quiet harbour at", " dawn"),
    ("a red kite flies over the quiet harbour at", " dawn ."),
]


def _hand(model, tokenizer, context: str, continuation: str) -> tuple[float, int]:
    """lm-eval's split done by hand, then one unbatched forward and log_softmax."""
    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    ctx = tokenizer(context, add_special_tokens=False)["input_ids"]
    cont = whole[len(ctx) :]
    ids = torch.tensor([ctx + cont])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    total = sum(float(logprobs[len(ctx) + j - 1, tok]) for j, tok in enumerate(cont))
    return total, len(cont)


@pytest.fixture(scope="module")
def reference(causal_dir):
    model = AutoModelForCausalLM.from_pretrained(causal_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(causal_dir)
    return [_hand(model, tokenizer, c, x) for c, x in PAIRS]


def _backend(path, batch_size):
    spec = ModelSpec(name="tiny-llama", source=str(path), chat_template=False)
    return load_backend(spec, Variant(batch_size=batch_size))


def test_the_boundary_case_really_merges(causal_dir):
    tokenizer = AutoTokenizer.from_pretrained(causal_dir)
    for context, continuation in [("summarize: the meet", "ing moved"), ("positive negat", "ive")]:
        whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
        ctx = tokenizer(context, add_special_tokens=False)["input_ids"]
        assert whole[: len(ctx)] != ctx  # the whole string's tokens differ at the context's end


@pytest.mark.parametrize("batch_size", [1, 3, 16])
@pytest.mark.parametrize("shared", [True, False])
def test_backend_equals_hand_computation(causal_dir, reference, batch_size, shared):
    got = _backend(causal_dir, batch_size).loglikelihood(PAIRS, shared=shared)
    assert [g.tokens for g in got] == [n for _, n in reference]
    for g, (want, _) in zip(got, reference, strict=True):
        assert g.logprob == pytest.approx(want, abs=1e-4)
        assert g.logprob <= 0


def test_shared_rows_compute_fewer_tokens_for_one_token_labels(causal_dir):
    backend = _backend(causal_dir, 4)
    one_token = [("the green bench measures", " the"), ("the green bench measures", " a")]
    tokenizer = AutoTokenizer.from_pretrained(causal_dir)
    assert all(
        len(tokenizer(c + x, add_special_tokens=False)["input_ids"])
        == len(tokenizer(c, add_special_tokens=False)["input_ids"]) + 1
        for c, x in one_token
    )
    shared = backend.loglikelihood(one_token, shared=True)
    plain = backend.loglikelihood(one_token, shared=False)
    assert [s.logprob for s in shared] == pytest.approx([p.logprob for p in plain], abs=1e-5)
    assert sum(s.input_tokens for s in shared) * 2 == sum(p.input_tokens for p in plain)


def test_a_seq2seq_model_says_why_it_cannot_score(seq2seq_dir):
    spec = ModelSpec(name="t5", source=str(seq2seq_dir), architecture="seq2seq")
    backend = load_backend(spec, Variant())
    with pytest.raises(LogLikelihoodUnavailable, match="causal"):
        backend.loglikelihood([("a", " b")])
