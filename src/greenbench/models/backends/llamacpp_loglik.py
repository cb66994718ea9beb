"""Log-likelihood scoring with llama.cpp (lm-eval's ``loglikelihood`` on a GGUF model).

Rows (:func:`greenbench.models.loglik.plan_rows`, shared across one-token continuations) are
evaluated one at a time into a single-sequence context (:class:`.llamacpp_batch._Context`), in
:data:`~.llamacpp_batch.PREFILL_CHUNK`-token chunks, asking llama.cpp for the logits of the
continuation positions only; log-probabilities are ``log_softmax`` of those logits in float64.
The KV cells of a row are removed before the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from greenbench.models.backends.llamacpp_batch import CELL_BLOCK, PREFILL_CHUNK, _Context
from greenbench.models.base import LogLikelihood
from greenbench.models.loglik import plan_rows


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    values = logits.astype(np.float64)
    shifted = values - values.max()
    return shifted - np.log(np.exp(shifted).sum())


def score(
    llm: Any, encoded: Sequence[tuple[list[int], list[int]]], *, window: int
) -> list[LogLikelihood]:
    """Log-likelihood of each encoded pair with ``llm`` (a loaded ``llama_cpp.Llama``), in
    input order; ``window``: the most tokens a row may hold."""
    rows, empty = plan_rows(encoded, window, shared=True)
    results: list[LogLikelihood | None] = [None] * len(encoded)
    for index in empty:
        results[index] = LogLikelihood(0.0, 0, True, 0)
    if not rows:
        return results  # type: ignore[return-value]  # all empty
    cells = -(-max(len(r.tokens) for r in rows) // CELL_BLOCK) * CELL_BLOCK
    context = _Context(llm, 1, cells)
    try:
        for row in rows:
            first = len(row.tokens) - max(len(cont) for _, cont in row.readers)
            logprobs: dict[int, np.ndarray] = {}  # position -> log-probabilities of the next
            for start in range(0, len(row.tokens), PREFILL_CHUNK):
                chunk = row.tokens[start : start + PREFILL_CHUNK]
                context.decode([(t, start + j, 0, start + j >= first) for j, t in enumerate(chunk)])
                for j in range(max(0, first - start), len(chunk)):
                    logprobs[start + j] = _log_softmax(context.logits(j))
            context.forget(0)
            for k, (index, continuation) in enumerate(row.readers):
                end = len(row.tokens)
                picked = [logprobs[end - len(continuation) + j] for j in range(len(continuation))]
                total = float(sum(lp[t] for lp, t in zip(picked, continuation, strict=True)))
                greedy = all(
                    int(lp.argmax()) == t for lp, t in zip(picked, continuation, strict=True)
                )
                computed = len(row.tokens) if k == 0 else 0  # a shared row counts once
                results[index] = LogLikelihood(total, len(continuation), greedy, computed)
    finally:
        context.close()
    return results  # type: ignore[return-value]  # every index was filled above
