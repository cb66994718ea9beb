"""Backend of ``kind: estimate`` models, which cannot run here: outside answers, user-given size.

Quality comes from one of two places:

- ``spec.predictions``: a JSONL file of ``{"id": ..., "prediction": ...}`` lines (what
  ``greenbench tasks TASK --export`` samples were answered with elsewhere), looked up by the
  ``ids`` that :meth:`ExternalBackend.generate` receives;
- ``spec.endpoint``: an OpenAI-compatible server, one ``POST {endpoint}/chat/completions`` per
  prompt (greedy: temperature 0), with ``Authorization: Bearer $OPENAI_API_KEY`` when that
  variable is set.

Token counts come from the endpoint's ``usage`` when it reports them; otherwise (predictions
files, servers without usage) they are approximated as whitespace-separated words x
:data:`TOKENS_PER_WORD` (1.3, a common rule of thumb for English BPE tokenizers), and
:meth:`ExternalBackend.describe` says so. Parameters are the user-supplied
``spec.active_params``; energy is estimated from them by the sweep
(:mod:`greenbench.energy.param_scaling`), never measured.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from greenbench.errors import GreenbenchError
from greenbench.models.base import (
    Backend,
    Generation,
    LogLikelihood,
    LogLikelihoodUnavailable,
    ParamCounts,
    cut_at_stop,
)
from greenbench.models.spec import ModelSpec, Variant

#: Tokens per whitespace-separated word when no tokenizer count is available.
TOKENS_PER_WORD = 1.3
#: Seconds to wait for one endpoint response.
ENDPOINT_TIMEOUT_S = 120.0
#: Most stop strings OpenAI's API accepts; the rest are applied to the returned text.
MAX_API_STOPS = 4


def approximate_tokens(text: str) -> int:
    """Token count approximated as whitespace words x :data:`TOKENS_PER_WORD`, rounded."""
    return round(len(text.split()) * TOKENS_PER_WORD)


def load_predictions(path: str) -> dict[str, str]:
    """``id -> prediction`` from a JSONL file; GreenbenchError naming the file and line."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise GreenbenchError(f"predictions file {path!r} does not exist")
    answers: dict[str, str] = {}
    with file.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                answers[str(row["id"])] = str(row["prediction"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise GreenbenchError(
                    f"{path}:{number}: expected a JSON object with 'id' and 'prediction'"
                ) from exc
    return answers


def post_json(url: str, body: dict[str, Any]) -> Any:
    """POST ``body`` as JSON to ``url`` (with ``$OPENAI_API_KEY`` as bearer token when set) and
    return the decoded reply; HTTP, network and JSON errors become one-line GreenbenchErrors."""
    headers = {"Content-Type": "application/json"}
    if os.environ.get("OPENAI_API_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['OPENAI_API_KEY']}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=ENDPOINT_TIMEOUT_S) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise GreenbenchError(f"endpoint {url} answered HTTP {exc.code}: {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise GreenbenchError(f"endpoint {url} could not be reached: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise GreenbenchError(f"endpoint {url} did not answer JSON") from exc


class ExternalBackend(Backend):
    """Answers from a predictions file or an OpenAI-compatible endpoint; nothing runs here."""

    kind = "estimate"

    def __init__(self, spec: ModelSpec, variant: Variant) -> None:
        super().__init__(spec, variant)
        if spec.active_params is None:
            raise GreenbenchError(
                f"model {spec.name!r}: kind estimate needs active_params (active parameters, "
                "e.g. 1.0e11)"
            )
        if (spec.predictions is None) == (spec.endpoint is None):
            raise GreenbenchError(
                f"model {spec.name!r}: kind estimate needs exactly one of predictions "
                "(a JSONL file of id/prediction) or endpoint (an OpenAI-compatible base URL)"
            )
        if spec.endpoint is not None and not spec.endpoint.startswith(("http://", "https://")):
            raise GreenbenchError(
                f"model {spec.name!r}: endpoint {spec.endpoint!r} must start with http(s)://"
            )
        self.answers = load_predictions(spec.predictions) if spec.predictions else None
        #: True once any token count was approximated (always, for a predictions file)
        self.approximated_tokens = self.answers is not None

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 64,
        stop: Sequence[str] = (),
        images: Sequence[Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[Generation]:
        """Answers in prompt order: looked up by ``ids`` (predictions) or asked (endpoint)."""
        if images is not None:
            raise GreenbenchError(f"model {self.spec.name!r} (estimate) takes no images")
        if self.answers is None:
            return [self._ask(prompt, max_new_tokens, stop) for prompt in prompts]
        if ids is None or len(ids) != len(prompts):
            raise GreenbenchError(
                f"model {self.spec.name!r}: a predictions file is looked up by sample id; "
                "the task gave no ids"
            )
        missing = [str(i) for i in ids if str(i) not in self.answers]
        if missing:
            raise GreenbenchError(
                f"predictions file {self.spec.predictions!r} has no prediction for id(s) "
                f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}"
            )
        results = []
        for prompt, sample_id in zip(prompts, ids, strict=True):
            text, _ = cut_at_stop(self.answers[str(sample_id)], stop)
            results.append(Generation(text, approximate_tokens(prompt), approximate_tokens(text)))
        return results

    def _ask(self, prompt: str, max_new_tokens: int, stop: Sequence[str]) -> Generation:
        url = self.spec.endpoint.rstrip("/") + "/chat/completions"
        body: dict[str, Any] = {
            "model": self.spec.endpoint_model or self.spec.name,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": max_new_tokens,
        }
        if stop:
            body["stop"] = list(stop)[:MAX_API_STOPS]
        reply = post_json(url, body)
        try:
            text = reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise GreenbenchError(f"endpoint {url} did not answer as chat/completions") from exc
        text, _ = cut_at_stop(text, stop)
        usage = reply.get("usage") or {}
        if "prompt_tokens" in usage and "completion_tokens" in usage:
            return Generation(text, int(usage["prompt_tokens"]), int(usage["completion_tokens"]))
        self.approximated_tokens = True
        return Generation(text, approximate_tokens(prompt), approximate_tokens(text))

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[LogLikelihood]:
        """Prompt log-probabilities from the endpoint's ``completions`` (``echo`` + ``logprobs``,
        :mod:`.external_loglik`); a predictions file holds answers, not log-likelihoods."""
        if self.answers is not None:
            raise LogLikelihoodUnavailable(
                f"model {self.spec.name!r}: a predictions file holds answers, not "
                "log-likelihoods (score the task with choice_scoring: generate)"
            )
        from greenbench.models.backends.external_loglik import score

        model = self.spec.endpoint_model or self.spec.name
        return score(self.spec.endpoint, model, requests)

    def params(self) -> ParamCounts:
        """The user-supplied active-parameter count (``spec.active_params``); nothing trains."""
        return ParamCounts(total=int(self.spec.active_params), trainable=0)

    def describe(self) -> dict[str, Any]:
        model = self.spec.endpoint_model or self.spec.name
        source = (
            f"predictions file {self.spec.predictions}"
            if self.answers is not None
            else f"endpoint {self.spec.endpoint} (model {model})"
        )
        return {
            "backend": self.kind,
            "answers_from": source,
            "params_note": "params_total is the user-supplied active-parameter count "
            "(spec.active_params), not counted from a model",
            "token_counts": (
                f"approximated: whitespace words x {TOKENS_PER_WORD}"
                if self.approximated_tokens
                else "from the endpoint's usage"
            ),
            "energy_note": "not run locally: energy is estimated from active parameters "
            "(param-scaling), never measured",
        }
