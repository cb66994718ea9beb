"""Greedy generation of several sequences at once in one llama.cpp context (continuous batching).

llama-cpp-python's ``Llama`` generates one sequence at a time. Its low-level ctypes API exposes
what llama.cpp's own ``examples/batched`` uses, so :func:`generate` drives it directly:

- one context per call, with ``n_seq_max`` sequences, each in its own KV-cache stream
  (``kv_unified`` off) of ``cells`` positions: the longest prompt plus its token budget;
- each prompt is evaluated alone into its sequence, in chunks of :data:`PREFILL_CHUNK` tokens with
  the logits of each chunk's last token requested, as ``Llama.create_completion`` evaluates it;
  packing several prompts into one prefill would save little (a prompt is already a many-token
  batch) and would cut each prompt into other chunks, which can change its floating-point
  sums and flip a greedy choice;
- when every prompt starts with the same :data:`MIN_SHARED_TOKENS` or more tokens (a task's
  preamble: text-to-SQL's schema), that prefix is evaluated once into a stream of its own, and
  each prompt's stream starts as a copy of it (``llama_memory_seq_cp``, a buffer copy); only
  the rest of the prompt is evaluated, in chunks ending where a lone run's chunks end, so each
  token sees the same KV cells as in a lone run;
- then one ``llama_decode`` per step carries one token for every live sequence; each sequence's
  logits are read with ``llama_get_logits_ith`` and its next token is their argmax (greedy,
  first maximum on ties, like llama.cpp's greedy sampler);
- a sequence ends at an end-of-generation token (not counted, as llama-cpp-python's ``usage``
  does not count it), when a stop string appears in its text (cut with :func:`cut_at_stop`; the
  token that completed it is counted), or at its token budget. Its KV cells are then removed
  (``llama_memory_seq_rm``) and the next waiting prompt takes its sequence id.

One rule differs from ``create_completion``, in a rare case: that API skips its stop and length
checks while the text ends inside a multi-byte UTF-8 character (so it may run past
``max_tokens``); here the checks run on the text decoded so far, every token.

The context and the ``llama_batch`` are freed (``llama_batch_free``, ``llama_free``) before
:func:`generate` returns or raises; nothing here is left to a finalizer.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenbench.errors import GreenbenchError
from greenbench.models.base import cut_at_stop, shared_prefix_length

#: Tokens per prefill ``llama_decode`` call: llama-cpp-python's default ``n_batch``, so a prompt
#: is cut into the chunks ``Llama.create_completion`` would cut it into.
PREFILL_CHUNK = 512
#: llama.cpp sizes each sequence's KV stream in multiples of this many positions.
CELL_BLOCK = 256
#: Shortest prompt prefix shared by all requests that is evaluated once and copied, tokens.
MIN_SHARED_TOKENS = 32


@dataclass
class Request:
    """One prompt to complete."""

    tokens: list[int]
    """Prompt token ids, special tokens included (length >= 1)."""
    budget: int
    """Most tokens to generate (>= 1)."""


@dataclass
class _Live:
    """A sequence being generated in a KV-cache stream."""

    index: int
    """Position of its request in the caller's list."""
    seq_id: int
    """llama.cpp sequence id (= KV stream) it occupies."""
    position: int
    """Position the next token is decoded at (prompt tokens + tokens decoded since)."""
    budget: int
    """Most tokens to generate."""
    tokens: list[int] = field(default_factory=list)
    """Generated token ids so far (end-of-generation token excluded)."""
    data: bytes = b""
    """UTF-8 bytes of ``tokens`` as llama-cpp-python detokenizes them."""
    text: str | None = None
    """Final text once the sequence ended, else None."""


class _Context:
    """A llama.cpp context with ``n_seq`` sequence streams of ``cells`` positions each, and a
    ``llama_batch`` for it; :meth:`close` frees both."""

    def __init__(self, llm: Any, n_seq: int, cells: int) -> None:
        import llama_cpp

        self._lib = llama_cpp
        params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
        size = max(PREFILL_CHUNK, n_seq)  # a prefill chunk or one token per sequence
        params.n_ctx = n_seq * cells
        params.n_seq_max = n_seq
        params.n_batch = params.n_ubatch = size
        # a KV stream per sequence: its attention sees only its own cells, so its logits are
        # bit-identical to a lone run; one stream shared by all (kv_unified) changed the logits
        # and flipped greedy tokens of SmolLM2 in tests/models/test_llamacpp_batch.py
        params.kv_unified = False
        self.ctx = llama_cpp.llama_init_from_model(llm.model, params)
        if not self.ctx:
            raise GreenbenchError(
                f"llama.cpp could not create a context for {n_seq} sequences of {cells} "
                "tokens (out of memory?); use a smaller variant.batch_size"
            )
        self.batch = llama_cpp.llama_batch_init(size, 0, 1)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_vocab = int(llm.n_vocab())

    def decode(self, items: Sequence[tuple[int, int, int, bool]]) -> None:
        """Evaluate ``(token, position, seq_id, wants_logits)`` items in one ``llama_decode``."""
        batch = self.batch
        batch.n_tokens = len(items)
        for i, (token, position, seq_id, wants_logits) in enumerate(items):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq_id
            batch.logits[i] = wants_logits
        status = self._lib.llama_decode(self.ctx, batch)
        if status != 0:
            raise GreenbenchError(f"llama_decode failed with status {status}")

    def prefill(self, tokens: Sequence[int], seq_id: int, start: int = 0) -> int:
        """Evaluate prompt ``tokens[start:]`` into ``seq_id`` (whose cells already hold the
        first ``start``), in chunks ending at multiples of :data:`PREFILL_CHUNK` as a lone run's
        do, with the logits of each chunk's last token; the prompt's greedy next token."""
        while start < len(tokens):
            end = min(len(tokens), (start // PREFILL_CHUNK + 1) * PREFILL_CHUNK)
            last = end - start - 1
            self.decode([(tokens[p], p, seq_id, p == end - 1) for p in range(start, end)])
            start = end
        return self.argmax(last)

    def copy(self, source: int, seq_id: int) -> None:
        """Make ``seq_id``'s stream a copy of ``source``'s (every cell; copied at the next
        decode)."""
        self._lib.llama_memory_seq_cp(self.memory, source, seq_id, -1, -1)

    def argmax(self, i: int) -> int:
        """Greedy next token from the logits of item ``i`` of the last :meth:`decode`."""
        return int(np.argmax(self.logits(i)))

    def logits(self, i: int) -> np.ndarray:
        """The logits of item ``i`` of the last :meth:`decode` (a view of llama.cpp's buffer,
        valid until the next decode)."""
        pointer = self._lib.llama_get_logits_ith(self.ctx, i)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))

    def forget(self, seq_id: int) -> None:
        """Remove every KV cell of ``seq_id`` (its stream is then free for another prompt)."""
        self._lib.llama_memory_seq_rm(self.memory, seq_id, -1, -1)

    def close(self) -> None:
        """Free the batch (``llama_batch_free``), then the context (``llama_free``)."""
        if self.ctx:
            self._lib.llama_batch_free(self.batch)
            self._lib.llama_free(self.ctx)
            self.ctx = None


def generate(
    llm: Any,
    requests: Sequence[Request],
    *,
    n_seq: int,
    stop: Sequence[str],
    on_done: Callable[[int], None] | None = None,
) -> list[tuple[str, int]]:
    """Greedy completions of ``requests``, at most ``n_seq`` at a time, with the weights and
    tokenizer of ``llm`` (a loaded ``llama_cpp.Llama``).

    Returns ``(text, generated_tokens)`` per request, in request order. ``stop``: strings that
    end a sequence; the text is cut before the earliest one. ``on_done(n)`` hears of ``n``
    sequences finished (progress).
    """
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    longest = max(len(r.tokens) + r.budget for r in requests)
    cells = -(-longest // CELL_BLOCK) * CELL_BLOCK
    n_seq = max(1, min(n_seq, len(requests)))
    shared = shared_prefix_length([r.tokens for r in requests])
    if shared < MIN_SHARED_TOKENS:
        shared = 0
    results: list[tuple[str, int] | None] = [None] * len(requests)
    waiting = deque(enumerate(requests))
    free = list(range(n_seq))  # a heap: a new prompt takes the lowest free sequence id
    live: list[_Live] = []

    def advance(seq: _Live, token: int) -> None:
        """Take ``token`` as ``seq``'s next token, or end ``seq``."""
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            seq.text = seq.data.decode("utf-8", errors="ignore")
            return
        seq.tokens.append(token)
        seq.data += llm.detokenize([token])
        text = seq.data.decode("utf-8", errors="ignore")
        cut, stop_end = cut_at_stop(text, stop)
        if stop_end is not None or len(seq.tokens) >= seq.budget:
            seq.text = cut

    prefix_seq = n_seq  # the shared prefix's own stream, after the sequences' streams
    context = _Context(llm, n_seq + (1 if shared else 0), cells)
    try:
        if shared:
            context.prefill(requests[0].tokens[:shared], prefix_seq)
        while waiting or live:
            while waiting and free:  # a free stream takes the next prompt
                index, request = waiting.popleft()
                seq = _Live(index, heapq.heappop(free), len(request.tokens), request.budget)
                if shared:
                    context.copy(prefix_seq, seq.seq_id)
                advance(seq, context.prefill(request.tokens, seq.seq_id, start=shared))
                live.append(seq)
            # ascending, tightly packed sequence ids: llama.cpp then computes a step in one
            # micro-batch (out of order, it splits it, which doubled the step time here)
            running = sorted((s for s in live if s.text is None), key=lambda s: s.seq_id)
            if running:
                context.decode([(s.tokens[-1], s.position, s.seq_id, True) for s in running])
                for i, seq in enumerate(running):
                    seq.position += 1
                    advance(seq, context.argmax(i))
            finished = [s for s in live if s.text is not None]
            for seq in finished:
                results[seq.index] = (seq.text, len(seq.tokens))
                context.forget(seq.seq_id)
                heapq.heappush(free, seq.seq_id)
                live.remove(seq)
            if finished and on_done is not None:
                on_done(len(finished))
    finally:
        context.close()
    return [r for r in results if r is not None]
