"""llamacpp backend on the zoo's SmolLM2-135M-Instruct GGUF (Q4_1, from the PyPI wheel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenbench.errors import GreenbenchError
from greenbench.models.spec import ModelSpec, Variant

pytest.importorskip("llama_cpp")

from greenbench.models.backends.llamacpp import LlamaCppBackend

pytestmark = pytest.mark.slow

SPEC = ModelSpec(name="smollm2", source="zoo:smollm2-135m-instruct", kind="llamacpp")
QUESTIONS = [
    "What is the capital of France? Answer in one word.",
    "Name a colour.",
    "Write one sentence about the sea.",
]


@pytest.fixture(scope="module")
def chat(zoo_cache):
    backend = LlamaCppBackend(SPEC, Variant())
    yield backend
    backend.close()


def test_greedy_chat_generation_is_deterministic_and_order_free(chat):
    first = chat.generate(QUESTIONS, max_new_tokens=24)
    again = chat.generate(list(reversed(QUESTIONS)), max_new_tokens=24)
    assert [g.text for g in first] == [g.text for g in reversed(again)]
    assert all(g.text.strip() for g in first)
    assert all(0 < g.generated_tokens <= 24 for g in first)
    # the chat template wraps the prompt: more tokens than the bare question
    bare = len(chat.llm.tokenize(QUESTIONS[0].encode(), add_bos=False))
    assert first[0].prompt_tokens > bare


def test_progress_is_reported_as_sequences_finish(zoo_cache):
    backend = LlamaCppBackend(SPEC, Variant(batch_size=2))
    done: list[int] = []
    backend.on_progress = done.append
    try:
        backend.generate(QUESTIONS * 2, max_new_tokens=8)
    finally:
        backend.close()
    assert sum(done) == len(QUESTIONS) * 2
    assert len(done) >= 3  # two streams: reported wave by wave, not once at the end


def test_stop_strings_cut_the_completion(chat):
    free = chat.generate(QUESTIONS[2:], max_new_tokens=32)[0]
    words = free.text.split()
    assert len(words) >= 3, free.text
    stop = " " + words[2]
    cut = chat.generate(QUESTIONS[2:], max_new_tokens=32, stop=[stop])[0]
    assert cut.text == free.text[: free.text.index(stop)]
    assert cut.generated_tokens < free.generated_tokens


def test_plain_completion_without_chat_template(zoo_cache):
    spec = SPEC.model_copy(update={"chat_template": False})
    backend = LlamaCppBackend(spec, Variant(quantization="gguf:Q4_1"))
    answer = backend.generate(["The capital of France is"], max_new_tokens=8, stop=["."])[0]
    assert answer.text.strip() == "Paris"
    assert answer.prompt_tokens == 5
    assert backend.params().total == 134_515_008  # llama_model_n_params, tied embeddings once
    facts = backend.describe()
    assert (facts["gguf_level"], facts["source_level"], facts["device"]) == ("Q4_1", "Q4_1", "cpu")
    assert facts["batch_size"] == 8  # Variant's default: prompts decoded 8 at a time
    assert facts["license"] == "Apache-2.0"
    backend.close()


def test_another_level_is_requantized_and_labelled(zoo_cache):
    backend = LlamaCppBackend(SPEC, Variant(quantization="gguf:Q8_0", device="cpu"))
    facts = backend.describe()
    assert facts["gguf_level"] == "Q8_0" and facts["source_level"] == "Q4_1"
    assert "requantized from Q4_1 to Q8_0" in facts["note"]
    assert Path(facts["gguf_file"]).is_relative_to(zoo_cache)
    assert backend.generate(QUESTIONS[:1], max_new_tokens=8)[0].generated_tokens > 0
    backend.close()


def test_bad_levels_and_sources_are_named(zoo_cache, tmp_path):
    with pytest.raises(GreenbenchError, match=r"'int8-dynamic' is not a llama\.cpp level"):
        LlamaCppBackend(SPEC, Variant(quantization="int8-dynamic"))
    with pytest.raises(GreenbenchError, match="cannot make IQ2_XS from it"):
        LlamaCppBackend(SPEC, Variant(quantization="gguf:IQ2_XS"))
    empty = SPEC.model_copy(update={"source": str(tmp_path)})
    with pytest.raises(GreenbenchError, match=r"has no single \.gguf file for level Q8_0"):
        LlamaCppBackend(empty, Variant(quantization="gguf:Q8_0"))


def test_an_unreadable_gguf_is_a_clear_error(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF\x03\x00\x00\x00not a model")
    spec = SPEC.model_copy(update={"source": str(broken), "chat_template": False})
    with pytest.raises(GreenbenchError, match=r"llama\.cpp could not load .*broken\.gguf"):
        LlamaCppBackend(spec, Variant())
