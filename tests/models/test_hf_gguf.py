"""hf backend on a real GGUF file: the zoo's SmolLM2-135M-Instruct Q4_1, through transformers'
``gguf_file=`` loader (weights dequantized). Slow: ~25 s to dequantize on 2 cores."""

from __future__ import annotations

import pytest

from greenbench.models import ModelSpec, Variant, load_backend

pytestmark = pytest.mark.slow

QUESTIONS = [
    "What is the capital of France? Answer in one word.",
    "What is 2+3?",
    "Name a colour.",
]


@pytest.fixture(scope="module")
def smollm2_gguf(zoo_cache):
    from greenbench.models import zoo

    return zoo.resolve("smollm2-135m-instruct", "llamacpp").path


def test_gguf_file_loads_dequantized_and_answers(smollm2_gguf):
    spec = ModelSpec(name="smollm2", source=smollm2_gguf)
    backend = load_backend(spec, Variant(quantization="gguf:Q4_1", batch_size=3))
    facts = backend.describe()
    assert facts["gguf_file"].endswith("Q4_1.gguf")
    assert facts["note"].startswith("weights dequantized from Q4_1")
    assert backend.params().total == 134_515_008  # SmolLM2-135M, tied embeddings counted once

    batched = backend.generate(QUESTIONS, max_new_tokens=16, stop=["\n"])
    assert "Paris" in batched[0].text
    assert "5" in batched[1].text
    assert batched[0].generated_tokens < 16  # EOS or the stop string ended it early
    single = [backend.generate([q], max_new_tokens=16, stop=["\n"])[0] for q in QUESTIONS]
    assert [g.text for g in batched] == [g.text for g in single]
