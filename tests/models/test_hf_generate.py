"""hf backend: text generation with tiny causal and seq2seq models (offline, CPU)."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from greenbench.errors import GreenbenchError
from greenbench.models import Generation, ModelSpec, Variant, load_backend
from greenbench.models.backends.hf_generate import (
    CPU_AUTO_BATCH,
    cut_at_stop,
    fastest_batch_size,
    run_batches,
)


def _causal(path, **variant):
    return load_backend(ModelSpec(name="tiny-llama", source=str(path)), Variant(**variant))


def test_batched_greedy_equals_one_at_a_time(causal_dir, prompts):
    batched = _causal(causal_dir, batch_size=4).generate(prompts, max_new_tokens=10)
    single = _causal(causal_dir, batch_size=1).generate(prompts, max_new_tokens=10)
    assert batched == single
    assert all(g.generated_tokens == 10 for g in batched)  # random weights rarely emit EOS


def test_auto_batch_size_on_cpu_is_timed_and_matches_fixed(causal_dir, prompts):
    backend = _causal(causal_dir, batch_size="auto")
    out = backend.generate(prompts, max_new_tokens=6)
    assert out == _causal(causal_dir, batch_size=1).generate(prompts, max_new_tokens=6)
    picked = backend.describe()["auto_batch_size"][6]  # what the timing picked, per length
    assert picked in (1, 2, 4, 8, 16, 32) and picked <= min(CPU_AUTO_BATCH, len(prompts))


def test_the_cpu_probe_keeps_the_fastest_batch_and_stops_past_the_peak():
    # seconds per batch: 1 prompt 1.0 s, 2 in 1.2 s, 4 in 1.6 s (peak: 2.5/s), 8 in 3.5 s
    times = {1: 1.0, 2: 1.2, 4: 1.6, 8: 3.5, 16: 6.0}
    tried: list[int] = []

    def time_batch(size: int) -> float:
        tried.append(size)
        return times[size]

    assert fastest_batch_size(time_batch, 16) == 4
    assert tried == [1, 2, 4, 8]  # stopped at the first size that did not pay
    assert fastest_batch_size(lambda n: 1.0, 3) == 2  # the limit bounds the doubling
    assert fastest_batch_size(lambda n: float(n), 16) == 1  # no gain from batching at all


def test_prompt_tokens_count_the_chat_template(causal_dir, prompts):
    tokenizer = AutoTokenizer.from_pretrained(causal_dir)
    templated = _causal(causal_dir).generate(prompts[:2], max_new_tokens=2)
    plain_spec = ModelSpec(name="plain", source=str(causal_dir), chat_template=False)
    plain = load_backend(plain_spec, Variant()).generate(prompts[:2], max_new_tokens=2)
    for prompt, with_template, without in zip(prompts, templated, plain, strict=False):
        assert without.prompt_tokens == len(tokenizer(prompt)["input_ids"])
        chat = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
        assert with_template.prompt_tokens == len(tokenizer(chat)["input_ids"])
        assert with_template.prompt_tokens > without.prompt_tokens


def test_stop_string_cuts_the_text_and_halts_early(causal_dir, prompts):
    backend = _causal(causal_dir)
    full = backend.generate(prompts[:1], max_new_tokens=16)[0]
    # a stop string taken from the middle of the unstopped output: ASCII letters only
    middle = full.text[len(full.text) // 3 :]
    start = next(i for i, ch in enumerate(middle) if ch.isascii() and ch.isalpha())
    stop = middle[start]
    expected = full.text[: full.text.find(stop)]
    cut = backend.generate(prompts[:1], max_new_tokens=16, stop=[stop, "never-generated"])[0]
    assert cut.text == expected
    assert stop not in cut.text
    assert cut.generated_tokens < full.generated_tokens


def test_cut_at_stop_uses_the_earliest_stop():
    assert cut_at_stop("abc\n\nQ: x", ["Q:", "\n\n"]) == ("abc", 5)
    assert cut_at_stop("abc", ["z"]) == ("abc", None)


def test_run_batches_returns_input_order_whatever_the_batching():
    from greenbench.models.backends.hf_generate import Request

    requests = [Request(i, f"p{i}", length) for i, length in enumerate([3, 9, 1, 5])]
    seen: list[list[int]] = []

    def generate_batch(batch):
        seen.append([r.index for r in batch])
        return [(r.text.upper(), r.length, 1) for r in batch]

    out = run_batches(requests, 2, generate_batch, back_off=False)
    assert [g.text for g in out] == ["P0", "P1", "P2", "P3"]
    assert seen == [[1, 3], [0, 2]]  # longest first


def test_seq2seq_generates_batched_like_unbatched(seq2seq_dir, prompts):
    spec = ModelSpec(name="tiny-t5", source=str(seq2seq_dir), architecture="seq2seq")
    batched = load_backend(spec, Variant(batch_size=3)).generate(prompts, max_new_tokens=8)
    single = load_backend(spec, Variant(batch_size=1)).generate(prompts, max_new_tokens=8)
    assert batched == single
    assert all(isinstance(g, Generation) and g.generated_tokens <= 8 for g in batched)
    tokenizer = AutoTokenizer.from_pretrained(seq2seq_dir)
    assert [g.prompt_tokens for g in batched] == [len(tokenizer(p)["input_ids"]) for p in prompts]


def test_int8_dynamic_runs_on_cpu_and_reports_8_bits(causal_dir, prompts):
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    base = _causal(causal_dir)
    quantized = _causal(causal_dir, quantization="int8-dynamic")
    out = quantized.generate(prompts, max_new_tokens=5)
    assert len(out) == len(prompts) and all(g.generated_tokens == 5 for g in out)
    assert quantized.describe()["bits"] == 8
    assert quantized.describe()["quantization"] == "int8-dynamic"
    assert any(isinstance(m, DynamicLinear) for m in quantized.model.modules())
    assert quantized.params().total == base.params().total  # int8 weights counted unpacked
    assert base.params().trainable == 0


def test_params_count_the_model_object(causal_dir):
    backend = _causal(causal_dir)
    expected = sum(p.numel() for p in backend.model.parameters())
    assert backend.params().total == expected > 0


def test_describe_names_device_dtype_and_source(causal_dir):
    facts = _causal(causal_dir, dtype="bf16").describe()
    assert facts["device"] == "cpu" and facts["dtype"] == "bf16" and facts["bits"] == 16
    assert facts["source"] == str(causal_dir)


def test_bf16_generates_on_cpu(causal_dir, prompts):
    out = _causal(causal_dir, dtype="bf16").generate(prompts[:2], max_new_tokens=4)
    assert [g.generated_tokens for g in out] == [4, 4]


def test_classifier_cannot_generate(classifier_dir):
    spec = ModelSpec(name="vit", source=str(classifier_dir), architecture="image-classifier")
    with pytest.raises(GreenbenchError, match="does not generate"):
        load_backend(spec, Variant()).generate(["x"])


def test_wrong_architecture_for_checkpoint_is_a_one_line_error(classifier_dir):
    spec = ModelSpec(name="vit", source=str(classifier_dir), architecture="causal")
    with pytest.raises(GreenbenchError, match="architecture 'causal'"):
        load_backend(spec, Variant())


def test_hub_id_missing_offline_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(GreenbenchError, match="cannot load source 'nobody/absent-model'") as err:
        load_backend(ModelSpec(name="m", source="nobody/absent-model"), Variant())
    assert "\n" not in str(err.value)
