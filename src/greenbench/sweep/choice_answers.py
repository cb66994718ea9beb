"""Answering a multiple-choice task by log-likelihood inside a job's inference window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greenbench.tasks import choices

if TYPE_CHECKING:
    from greenbench.models.base import Backend
    from greenbench.tasks.spec import TaskSpec
    from greenbench.tasks.task import Sample


def answer_by_loglikelihood(
    spec: TaskSpec, samples: list[Sample], backend: Backend
) -> dict[str, list[Any]]:
    """Every (prompt, delimiter + choice) pair scored by ``backend.loglikelihood``, picked per
    sample: ``predictions`` (:class:`~greenbench.tasks.choices.ChoiceScores`), ``prompt_tokens``
    (tokens the model computed for the sample's choices) and ``generated_tokens`` (None: nothing
    is generated). No delimiter when the backend wraps prompts in a chat template: lm-eval drops
    it there, the assistant turn separating the answer.

    The samples go to the backend ``variant.batch_size`` at a time (all at once for ``auto``),
    so progress and the per-query latency move per batch of samples as in generation."""
    delimiter = "" if backend.chat_formatted else spec.target_delimiter
    results = []
    for chunk in _chunks(samples, backend.variant.batch_size):
        results += backend.loglikelihood(choices.requests(chunk, delimiter))
        backend.advance(len(chunk))  # progress and the latency clock: samples answered
    computed, start = [], 0
    for sample in samples:
        n = len(sample.choices or [])
        computed.append(sum(r.input_tokens for r in results[start : start + n]))
        start += n
    return {
        "predictions": choices.score_samples(samples, results),
        "prompt_tokens": computed,
        "generated_tokens": [None] * len(samples),
    }


def _chunks(samples: list[Sample], batch_size: int | str) -> list[list[Sample]]:
    """``samples`` cut into runs of ``batch_size`` (one run for ``auto``)."""
    size = batch_size if isinstance(batch_size, int) else max(1, len(samples))
    return [samples[i : i + size] for i in range(0, len(samples), size)]
