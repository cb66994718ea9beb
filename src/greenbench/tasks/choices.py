"""Multiple choice by log-likelihood, as lm-evaluation-harness scores ``multiple_choice`` tasks.

Each choice is one request: context = the sample's prompt (few-shot examples included),
continuation = ``target_delimiter + choice``. The chosen label is the argmax of the
continuations' summed log-probabilities (``accuracy``, lm-eval's ``acc``); the normalized choice
divides each by the choice's length in characters (``accuracy_norm``, lm-eval's ``acc_norm``:
``len(choice)`` of the choice string without the delimiter, which lm-eval's docs call bytes; it
is Python characters, the same for ASCII labels). Ties go to the first choice (``np.argmax``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from greenbench.models.base import LogLikelihood
    from greenbench.tasks.task import Sample


@dataclass(frozen=True)
class ChoiceScores:
    """How a model scored each choice of one sample."""

    choices: list[str]
    logprobs: list[float]
    """Summed log-probability of each ``target_delimiter + choice``, nats."""
    tokens: list[int]
    """Continuation tokens scored per choice."""
    label: str
    """The choice of highest log-likelihood (``accuracy``)."""
    label_norm: str
    """The choice of highest log-likelihood per character (``accuracy_norm``)."""

    def __str__(self) -> str:
        return self.label

    def to_log(self) -> dict[str, Any]:
        """Per-sample log fields: each choice's log-likelihood and token count, both picks."""
        return {
            "choice_logprobs": [
                {"choice": c, "logprob": lp, "tokens": n}
                for c, lp, n in zip(self.choices, self.logprobs, self.tokens, strict=True)
            ],
            "chosen": self.label,
            "chosen_norm": self.label_norm,
        }


def requests(samples: Sequence[Sample], target_delimiter: str) -> list[tuple[str, str]]:
    """The ``(context, continuation)`` of every choice of every sample, sample by sample."""
    return [(s.prompt, target_delimiter + c) for s in samples for c in s.choices or []]


def _argmax(values: Sequence[float]) -> int:
    best = 0
    for i, value in enumerate(values):
        if value > values[best]:
            best = i
    return best


def choose(choices: list[str], results: Sequence[LogLikelihood]) -> ChoiceScores:
    """Both picks from one sample's results (in ``choices`` order)."""
    logprobs = [r.logprob for r in results]
    normed = [lp / len(c) if c else float("-inf") for lp, c in zip(logprobs, choices, strict=True)]
    return ChoiceScores(
        choices=list(choices),
        logprobs=logprobs,
        tokens=[r.tokens for r in results],
        label=choices[_argmax(logprobs)],
        label_norm=choices[_argmax(normed)],
    )


def score_samples(
    samples: Sequence[Sample], results: Sequence[LogLikelihood]
) -> list[ChoiceScores]:
    """Split the flat results of :func:`requests` back per sample and pick."""
    out, start = [], 0
    for sample in samples:
        n = len(sample.choices or [])
        out.append(choose(list(sample.choices or []), results[start : start + n]))
        start += n
    return out
