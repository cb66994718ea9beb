"""Weight-only int8 linear layers for CPU inference (``quantization: int8-weight-only``).

Each ``nn.Linear`` but the output head keeps its weight as int8 with one fp32 scale per output
channel (symmetric: ``scale = max|w_row| / 127``, ``q = round(w / scale)``); activations stay in
fp32. Each call multiplies ``x`` by the weights dequantized to fp32 (``q × scale``): the weights
take a quarter of the memory at rest, and the arithmetic is fp32's. torch's fused kernel
``torch._weight_int8pack_mm`` was measured 5-35x slower than the fp32 product on the 2-core
development CPU (AMD EPYC, AVX-512; one thread: 6.3 s against 0.19 s for an 800 x 576 by
576 x 1536 product), so it is not used.

Why not ``int8-dynamic``: dynamic quantization also rounds each layer's *input* to 7 bits with
one scale per tensor, and SmolLM2's activations have outlier channels (max |x| up to ~20 000×
the mean |x| in the ``down_proj`` inputs), so most inputs round to a handful of levels; the
measured per-layer error and the answers that stop being answers are in ``docs/models.md``.
Weight-only int8 leaves activations alone.

Why not torchao's ``Int8WeightOnlyConfig``, which computes the same on CPU (int8 weight
converted to fp32 on every call, fp32 product, × scale): torchao 0.18 took 24 s to import on the
2-core development machine (it tries to load its CUDA extensions first), a cost every job's load
phase would pay, for twenty lines of arithmetic.
"""

from __future__ import annotations

import torch

#: Largest magnitude of a symmetric int8 weight.
INT8_MAX = 127


class Int8WeightOnlyLinear(torch.nn.Module):
    """A linear layer with int8 weights (one fp32 scale per output channel), fp32 activations."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=torch.finfo(torch.float32).tiny) / INT8_MAX
        qweight = torch.round(weight / scale[:, None]).clamp(-INT8_MAX, INT8_MAX)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("qweight", qweight.to(torch.int8).contiguous())
        """int8 weights, shape (out_features, in_features)."""
        self.register_buffer("scale", scale.contiguous())
        """fp32 scale of each output channel, shape (out_features,)."""
        self.bias = linear.bias
        """The fp32 bias (a parameter), or None."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ (qweight × scale)^T + bias`` for fp32 ``x`` of shape (..., in_features)."""
        weight = self.qweight.to(x.dtype) * self.scale[:, None].to(x.dtype)
        return torch.nn.functional.linear(x, weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 weights"


def quantize_int8_weight_only(model: torch.nn.Module) -> torch.nn.Module:
    """Replace, in place, every ``nn.Linear`` of ``model`` but its output head (kept in full
    precision, as for ``int8-dynamic``: it is tied to the input embeddings) with an
    :class:`Int8WeightOnlyLinear`; return ``model``."""
    get_head = getattr(model, "get_output_embeddings", None)
    head = get_head() if callable(get_head) else None
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear) and child is not head:
                setattr(parent, name, Int8WeightOnlyLinear(child))
    return model


def int8_weight_count(model: torch.nn.Module) -> int:
    """Weights held as int8 buffers (outside ``parameters()``), for parameter counts."""
    return sum(m.qweight.numel() for m in model.modules() if isinstance(m, Int8WeightOnlyLinear))
