"""A prompt prefix shared by every request, computed once: the ``hf`` backend's prefix cache.

Many tasks put the same long preamble before each question — text-to-SQL repeats a ~270-token
database schema in all its prompts. Prefilling it once per prompt is most of the work of a short
generation on a CPU. When every prompt of a call starts with the same
:data:`MIN_SHARED_TOKENS` or more tokens, the model runs that prefix once (batch of one) and
each batch starts from a copy of its KV cache, expanded to the batch; only the rest of each
prompt is prefilled.

Layout of a batch: ``[prefix][pads][suffix]`` per row — the prefix's cache slots are the same
for every row, the padding that evens the suffixes sits between prefix and suffix, masked out,
and transformers' position ids (the attention mask's cumulative sum) skip it, so every token
keeps the position it has in the unpadded prompt. The model computes the same attention as for
``[pads][prefix][suffix]``; only floating-point summation order differs (the tests check greedy
outputs equal those of prompts run one at a time).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from greenbench.models.backends.hf_generate import Request
from greenbench.models.base import shared_prefix_length

#: Shortest shared prefix worth caching, tokens: below it the saved prefill is smaller than the
#: cost of copying the cache per batch.
MIN_SHARED_TOKENS = 32


@dataclass
class PrefixCache:
    """The KV cache of a shared prefix and how to start a batch from it."""

    ids: list[int]
    """The prefix's token ids."""
    cache: Any
    """The model's cache after the prefix, batch size 1 (never modified; copied per batch)."""
    cache_arg: str
    """The keyword ``model.generate`` takes the cache as (``cache`` or ``past_key_values``)."""
    pad_id: int

    @classmethod
    def build(cls, model, requests: Sequence[Request], pad_id: int) -> PrefixCache | None:
        """Run the shared prefix of ``requests`` through ``model`` once; None when they share
        fewer than :data:`MIN_SHARED_TOKENS` tokens or the model takes no cache argument."""
        if any(r.ids is None for r in requests):
            return None
        length = shared_prefix_length([r.ids for r in requests])
        params = inspect.signature(model.forward).parameters
        cache_arg = next((n for n in ("cache", "past_key_values") if n in params), None)
        if length < MIN_SHARED_TOKENS or cache_arg is None:
            return None
        ids = list(requests[0].ids[:length])
        inputs = torch.tensor([ids], device=model.device)
        with torch.inference_mode():
            out = model(input_ids=inputs, use_cache=True)
        cache = getattr(out, "cache", None)
        if cache is None:
            cache = out.past_key_values
        return cls(ids, cache, cache_arg, pad_id)

    def batch_inputs(self, batch: Sequence[Request], device: torch.device) -> dict[str, Any]:
        """``generate`` keyword arguments for ``batch``: ``[prefix][pads][suffix]`` ids, the
        mask hiding the pads, and a copy of the prefix cache expanded to the batch."""
        start = len(self.ids)
        suffixes = [r.ids[start:] for r in batch]
        width = max(len(s) for s in suffixes)
        rows, masks = [], []
        for suffix in suffixes:
            gap = width - len(suffix)
            rows.append(self.ids + [self.pad_id] * gap + list(suffix))
            masks.append([1] * start + [0] * gap + [1] * len(suffix))
        cache = copy.deepcopy(self.cache)
        if len(batch) > 1:
            cache.batch_repeat_interleave(len(batch))
        return {
            "input_ids": torch.tensor(rows, device=device),
            "attention_mask": torch.tensor(masks, device=device),
            self.cache_arg: cache,
        }
