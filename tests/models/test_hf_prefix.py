"""hf backend: a prompt prefix shared by every request is prefilled once, answers unchanged."""

from __future__ import annotations

import functools

import pytest

from greenbench.models import ModelSpec, Variant, load_backend
from greenbench.models.backends.hf_prefix import MIN_SHARED_TOKENS, PrefixCache
from greenbench.models.base import shared_prefix_length

#: A preamble long enough to be cached (the tiny model's tokenizer: about a token per word).
PREAMBLE = "You answer questions about a shop. " + " ".join(f"table{i} col{i}" for i in range(30))
QUESTIONS = ["How many?", "Which customer ordered the most items last year?", "Sum?", "List all"]


def _backend(path, **variant):
    return load_backend(ModelSpec(name="tiny-llama", source=str(path)), Variant(**variant))


def test_the_shared_prefix_leaves_every_prompt_a_token_of_its_own():
    assert shared_prefix_length([[1, 2, 3, 4], [1, 2, 3, 9]]) == 3
    assert shared_prefix_length([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter keeps one
    assert shared_prefix_length([[1, 2, 3], [7, 2, 3]]) == 0
    assert shared_prefix_length([[1, 2, 3]]) == 0  # nothing to share with


@pytest.mark.parametrize("batch_size", [1, 3])
def test_prefix_cached_greedy_answers_equal_prompts_run_alone(causal_dir, batch_size):
    prompts = [f"{PREAMBLE}\nQuestion: {q}" for q in QUESTIONS]
    backend = _backend(causal_dir, batch_size=batch_size)
    requests = backend._requests(prompts, None)
    assert shared_prefix_length([r.ids for r in requests]) >= MIN_SHARED_TOKENS
    cached = backend.generate(prompts, max_new_tokens=8)
    alone = [backend.generate([p], max_new_tokens=8)[0] for p in prompts]  # one: no prefix cache
    assert cached == alone
    assert [g.prompt_tokens for g in cached] == [r.length for r in requests]  # whole prompts


def test_the_prefix_is_prefilled_once_and_batches_feed_only_their_suffixes(causal_dir):
    prompts = [f"{PREAMBLE}\nQuestion: {q}" for q in QUESTIONS]
    backend = _backend(causal_dir, batch_size=4)
    requests = backend._requests(prompts, None)
    shared = shared_prefix_length([r.ids for r in requests])
    fed: list[tuple[int, int]] = []
    forward = backend.model.forward

    @functools.wraps(forward)  # keeps the signature the cache keyword is looked up in
    def spy(*args, **kwargs):
        fed.append(tuple(kwargs["input_ids"].shape))
        return forward(*args, **kwargs)

    backend.model.forward = spy
    backend.generate(prompts, max_new_tokens=3)
    longest_suffix = max(r.length for r in requests) - shared
    assert fed[0] == (1, shared)  # the prefix, once
    assert fed[1] == (4, longest_suffix)  # the batch's prefill: suffixes only
    assert fed[2:] == [(4, 1), (4, 1)]  # then one token per step


def test_no_cache_without_a_long_enough_shared_prefix(causal_dir, prompts):
    backend = _backend(causal_dir)
    requests = backend._requests(prompts, None)
    assert PrefixCache.build(backend.model, requests, 0) is None
