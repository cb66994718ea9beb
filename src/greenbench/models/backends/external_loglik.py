"""Log-likelihoods from an OpenAI-compatible ``completions`` endpoint (``echo`` + ``logprobs``).

One ``POST {endpoint}/completions`` per pair, prompt = context + continuation, ``echo: true``,
``logprobs: 1``, ``max_tokens: 1``, temperature 0: the reply's ``logprobs`` list every prompt
token with its log-probability and character offset, then the one generated token (dropped, as
lm-eval's API backend drops it). Continuation tokens are the prompt tokens starting at or after
the context's end, located by ``text_offset`` since the server's tokenizer is not available here
(lm-eval sends token ids when it has the tokenizer; a token straddling the boundary counts as
context here). A server that answers without prompt log-probabilities (most chat-only APIs)
makes the metric unavailable, with that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.models.base import LogLikelihood, LogLikelihoodUnavailable


def score(endpoint: str, model: str, requests: Sequence[tuple[str, str]]) -> list[LogLikelihood]:
    """Each pair's continuation log-likelihood as the endpoint's model computes it."""
    from greenbench.models.backends.external import post_json

    url = endpoint.rstrip("/") + "/completions"
    out = []
    for context, continuation in requests:
        body = {
            "model": model,
            "prompt": context + continuation,
            "echo": True,
            "logprobs": 1,
            "max_tokens": 1,
            "temperature": 0,
        }
        try:
            reply = post_json(url, body)
        except GreenbenchError as exc:
            raise LogLikelihoodUnavailable(f"{exc} (log-likelihoods need completions)") from exc
        out.append(_parse(reply, len(context), url))
    return out


def _parse(reply: Any, context_chars: int, url: str) -> LogLikelihood:
    try:
        logprobs = reply["choices"][0]["logprobs"]
        tokens = logprobs["tokens"][:-1]
        values = logprobs["token_logprobs"][:-1]
        offsets = logprobs["text_offset"][:-1]
        top = (logprobs.get("top_logprobs") or [None] * (len(tokens) + 1))[:-1]
    except (KeyError, IndexError, TypeError) as exc:
        raise LogLikelihoodUnavailable(
            f"endpoint {url} returned no prompt log-probabilities (echo + logprobs)"
        ) from exc
    picked = [i for i, offset in enumerate(offsets) if offset >= context_chars]
    if any(values[i] is None for i in picked):
        raise LogLikelihoodUnavailable(f"endpoint {url} left a continuation token unscored")
    greedy = all(bool(top[i]) and max(top[i], key=top[i].get) == tokens[i] for i in picked)
    return LogLikelihood(
        logprob=float(sum(values[i] for i in picked)),
        tokens=len(picked),
        is_greedy=greedy,
        input_tokens=len(tokens),
    )
