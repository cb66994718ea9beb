"""Fine-tuning under bf16 autocast (``finetune.mixed_precision``): what runs in bf16, what the
record says, and that the training is the fp32 training to bf16 rounding."""

from __future__ import annotations

import pytest
import torch
from test_finetune import PAIRS, _backend

from greenbench.models import FineTune, mixed_precision


def test_auto_picks_bf16_only_where_the_device_computes_it(monkeypatch):
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    assert mixed_precision.resolve("auto", "cpu") == "bf16"
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert mixed_precision.resolve("auto", "cpu") == "no"
    assert mixed_precision.resolve("bf16", "cpu") == "bf16"  # asked for: used, even emulated
    assert mixed_precision.resolve("no", "cpu") == "no"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert mixed_precision.resolve("auto", "cuda") == "no"


def _linear_dtypes(backend) -> list[torch.dtype]:
    """Output dtypes of the model's first linear layer, one per training forward pass."""
    seen: list[torch.dtype] = []
    layer = next(m for m in backend.model.modules() if isinstance(m, torch.nn.Linear))
    layer.register_forward_hook(lambda _m, _a, out: seen.append(out.dtype))
    return seen


@pytest.mark.parametrize("choice, dtype", [("no", torch.float32), ("bf16", torch.bfloat16)])
def test_forward_passes_run_in_the_chosen_precision_and_weights_stay_fp32(
    causal_dir, choice, dtype
):
    config = FineTune(method="full", steps=2, batch_size=2, mixed_precision=choice)
    backend = _backend(causal_dir, config)
    seen = _linear_dtypes(backend)
    result = backend.finetune(PAIRS, config)
    assert seen and set(seen) == {dtype}
    assert result.mixed_precision == choice
    assert {p.dtype for p in backend.model.parameters()} == {torch.float32}


def test_bf16_training_follows_the_fp32_loss_curve(causal_dir):
    """Same seed, same batches: the per-interval losses agree to bf16 rounding, and both learn
    (a bf16 run that diverged, or did not train, would fail)."""
    results = {}
    for choice in ("no", "bf16"):
        config = FineTune(
            rank=4,
            target_modules=["q_proj", "v_proj", "o_proj"],
            steps=12,
            learning_rate=2e-2,
            batch_size=4,
            dropout=0.0,
            mixed_precision=choice,
        )
        results[choice] = _backend(causal_dir, config).finetune(PAIRS, config)
    fp32, bf16 = results["no"], results["bf16"]
    assert bf16.loss_last < bf16.loss_first
    assert bf16.loss_first == pytest.approx(fp32.loss_first, rel=0.005)
    assert bf16.loss_last == pytest.approx(fp32.loss_last, rel=0.005)
