"""Batched llama.cpp generation equals llama-cpp-python's one-at-a-time generation, token for token.

The reference is what the llamacpp backend did before batching: a ``llama_cpp.Llama`` with a
4096-token context answering each prompt alone with ``create_chat_completion`` (or
``create_completion``), greedy, reset before each prompt. Zoo model: SmolLM2-135M-Instruct Q4_1.
"""

from __future__ import annotations

import pytest

from greenbench.errors import GreenbenchError
from greenbench.models.base import Generation
from greenbench.models.spec import ModelSpec, Variant

pytest.importorskip("llama_cpp")

import llama_cpp

from greenbench.models.backends import llamacpp_batch
from greenbench.models.backends.llamacpp import N_CTX, LlamaCppBackend

pytestmark = pytest.mark.slow

SPEC = ModelSpec(name="smollm2", source="zoo:smollm2-135m-instruct", kind="llamacpp")
#: Prompts of different lengths (7 to ~120 tokens before the chat template).
PROMPTS = [
    "Name a colour.",
    "What is the capital of France? Answer in one word.",
    "Write one sentence about the sea.",
    "List three fruits, separated by commas.",
    "Explain in two sentences why the sky is blue. "
    "Keep it simple, as if talking to a child who has never heard of light scattering.",
    "Here is a table:\n"
    + "\n".join(f"| row {i} | value {i * 7} | note {i % 3} |" for i in range(12))
    + "\nWhich row has value 42?",
]
MAX_NEW = 24


def one_at_a_time(llm, prompt: str, max_new_tokens: int, stop: list[str], chat: bool) -> Generation:
    """The pre-batching path: one prompt through llama-cpp-python's high-level API."""
    options = {"temperature": 0.0, "max_tokens": max_new_tokens, "stop": stop, "seed": 0}
    llm.reset()
    if chat:
        messages = [{"role": "user", "content": prompt}]
        response = llm.create_chat_completion(messages=messages, **options)
        text = response["choices"][0]["message"]["content"] or ""
    else:
        response = llm.create_completion(prompt, **options)
        text = response["choices"][0]["text"]
    usage = response["usage"]
    return Generation(text, int(usage["prompt_tokens"]), int(usage["completion_tokens"]))


@pytest.fixture(scope="module")
def backends(zoo_cache):
    """Chat backends decoding 2 and 8 sequences at a time: fewer streams than prompts (a
    finished sequence's stream takes the next prompt) and more."""
    made = {size: LlamaCppBackend(SPEC, Variant(batch_size=size)) for size in (2, 8)}
    yield made
    for backend in made.values():
        backend.close()


@pytest.fixture(scope="module")
def reference(backends):
    backend = backends[2]
    llm = llama_cpp.Llama(
        model_path=str(backend.path),
        n_ctx=N_CTX,
        n_threads=backend.n_threads,
        n_threads_batch=backend.n_threads,
        seed=0,
        verbose=False,
    )
    yield llm
    llm.close()


@pytest.mark.parametrize("stop", [[], ["."]], ids=["no-stop", "stop-period"])
def test_batched_chat_equals_one_at_a_time(backends, reference, stop):
    expected = [one_at_a_time(reference, p, MAX_NEW, stop, chat=True) for p in PROMPTS]
    for size, backend in backends.items():
        assert backend.generate(PROMPTS, max_new_tokens=MAX_NEW, stop=stop) == expected, size
    # the cases the comparison must cover: an answer cut at MAX_NEW, and (with a stop string)
    # an answer cut at it before MAX_NEW
    assert any(g.generated_tokens == MAX_NEW for g in expected)
    if stop:
        assert any(g.generated_tokens < MAX_NEW and "." not in g.text for g in expected)
    assert len({g.prompt_tokens for g in expected}) == len(PROMPTS)


def test_batched_plain_completion_equals_one_at_a_time(zoo_cache, reference):
    spec = SPEC.model_copy(update={"chat_template": False})
    backend = LlamaCppBackend(spec, Variant(batch_size=3))
    prompts = ["The capital of France is", "Once upon a time", "def add(a, b):", "1, 2, 3,"]
    try:
        got = backend.generate(prompts, max_new_tokens=16, stop=["\n\n"])
    finally:
        backend.close()
    assert got == [one_at_a_time(reference, p, 16, ["\n\n"], chat=False) for p in prompts]


def test_a_prompt_too_long_for_the_context_is_named(backends):
    with pytest.raises(GreenbenchError, match="does not fit the context window"):
        backends[2].generate(["word " * N_CTX], max_new_tokens=4)


def test_generate_frees_its_context_and_batch_even_on_error(backends, monkeypatch):
    closed = []
    real_close = llamacpp_batch._Context.close

    def spy(self):
        real_close(self)
        closed.append(self.ctx)

    monkeypatch.setattr(llamacpp_batch._Context, "close", spy)
    backends[2].generate(PROMPTS[:2], max_new_tokens=2)
    assert closed == [None]

    def fail(self, items):
        raise GreenbenchError("decode failed")

    monkeypatch.setattr(llamacpp_batch._Context, "decode", fail)
    with pytest.raises(GreenbenchError, match="decode failed"):
        backends[2].generate(PROMPTS[:2], max_new_tokens=2)
    assert closed == [None, None]


def test_close_frees_the_model_and_is_idempotent(zoo_cache):
    backend = LlamaCppBackend(SPEC, Variant(batch_size=2))
    assert backend.generate(PROMPTS[:3], max_new_tokens=4)[0].generated_tokens > 0
    llm = backend.llm
    backend.close()
    # llama-cpp-python's handles to the native model, context and batch, None once freed
    assert (llm._model.model, llm._ctx.ctx, llm._batch.batch) == (None, None, None)
    assert backend.llm is None
    backend.close()


#: Prompts sharing a long preamble, as a text-to-SQL task's prompts share their schema.
PREAMBLE = "You write SQLite queries. Database schema:\n" + "\n".join(
    f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, value_{i} REAL);" for i in range(8)
)
SHARED = [
    f"{PREAMBLE}\nQuestion: {q}\nSQL:"
    for q in ("How many rows are in t1?", "What is the largest value_3 in t3?", "Names in t5?")
]


@pytest.mark.parametrize("chat", [True, False], ids=["chat", "plain"])
def test_a_shared_prompt_prefix_is_evaluated_once_with_equal_answers(
    zoo_cache, reference, monkeypatch, chat
):
    prefills: list[tuple[int, int]] = []
    real_prefill = llamacpp_batch._Context.prefill

    def spy(self, tokens, seq_id, start=0):
        prefills.append((len(tokens), start))
        return real_prefill(self, tokens, seq_id, start)

    monkeypatch.setattr(llamacpp_batch._Context, "prefill", spy)
    backend = LlamaCppBackend(
        SPEC.model_copy(update={"chat_template": chat}), Variant(batch_size=2)
    )
    try:
        got = backend.generate(SHARED, max_new_tokens=MAX_NEW)
    finally:
        backend.close()
    assert got == [one_at_a_time(reference, p, MAX_NEW, [], chat=chat) for p in SHARED]
    shared, start = prefills[0]  # the preamble, once, into its own stream
    assert start == 0 and shared >= llamacpp_batch.MIN_SHARED_TOKENS
    assert [s for _, s in prefills[1:]] == [shared] * len(SHARED)  # each prompt: its own part
