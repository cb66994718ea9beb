"""Batched greedy generation for the ``hf`` backend (causal, seq2seq and vision-to-text models).

The loop the sweep measures, so it wastes nothing: prompts are tokenized once, sorted by length
(longest first, so a batch size that does not fit fails on the first batch, not the last) and cut
into batches that need little padding; causal models pad on the left; transformers'
``stop_strings`` halts each row as soon as a stop string appears; results come back in input order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from greenbench.errors import GreenbenchError
from greenbench.models.base import Generation, cut_at_stop

#: Largest batch ``batch_size: auto`` tries on CPU, where running out of memory kills the process
#: instead of raising: 32 rows keep a 1B-parameter model's KV cache within a few GB.
CPU_AUTO_BATCH = 32
#: New tokens each candidate batch generates when ``batch_size: auto`` times batches on CPU.
CPU_PROBE_TOKENS = 4
#: A doubled batch must answer this much faster (prompts per second) to be preferred: below it the
#: extra padding and memory buy nothing, and the probe stops.
CPU_PROBE_GAIN = 1.1
#: Largest batch ``batch_size: auto`` probes on a GPU.
GPU_AUTO_BATCH_MAX = 512


@dataclass
class Request:
    """One prompt prepared for the model."""

    index: int
    """Position in the caller's input (results are returned in this order)."""
    text: str
    """Prompt text as the model sees it (chat template applied)."""
    length: int
    """Prompt length in tokens (sort key; reported as ``prompt_tokens``)."""
    ids: list[int] | None = None
    """Prompt token ids (text models; None where a processor tokenizes at batch time)."""
    image: Any = None
    """PIL image for vision-to-text models, else None."""


def tokens_up_to(decode: Callable[[list[int]], str], ids: list[int], end: int) -> int:
    """Fewest leading tokens of ``ids`` whose decoded text reaches character ``end``.

    Binary search: decoded length grows with the number of tokens.
    """
    lo, hi = 1, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        if len(decode(ids[:mid])) >= end:
            hi = mid
        else:
            lo = mid + 1
    return hi


def finish(
    tokenizer, new_ids: list[int], stop: Sequence[str], eos_ids: set[int], pad_id: int | None
) -> tuple[str, int]:
    """Text and generated-token count of one row of new ids (pads dropped, cut at stop/EOS)."""
    ids: list[int] = []
    for token in new_ids:
        if token in eos_ids:
            ids.append(token)
            break
        ids.append(token)
    while ids and ids[-1] == pad_id and pad_id not in eos_ids:
        ids.pop()

    def decode(part: list[int]) -> str:
        return tokenizer.decode(part, skip_special_tokens=True)

    text, stop_end = cut_at_stop(decode(ids), stop)
    count = len(ids) if stop_end is None else tokens_up_to(decode, ids, stop_end)
    return text, count


def is_oom(exc: BaseException) -> bool:
    """True for a CUDA out-of-memory error (the only failure batch back-off retries)."""
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()


def run_batches(
    requests: list[Request],
    batch_size: int,
    generate_batch: Callable[[list[Request]], list[tuple[str, int, int]]],
    *,
    back_off: bool,
    on_done: Callable[[int], None] | None = None,
) -> list[Generation]:
    """Run ``requests`` longest first in batches; return Generations in input order.

    ``generate_batch`` returns ``(text, prompt_tokens, generated_tokens)`` per request;
    ``on_done(n)`` hears of each batch of ``n`` requests answered.

    ``back_off``: on CUDA out-of-memory halve the batch and retry (``batch_size: auto``);
    otherwise the error says which variant field to change.
    """
    ordered = sorted(requests, key=lambda r: -r.length)
    results: list[Generation | None] = [None] * len(requests)
    start = 0
    while start < len(ordered):
        batch = ordered[start : start + batch_size]
        try:
            outputs = generate_batch(batch)
        except RuntimeError as exc:
            if not is_oom(exc):
                raise
            torch.cuda.empty_cache()
            if not back_off or batch_size == 1:
                raise GreenbenchError(
                    f"variant.batch_size {batch_size} does not fit in GPU memory; "
                    "use a smaller batch size or 'auto'"
                ) from exc
            batch_size //= 2
            continue
        for request, (text, prompt_tokens, count) in zip(batch, outputs, strict=True):
            results[request.index] = Generation(text, prompt_tokens, count)
        start += len(batch)
        if on_done is not None:
            on_done(len(batch))
    return [r for r in results if r is not None]


def probe_batch_size(try_batch: Callable[[int], None], limit: int) -> int:
    """Largest batch (doubling from 1, at most ``limit``) for which ``try_batch`` fits in memory."""
    best, size = 1, 1
    while size <= limit:
        try:
            try_batch(size)
        except RuntimeError as exc:
            if not is_oom(exc):
                raise
            torch.cuda.empty_cache()
            break
        best = size
        size *= 2
    return min(best, limit)


def fastest_batch_size(time_batch: Callable[[int], float], limit: int) -> int:
    """The batch size (doubling from 1, at most ``limit``) answering the most prompts per second.

    ``time_batch(size)`` runs one batch of ``size`` prompts and returns its wall time in seconds.
    Doubling stops at the first size that is not :data:`CPU_PROBE_GAIN` times faster per prompt
    than the best so far (throughput has peaked: on a CPU the cores saturate long before memory).
    """
    best, best_rate, size = 1, 0.0, 1
    while size <= limit:
        rate = size / max(time_batch(size), 1e-9)
        if rate < best_rate * CPU_PROBE_GAIN:
            break
        best, best_rate = size, rate
        size *= 2
    return best
