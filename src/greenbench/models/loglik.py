"""Log-likelihood requests as lm-evaluation-harness tokenizes them, whatever the engine.

lm-eval's HF backend (``HFLM._encode_pair``) moves the context's trailing whitespace to the
front of the continuation, encodes the whole string and the context separately (no special
tokens unless the model needs a BOS), and takes as continuation tokens the whole string's tokens
past the context's token count. When the whole string's tokenization merges across the boundary,
the context tokens are still the context's own encoding (so the model sees
``context_enc + whole_enc[len(context_enc):]``, exactly as lm-eval feeds it). An empty context is
the model's prefix token (lm-eval: end-of-text, else BOS). A pair longer than the model's window
keeps its last ``max_length + 1`` tokens (left truncation, as lm-eval).

:func:`plan_rows` turns pairs into forward-pass rows. With ``shared=True`` pairs whose input is
identical (the same context and a continuation that differs only in its last token, e.g. the
one-token labels " positive" / " negative") share one row: lm-eval's ``group_by="contexts"``
one-token-continuation cache. The engines run the rows (:mod:`.backends.hf_loglik`,
:mod:`.backends.llamacpp_loglik`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Encodes text to token ids, without special tokens.
Encode = Callable[[str], list[int]]


def encode_pair(
    encode: Encode, context: str, continuation: str, prefix_token: int | None
) -> tuple[list[int], list[int]]:
    """``(context tokens, continuation tokens)`` exactly as lm-eval's HF backend splits them.

    ``prefix_token``: what an empty context becomes (end-of-text or BOS id).
    """
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    if not context:
        if prefix_token is None:
            raise ValueError("an empty context needs the model's prefix (BOS/EOS) token")
        return [prefix_token], encode(continuation)
    whole = encode(context + continuation)
    context_enc = encode(context)
    return context_enc, whole[len(context_enc) :]


@dataclass
class Row:
    """One forward pass input: the tokens fed, and the pairs reading their scores from it."""

    tokens: list[int]
    """Input ids: (context + continuation)[-(max_length + 1):][:-1]."""
    readers: list[tuple[int, list[int]]] = field(default_factory=list)
    """(pair index, continuation tokens): each pair's continuation is scored at the last
    ``len(continuation)`` positions of this row."""


def plan_rows(
    pairs: Sequence[tuple[list[int], list[int]]], max_length: int, *, shared: bool
) -> tuple[list[Row], list[int]]:
    """Forward rows for encoded pairs, longest first, and the indices of pairs with no
    continuation tokens (scored 0 nats over 0 tokens, as lm-eval's empty slice sums to 0).

    ``shared``: pairs with identical input tokens share one row.
    """
    rows: dict[tuple[int, ...], Row] = {}
    plain: list[Row] = []
    empty: list[int] = []
    for index, (context, continuation) in enumerate(pairs):
        if not continuation:
            empty.append(index)
            continue
        if len(continuation) > max_length:
            raise ValueError(
                f"a continuation of {len(continuation)} tokens does not fit the model's "
                f"{max_length}-token window"
            )
        tokens = (context + continuation)[-(max_length + 1) :][:-1]
        if shared:
            row = rows.setdefault(tuple(tokens), Row(tokens))
        else:
            row = Row(tokens)
            plain.append(row)
        row.readers.append((index, continuation))
    ordered = list(rows.values()) if shared else plain
    ordered.sort(key=lambda r: -len(r.tokens))
    return ordered, empty
