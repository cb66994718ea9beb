"""Log-likelihood scoring for transformers causal LMs, batched (lm-eval's ``loglikelihood``).

Rows (:func:`greenbench.models.loglik.plan_rows`) are run longest first in batches, left-padded
with explicit ``position_ids`` so every row ends at the same position: the model then computes
logits only for the last ``k`` positions (``logits_to_keep``, when the model takes it), ``k``
the longest continuation of the batch, instead of the whole vocabulary at every position.
Log-probabilities are ``log_softmax`` in float32 whatever the model's dtype (as lm-eval).

Pairs that share their input (one-token continuations of one context) share a row by default;
``docs/metrics.md`` gives the measured speed of shared rows against one row per pair
(``benchmarks/bench_loglik.py``).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import torch

from greenbench.models.base import LogLikelihood
from greenbench.models.loglik import Row, encode_pair, plan_rows

#: Window used when neither the model config nor the tokenizer states one (lm-eval's default).
DEFAULT_MAX_LENGTH = 2048
#: Config attributes that may hold a model's window, in lm-eval's order of preference.
_WINDOW_ATTRS = ("n_positions", "max_position_embeddings", "n_ctx")


def max_length(model: Any, tokenizer: Any) -> int:
    """The model's window in tokens: its config, else the tokenizer's, else 2048 (lm-eval)."""
    for attr in _WINDOW_ATTRS:
        value = getattr(model.config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < 10**9:
        return limit
    return DEFAULT_MAX_LENGTH


def prefix_token(tokenizer: Any) -> int | None:
    """What an empty context becomes: end-of-text, else BOS (lm-eval's ``prefix_token_id``)."""
    return tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.bos_token_id


def encode_requests(
    tokenizer: Any, requests: Sequence[tuple[str, str]]
) -> list[tuple[list[int], list[int]]]:
    """Each ``(context, continuation)`` split into tokens as lm-eval does (no special tokens)."""

    def encode(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    prefix = prefix_token(tokenizer)
    return [encode_pair(encode, ctx, cont, prefix) for ctx, cont in requests]


def score(
    model: Any,
    encoded: Sequence[tuple[list[int], list[int]]],
    *,
    batch_size: int,
    window: int,
    pad_id: int,
    device: torch.device,
    shared: bool = True,
) -> list[LogLikelihood]:
    """Log-likelihood of each encoded pair, in input order.

    ``batch_size``: rows per forward pass; ``window``: the model's context length in tokens;
    ``shared``: pairs with identical inputs share one row.
    """
    rows, empty = plan_rows(encoded, window, shared=shared)
    results: list[LogLikelihood | None] = [None] * len(encoded)
    for index in empty:
        results[index] = LogLikelihood(0.0, 0, True, 0)
    keep_arg = "logits_to_keep" in inspect.signature(model.forward).parameters
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        for index, result in _score_batch(model, batch, pad_id, device, keep_arg):
            results[index] = result
    return results  # type: ignore[return-value]  # every index was filled above


def _score_batch(
    model: Any, batch: list[Row], pad_id: int, device: torch.device, keep_arg: bool
) -> list[tuple[int, LogLikelihood]]:
    width = max(len(r.tokens) for r in batch)
    keep = max(len(cont) for r in batch for _, cont in r.readers)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, row in enumerate(batch):
        ids[i, width - len(row.tokens) :] = torch.tensor(row.tokens)
        mask[i, width - len(row.tokens) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    inputs = {"input_ids": ids, "attention_mask": mask, "position_ids": positions}
    inputs = {k: v.to(device) for k, v in inputs.items()}
    if keep_arg:
        inputs["logits_to_keep"] = keep
    with torch.inference_mode():
        logits = model(**inputs, use_cache=False).logits[:, -keep:, :]
        logprobs = torch.log_softmax(logits.float(), dim=-1).cpu()
    out = []
    for i, row in enumerate(batch):
        for k, (index, continuation) in enumerate(row.readers):
            n = len(continuation)
            span = logprobs[i, keep - n :]
            target = torch.tensor(continuation).unsqueeze(-1)
            total = float(span.gather(-1, target).sum())
            greedy = bool((span.argmax(-1) == target.squeeze(-1)).all())
            computed = len(row.tokens) if k == 0 else 0  # a shared row counts once
            out.append((index, LogLikelihood(total, n, greedy, computed)))
    return out
