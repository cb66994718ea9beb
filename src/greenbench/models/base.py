"""The interface every backend implements, and the small result types it returns.

A backend is created already loaded (its constructor is the "load" phase the sweep measures),
then used through the same verbs whatever the engine: :meth:`Backend.generate` for text,
:meth:`Backend.classify` for images, :meth:`Backend.finetune` to train, :meth:`Backend.params`
for parameter counts taken from the real model object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.models.spec import FineTune, ModelSpec, Variant


@dataclass(frozen=True)
class Generation:
    """One generated answer."""

    text: str
    """The completion only (prompt removed, cut at the first stop string)."""
    prompt_tokens: int
    """Tokens in the prompt as the model saw it (after any chat template)."""
    generated_tokens: int
    """Tokens generated, up to and including the stop point."""


@dataclass(frozen=True)
class LogLikelihood:
    """How likely a model finds a continuation after a context (lm-evaluation-harness's
    ``loglikelihood`` request)."""

    logprob: float
    """Sum of the continuation tokens' log-probabilities given the context, nats (<= 0)."""
    tokens: int
    """Continuation tokens scored (the continuation as split from the whole string's encoding)."""
    is_greedy: bool
    """True when every continuation token is the model's argmax at its position."""
    input_tokens: int = 0
    """Tokens the model computed for it (context + continuation minus the last); a forward row
    shared by several pairs counts once, on its first pair, so the sum over pairs is the work
    done. A prefix whose KV cells an engine reuses across rows (llama.cpp's shared prefixes)
    still counts in every row, as a generation's ``prompt_tokens`` counts a cached prefix, so
    the count does not depend on the engine."""


class LogLikelihoodUnavailable(GreenbenchError):
    """This backend cannot score log-likelihoods; the message is the reason (recorded as the
    metric's ``unavailable``)."""


@dataclass(frozen=True)
class Step:
    """Progress inside a phase of a job, for the caller's progress display."""

    phase: str
    """The phase: ``load``, ``finetune`` or ``inference``."""
    done: int
    """Units finished so far in this phase (samples answered, optimizer steps taken)."""
    total: int | None
    """Units the phase will take (None: not known in advance)."""


#: Called by a backend as work finishes: ``on_progress(units)``, the number of samples just
#: answered (or optimizer steps just taken while fine-tuning).
ProgressHook = Callable[[int], None]


@dataclass(frozen=True)
class ParamCounts:
    """Parameter counts read from the loaded model object."""

    total: int
    """All parameters, in units of one parameter (quantized weights counted unpacked)."""
    trainable: int
    """Parameters with ``requires_grad`` (0 for an inference-only backend)."""


@dataclass
class FineTuneResult:
    """What a fine-tuning run did; the backend afterwards serves the fine-tuned model."""

    steps: int
    """Optimizer steps taken."""
    train_samples: int
    """Training pairs (or labelled images) used."""
    loss_first: float
    """Mean training loss over the first logging interval (nats per token)."""
    loss_last: float
    """Mean training loss over the last logging interval (nats per token)."""
    trainable_params: int
    """Trainable parameters during fine-tuning, counted from the model."""
    tokens: int | None
    """Training tokens processed (all epochs); None for an image classifier (no tokens)."""
    adapter_path: str | None = None
    """Directory where the adapter (or full weights) was saved."""
    mixed_precision: str = "no"
    """``bf16`` when the forward passes ran under bf16 autocast, else ``no``."""
    extra: dict[str, Any] = field(default_factory=dict)


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, int | None]:
    """``text`` cut before the earliest stop string, and the index just past that stop (or None).

    Shared by the backends that apply stop strings to decoded text themselves.
    """
    hits = [(text.find(s), s) for s in stop if s and s in text]
    if not hits:
        return text, None
    start, found = min(hits)
    return text[:start], start + len(found)


class Backend(ABC):
    """A loaded model. Construct with ``Backend(spec, variant)``; construction loads it."""

    #: Its kind in :data:`greenbench.models.backends.BACKENDS` (``hf``, ``torch``, ``llamacpp``,
    #: ``onnx``, ``estimate`` or a plugin's).
    kind: str = ""
    #: Modules the engine imports lazily while loading a model (transformers' auto classes,
    #: tokenizers…): :meth:`import_engine` imports them before the load window opens, so the
    #: ``load`` phase measures the model, not Python imports.
    engine_modules: tuple[str, ...] = ()

    @classmethod
    def import_engine(cls) -> None:
        """Import :attr:`engine_modules` (one not installed is left to the load to report)."""
        import importlib

        for name in cls.engine_modules:
            try:
                importlib.import_module(name)
            except ImportError:
                continue

    def __init__(self, spec: ModelSpec, variant: Variant) -> None:
        self.spec = spec
        self.variant = variant
        #: Told of each finished batch / training step; set by the caller (the sweep's job
        #: runner shows it as progress). Backends call :meth:`advance`.
        self.on_progress: ProgressHook | None = None

    def advance(self, units: int) -> None:
        """Report ``units`` more samples answered (or training steps taken) to ``on_progress``."""
        if self.on_progress is not None and units:
            self.on_progress(units)

    @abstractmethod
    def params(self) -> ParamCounts:
        """Parameter counts of the model as loaded (and adapted, after fine-tuning)."""

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        stop: Sequence[str] = (),
        images: Sequence[Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[Generation]:
        """Greedy completions for ``prompts`` (and ``images``, one per prompt, for vision2text).

        ``ids`` are the task's sample ids, used by backends that look answers up (``estimate``).
        Output order matches input order, whatever order the backend batches in.
        """
        raise GreenbenchError(f"model {self.spec.name!r} ({self.kind}) does not generate text")

    @property
    def chat_formatted(self) -> bool:
        """Whether prompts are wrapped in a chat template before the model sees them (then a
        multiple-choice continuation takes no target delimiter: the template's assistant turn
        already separates it, as lm-eval does with ``--apply_chat_template``)."""
        return False

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[LogLikelihood]:
        """For each ``(context, continuation)``, the continuation's log-likelihood given the
        context, tokenized as lm-evaluation-harness does (:func:`.loglik.encode_pair`).

        Output order matches input order. Raises :class:`LogLikelihoodUnavailable` (with the
        reason) when this backend cannot score.
        """
        raise LogLikelihoodUnavailable(
            f"model {self.spec.name!r} ({self.kind}) does not score log-likelihoods"
        )

    def classify(self, images: Sequence[Any], *, top_k: int = 5) -> list[list[str]]:
        """For each PIL image, the ``top_k`` predicted class names, best first."""
        raise GreenbenchError(f"model {self.spec.name!r} ({self.kind}) is not an image classifier")

    def finetune(
        self,
        pairs: Sequence[tuple[Any, str]],
        config: FineTune,
        output_dir: str | None = None,
    ) -> FineTuneResult:
        """Train on ``(input, target)`` pairs: ``(prompt, completion)`` texts for a language
        model, ``(PIL image, class name)`` for an image classifier; afterwards this backend
        serves the result.

        ``output_dir``: where to save the adapter (or full weights); None saves nothing.
        """
        raise GreenbenchError(f"model {self.spec.name!r} ({self.kind}) cannot be fine-tuned here")

    def describe(self) -> dict[str, Any]:
        """Facts for the record: device, engine, notes such as 'weights dequantized from Q4_1'."""
        return {"backend": self.kind}

    def close(self) -> None:  # noqa: B027 - optional hook; most backends free on GC
        """Release memory held by the model."""


def shared_prefix_length(prompts: Sequence[Sequence[int]]) -> int:
    """Tokens every prompt starts with, leaving each at least one token of its own (its first
    generated token needs the logits of its last prompt token); 0 for fewer than two prompts."""
    if len(prompts) < 2:
        return 0
    first = prompts[0]
    limit = min(len(p) for p in prompts) - 1
    length = 0
    while length < limit and all(p[length] == first[length] for p in prompts):
        length += 1
    return length
