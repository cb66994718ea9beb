"""int8-weight-only: int8 weights with a scale per output channel, fp32 activations, on the CPU —
answers equal to fp32's on a tiny model, the quantization itself checked by hand, and the
variant refused where it cannot run."""

from __future__ import annotations

import pytest
import torch

from greenbench.errors import GreenbenchError
from greenbench.models import ModelSpec, Variant, check_variant, load_backend
from greenbench.models.backends.int8_weight_only import Int8WeightOnlyLinear


def _causal(path, **variant):
    return load_backend(ModelSpec(name="tiny-llama", source=str(path)), Variant(**variant))


def test_answers_equal_fp32_answers_on_a_tiny_model(causal_dir, prompts):
    fp32 = _causal(causal_dir).generate(prompts, max_new_tokens=8)
    int8 = _causal(causal_dir, quantization="int8-weight-only").generate(prompts, max_new_tokens=8)
    assert [g.text for g in int8] == [g.text for g in fp32]
    assert all(g.generated_tokens == 8 for g in int8)


def test_every_linear_but_the_head_is_int8_and_counted_unpacked(causal_dir):
    base = _causal(causal_dir)
    quantized = _causal(causal_dir, quantization="int8-weight-only")
    model = quantized.model
    int8 = [m for m in model.modules() if isinstance(m, Int8WeightOnlyLinear)]
    assert len(int8) == 7 * 2  # q, k, v, o, gate, up, down in each of 2 layers
    assert isinstance(model.get_output_embeddings(), torch.nn.Linear)
    assert all(m.qweight.dtype == torch.int8 for m in int8)
    assert quantized.params().total == base.params().total
    facts = quantized.describe()
    assert facts["quantization"] == "int8-weight-only" and facts["bits"] == 8
    assert facts["device"] == "cpu"


def test_the_layer_computes_x_times_the_rounded_weights():
    torch.manual_seed(0)
    linear = torch.nn.Linear(6, 3)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -0.5, 0.25, 0, 0, 0.127]] * 3) * 2)
    layer = Int8WeightOnlyLinear(linear)
    # Row max |w| = 2 -> scale 2/127; 0.254 / (2/127) = 16.129 rounds to 16.
    assert layer.qweight[0].tolist() == [127, -64, 32, 0, 0, 16]
    x = torch.randn(2, 4, 6)
    dequantized = layer.qweight.float() * layer.scale[:, None]
    expected = x @ dequantized.T + linear.bias
    assert torch.allclose(layer(x), expected, atol=1e-5)
    assert layer(x).shape == (2, 4, 3)


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ({"dtype": "bf16"}, "quantizes fp32 weights"),
        ({"device": "cuda"}, "runs on CPU"),
        ({"backend": "llamacpp"}, "needs backend 'hf'"),
    ],
)
def test_refused_where_it_cannot_run(variant, message):
    spec = ModelSpec(name="m", source="zoo:smollm2-135m-instruct")
    with pytest.raises(GreenbenchError, match=message):
        check_variant(spec, Variant(quantization="int8-weight-only", **variant))
