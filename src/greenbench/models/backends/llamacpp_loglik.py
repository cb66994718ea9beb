"""Log-likelihood scoring with llama.cpp (lm-eval's ``loglikelihood`` on a GGUF model), batched.

Rows (:func:`greenbench.models.loglik.plan_rows`, shared across one-token continuations) are
evaluated up to ``n_seq`` at a time in one llama.cpp context (:class:`.llamacpp_batch._Context`),
each row in its own sequence and KV stream, so its attention sees only its own cells. A *wave*
of rows is evaluated in three steps:

1. **Common prefix.** Tokens every row starts with (a task's instruction or few-shot preamble,
   at least :data:`MIN_SHARED_TOKENS`) are evaluated once per call into a stream of their own.
2. **Question prefix.** Rows that share their context (the choices of one question, which
   differ only in their continuation) form a group; the group's first row evaluates the
   context, starting from a copy of the common prefix, and the group's other rows start from a
   copy of that stream.
3. **The rest.** Every row evaluates its remaining tokens, with llama.cpp asked for the logits
   of its continuation positions only.

Copies are ``llama_memory_seq_cp`` of a whole stream (a buffer copy at the next decode, as
:func:`.llamacpp_batch.generate` shares a prompt prefix). Log-probabilities are ``log_softmax``
of the logits in float64.

**Equal to one row at a time, bit for bit.** llama.cpp computes a micro-batch in which a
sequence has a single token on another path (its matrix products with one column skip the
tiled kernel) whose logits differed from a many-token evaluation by up to 0.4 on SmolLM2; every
other split of a row into micro-batches gave identical logits (measured). So every decode here
carries the same number ``k >= 2`` of tokens for each of its sequences (llama.cpp then makes it
one micro-batch per run of consecutive sequence ids, ``k`` tokens each), no sequence is ever
left one token to evaluate, prefixes stop two tokens short of a row's end, and a decode holds
at most :data:`~.llamacpp_batch.PREFILL_CHUNK` tokens. Only a row of one token is evaluated as
one token, as alone. With ``n_seq=1`` and ``share_prefix=False`` a row is evaluated alone from
position 0 in chunks of :data:`~.llamacpp_batch.PREFILL_CHUNK` tokens (the last at least two):
the one-at-a-time reference of the tests and ``benchmarks/bench_loglik.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenbench.models.backends.llamacpp_batch import CELL_BLOCK, PREFILL_CHUNK, _Context
from greenbench.models.base import LogLikelihood, shared_prefix_length
from greenbench.models.loglik import Row, plan_rows

#: Shortest prefix common to all rows that is evaluated once and copied, tokens. A copy moves a
#: whole KV stream, which costs about as much as evaluating a token or two of a small model.
MIN_SHARED_TOKENS = 4
#: Most rows evaluated together: a decode then still gives each of them at least 4 tokens.
MAX_SEQ = PREFILL_CHUNK // 4


@dataclass
class _Slot:
    """A row placed in a sequence for one wave."""

    row: Row
    first: int
    """First position whose logits are read (its next token is the first continuation token)."""
    seq_id: int = 0
    start: int = 0
    """First position this sequence evaluates itself (the cells before it are copied)."""
    logprobs: dict[int, np.ndarray] = field(default_factory=dict)
    """Position -> log-probabilities of the next token."""

    @property
    def shareable(self) -> int:
        """Tokens a prefix may cover: none whose logits are read, and two left to evaluate."""
        return max(0, min(self.first, len(self.row.tokens) - 2))


@dataclass
class _Span:
    """Positions ``[start, end)`` of ``tokens`` to evaluate into sequence ``seq_id``."""

    tokens: list[int]
    seq_id: int
    start: int
    end: int
    slot: _Slot | None = None
    """The row whose continuation logits these positions yield (None: a prefix stream)."""


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    values = logits.astype(np.float64)
    shifted = values - values.max()
    return shifted - np.log(np.exp(shifted).sum())


def _decode(context: _Context, spans: list[_Span], k: int) -> None:
    """One ``llama_decode`` of the next ``k`` tokens of each span (sequence ids ascending)."""
    items = [
        (s, p) for s in sorted(spans, key=lambda s: s.seq_id) for p in range(s.start, s.start + k)
    ]
    wanted = [s.slot is not None and p >= s.slot.first for s, p in items]
    context.decode(
        [(s.tokens[p], p, s.seq_id, want) for (s, p), want in zip(items, wanted, strict=True)]
    )
    for i, (span, pos) in enumerate(items):
        if wanted[i]:
            span.slot.logprobs[pos] = _log_softmax(context.logits(i))  # type: ignore[union-attr]
    for span in spans:
        span.start += k


def _evaluate(context: _Context, spans: list[_Span]) -> None:
    """Evaluate ``spans`` in decodes of ``k >= 2`` tokens per sequence (see the module
    docstring), fewest decodes first: each round takes the shortest span's length for all (at
    most :data:`PREFILL_CHUNK` tokens in all), and a span that would keep one token takes one
    less, in a decode of its own."""
    while active := [s for s in spans if s.start < s.end]:
        left = min(s.end - s.start for s in active)
        if left == 1:  # a row of one token, evaluated as alone
            _decode(context, [s for s in active if s.end - s.start == 1], 1)
            continue
        k = min(left, PREFILL_CHUNK // len(active))
        short = [s for s in active if s.end - s.start == k + 1]
        _decode(context, [s for s in active if s.end - s.start != k + 1], k)
        if short:
            _decode(context, short, k - 1 if k > 2 else k + 1)


def _first(row: Row) -> int:
    return len(row.tokens) - max(len(cont) for _, cont in row.readers)


def _waves(rows: list[Row], n_seq: int, share_prefix: bool) -> list[list[list[_Slot]]]:
    """Rows as waves of at most ``n_seq`` slots, each wave a list of groups (slots sharing the
    tokens before their first continuation position; a single slot without ``share_prefix``).
    A group larger than ``n_seq`` is cut into groups of ``n_seq``; a group is never split
    across waves, so its prefix is evaluated once per wave it is in."""
    groups: dict[Any, list[_Slot]] = {}
    for i, row in enumerate(rows):
        first = _first(row)
        key = tuple(row.tokens[:first]) if share_prefix else i
        groups.setdefault(key, []).append(_Slot(row, first))
    pieces = [g[i : i + n_seq] for g in groups.values() for i in range(0, len(g), n_seq)]
    waves: list[list[list[_Slot]]] = [[]]
    for piece in pieces:
        if sum(len(g) for g in waves[-1]) + len(piece) > n_seq:
            waves.append([])
        waves[-1].append(piece)
    return waves


def _run_wave(context: _Context, wave: list[list[_Slot]], common: int, prefix_seq: int) -> None:
    """Evaluate one wave's rows (steps 2 and 3 of the module docstring); the common prefix's
    first ``common`` tokens are already in stream ``prefix_seq``."""
    slots = [slot for group in wave for slot in group]
    questions = []
    for group in wave:
        own = min(s.shareable for s in group) if len(group) > 1 else 0
        if own - common < 2:  # no question prefix worth a decode of its own
            own = common
        else:
            questions.append(group)
        for slot in group:
            slot.start = own
    # longest first: the rows still evaluating are the lowest, consecutive, sequence ids
    for seq_id, slot in enumerate(sorted(slots, key=lambda s: s.start - len(s.row.tokens))):
        slot.seq_id = seq_id
    if common:  # a question's first row, or every row of the other groups
        for group in wave:
            for slot in group[:1] if group in questions else group:
                context.copy(prefix_seq, slot.seq_id)
    leaders = [group[0] for group in questions]
    _evaluate(context, [_Span(s.row.tokens, s.seq_id, common, s.start) for s in leaders])
    for group in questions:
        for slot in group[1:]:
            context.copy(group[0].seq_id, slot.seq_id)
    _evaluate(
        context, [_Span(s.row.tokens, s.seq_id, s.start, len(s.row.tokens), s) for s in slots]
    )


def score(
    llm: Any,
    encoded: Sequence[tuple[list[int], list[int]]],
    *,
    window: int,
    n_seq: int,
    share_prefix: bool = True,
) -> list[LogLikelihood]:
    """Log-likelihood of each encoded pair with ``llm`` (a loaded ``llama_cpp.Llama``), in
    input order. ``window``: the most tokens a row may hold; ``n_seq``: rows evaluated together;
    ``share_prefix``: evaluate prefixes shared by rows once (steps 1 and 2 of the module
    docstring)."""
    rows, empty = plan_rows(encoded, window, shared=True)
    results: list[LogLikelihood | None] = [None] * len(encoded)
    for index in empty:
        results[index] = LogLikelihood(0.0, 0, True, 0)
    if not rows:
        return results  # type: ignore[return-value]  # all empty
    n_seq = max(1, min(n_seq, len(rows), MAX_SEQ))
    waves = _waves(rows, n_seq, share_prefix)
    common = 0
    if share_prefix:
        shareable = min(slot.shareable for wave in waves for group in wave for slot in group)
        common = min(shared_prefix_length([r.tokens for r in rows]), shareable)
        common = common if common >= MIN_SHARED_TOKENS else 0
    cells = -(-max(len(r.tokens) for r in rows) // CELL_BLOCK) * CELL_BLOCK
    prefix_seq = n_seq  # the common prefix's own stream, after the rows' streams
    context = _Context(llm, n_seq + (1 if common else 0), cells)
    try:
        if common:
            _evaluate(context, [_Span(rows[0].tokens, prefix_seq, 0, common)])
        for wave in waves:
            _run_wave(context, wave, common, prefix_seq)
            for slot in (slot for group in wave for slot in group):
                context.forget(slot.seq_id)
                for index, result in _read(slot):
                    results[index] = result
    finally:
        context.close()
    return results  # type: ignore[return-value]  # every index was filled above


def _read(slot: _Slot) -> list[tuple[int, LogLikelihood]]:
    """``(pair index, result)`` for each pair scored on ``slot``'s row."""
    out = []
    end = len(slot.row.tokens)
    for k, (index, continuation) in enumerate(slot.row.readers):
        picked = [slot.logprobs[end - len(continuation) + j] for j in range(len(continuation))]
        total = float(sum(lp[t] for lp, t in zip(picked, continuation, strict=True)))
        greedy = all(int(lp.argmax()) == t for lp, t in zip(picked, continuation, strict=True))
        computed = len(slot.row.tokens) if k == 0 else 0  # a shared row counts once
        out.append((index, LogLikelihood(total, len(continuation), greedy, computed)))
    return out
