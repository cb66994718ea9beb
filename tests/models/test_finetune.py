"""Fine-tuning through the hf backend: LoRA (peft), full, and the checks before training."""

from __future__ import annotations

import json

import pytest
import tiny

from greenbench.errors import GreenbenchError
from greenbench.models import FineTune, ModelSpec, Variant, load_backend

PAIRS = [
    ("what is the answer?", "the answer is 42 ."),
    ("name a bird", "a red kite"),
    ("where is the kite?", "over the quiet harbour"),
    ("what sits on the chair?", "a cat"),
]


def _backend(path, config: FineTune, architecture="causal", **variant):
    spec = ModelSpec(name="tiny", source=str(path), architecture=architecture)
    return load_backend(spec, Variant(finetune=config, **variant))


def test_lora_lowers_the_loss_and_counts_trainable_params_by_hand(causal_dir, tmp_path):
    rank = 4
    config = FineTune(
        rank=rank,
        target_modules=["q_proj", "v_proj", "o_proj"],
        steps=12,
        learning_rate=2e-2,
        batch_size=4,
        dropout=0.0,
    )
    backend = _backend(causal_dir, config)
    base_total = backend.params().total
    result = backend.finetune(PAIRS, config, output_dir=str(tmp_path / "adapter"))

    # LoRA adds A (r x in) and B (out x r) per adapted layer: r * (in + out).
    hidden, kv = tiny.HIDDEN, tiny.HIDDEN // tiny.HEADS * 2  # 2 kv heads of head_dim 8
    per_layer = rank * (hidden + hidden) + rank * (hidden + kv) + rank * (hidden + hidden)
    assert result.trainable_params == tiny.LAYERS * per_layer == 1408
    assert result.loss_last < result.loss_first
    assert result.steps == 12 and result.train_samples == 4 and result.tokens > 0
    assert backend.params().trainable == 1408
    assert backend.params().total == base_total  # merged: served model has the base shape
    saved = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert saved["r"] == rank and sorted(saved["target_modules"]) == ["o_proj", "q_proj", "v_proj"]
    assert backend.generate(["name a bird"], max_new_tokens=4)[0].generated_tokens >= 1


def test_lora_default_targets_are_peft_defaults(causal_dir):
    config = FineTune(rank=2, steps=1, batch_size=2)
    result = _backend(causal_dir, config).finetune(PAIRS, config)
    assert sorted(result.extra["target_modules"]) == ["q_proj", "v_proj"]
    hidden, kv = tiny.HIDDEN, tiny.HIDDEN // tiny.HEADS * 2
    assert result.trainable_params == tiny.LAYERS * 2 * ((hidden + hidden) + (hidden + kv))
    assert result.adapter_path is None


def test_lora_on_seq2seq_counts_every_attention_block(seq2seq_dir):
    config = FineTune(rank=2, steps=3, batch_size=2, learning_rate=1e-2)
    result = _backend(seq2seq_dir, config, architecture="seq2seq").finetune(PAIRS, config)
    # T5: q and v in 2 encoder self-attn, 2 decoder self-attn and 2 cross-attn blocks
    blocks = 3 * tiny.LAYERS
    assert result.trainable_params == blocks * 2 * 2 * (tiny.HIDDEN + tiny.HIDDEN)
    assert sorted(result.extra["target_modules"]) == ["q", "v"]


def test_full_finetune_learns_a_completion(causal_dir, tmp_path):
    config = FineTune(method="full", steps=40, learning_rate=1e-2, batch_size=1, train_samples=1)
    backend = _backend(causal_dir, config)
    total = backend.params().total
    result = backend.finetune(PAIRS[:1], config, output_dir=str(tmp_path / "full"))
    assert result.trainable_params == total
    assert result.loss_last < 0.5 * result.loss_first
    assert backend.generate([PAIRS[0][0]], max_new_tokens=12)[0].text.startswith("the answer")
    assert (tmp_path / "full" / "config.json").exists()


def test_lora_then_int8_dynamic_serves_a_quantized_merged_model(causal_dir):
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    config = FineTune(rank=2, steps=2, batch_size=2)
    backend = _backend(causal_dir, config, quantization="int8-dynamic")
    backend.finetune(PAIRS, config)
    out = backend.generate(["name a bird"], max_new_tokens=3)
    assert out[0].generated_tokens == 3
    assert any(isinstance(m, DynamicLinear) for m in backend.model.modules())
    assert backend.describe()["bits"] == 8


def test_absent_target_modules_fail_at_load_naming_the_field(causal_dir):
    config = FineTune(target_modules=["q_proj", "query_key_value"])
    with pytest.raises(GreenbenchError, match=r"finetune\.target_modules.*query_key_value"):
        _backend(causal_dir, config)


def test_lora_on_an_image_classifier_is_refused(classifier_dir):
    with pytest.raises(GreenbenchError, match=r"variant\.finetune\.method 'lora'.*use 'head'"):
        _backend(classifier_dir, FineTune(), architecture="image-classifier")
