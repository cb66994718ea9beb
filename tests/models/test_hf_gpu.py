"""hf backend and fine-tuning on CUDA: bitsandbytes 8/4-bit, QLoRA, fp16, auto batch size.

Run only where an NVIDIA GPU and bitsandbytes are present (``pytest -m gpu``)."""

from __future__ import annotations

import importlib.util

import pytest
import tiny

from greenbench.models import FineTune, ModelSpec, Variant, load_backend
from greenbench.models.device import cuda_available

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not cuda_available(), reason="needs a CUDA GPU"),
]
needs_bnb = pytest.mark.skipif(
    importlib.util.find_spec("bitsandbytes") is None, reason="needs bitsandbytes"
)


def _causal(path, **variant):
    return load_backend(ModelSpec(name="tiny", source=str(path)), Variant(**variant))


@needs_bnb
@pytest.mark.parametrize(("quant", "bits"), [("bnb-8bit", 8), ("bnb-4bit-nf4", 4)])
def test_bitsandbytes_loads_generates_and_counts_unpacked(causal_dir, prompts, quant, bits):
    base = _causal(causal_dir, device="cuda")
    quantized = _causal(causal_dir, quantization=quant, device="cuda")
    assert quantized.describe()["bits"] == bits
    assert quantized.params().total == base.params().total
    out = quantized.generate(prompts, max_new_tokens=4)
    assert [g.generated_tokens for g in out] == [4] * len(prompts)


def test_fp16_and_auto_batch_on_cuda_match_batch_of_one(causal_dir, prompts):
    auto = _causal(causal_dir, dtype="fp16", batch_size="auto", device="cuda")
    one = _causal(causal_dir, dtype="fp16", batch_size=1, device="cuda")
    assert auto.generate(prompts, max_new_tokens=6) == one.generate(prompts, max_new_tokens=6)
    assert auto.describe()["auto_batch_size"][6] >= len(prompts)


@needs_bnb
def test_qlora_trains_on_a_4bit_base(causal_dir, tmp_path):
    config = FineTune(method="qlora", rank=4, steps=12, learning_rate=2e-2, batch_size=2)
    backend = _causal(causal_dir, finetune=config, device="cuda")
    pairs = [("what is the answer?", "the answer is 42 ."), ("name a bird", "a red kite")]
    result = backend.finetune(pairs, config, output_dir=str(tmp_path / "qlora"))
    hidden, kv = tiny.HIDDEN, tiny.HIDDEN // tiny.HEADS * 2
    assert result.trainable_params == tiny.LAYERS * 4 * ((hidden + hidden) + (hidden + kv))
    assert result.loss_last < result.loss_first
    assert result.extra["merged"] is False
    assert backend.describe()["quantization"] == "bnb-4bit-nf4"
    assert backend.describe()["bits"] == 4
    assert (tmp_path / "qlora" / "adapter_config.json").exists()
    assert backend.generate(["name a bird"], max_new_tokens=3)[0].generated_tokens == 3
