"""The external backend (kind: estimate): answers from a predictions file or an endpoint."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from greenbench.errors import GreenbenchError
from greenbench.models.backends.external import ExternalBackend, approximate_tokens
from greenbench.models.spec import ModelSpec, Variant


def _spec(**fields) -> ModelSpec:
    return ModelSpec(name="big-llm", source="api", kind="estimate", active_params=1e11, **fields)


@pytest.fixture()
def predictions(tmp_path):
    path = tmp_path / "predictions.jsonl"
    rows = [
        {"id": "a", "prediction": "SELECT 1; -- done"},
        {"id": 7, "prediction": "four words in here"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


class _Server(HTTPServer):
    """Answers POST /v1/chat/completions with canned replies; records request bodies."""

    def __init__(self, replies):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.replies = list(replies)
        self.requests: list[tuple[str, dict]] = []


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))
        status, reply = self.server.replies.pop(0)
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    instances = []

    def start(*replies):
        instance = _Server(replies)
        threading.Thread(target=instance.serve_forever, daemon=True).start()
        instances.append(instance)
        host, port = instance.server_address
        return instance, f"http://{host}:{port}/v1"

    yield start
    for instance in instances:
        instance.shutdown()
        instance.server_close()


def _chat(content, usage=None):
    reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
    if usage:
        reply["usage"] = usage
    return reply


def test_predictions_are_looked_up_by_id_in_prompt_order(predictions):
    backend = ExternalBackend(_spec(predictions=str(predictions)), Variant())
    out = backend.generate(["p7", "pa"], ids=["7", "a"], stop=[";"])
    assert [g.text for g in out] == ["four words in here", "SELECT 1"]
    assert out[0].generated_tokens == approximate_tokens("four words in here") == 5  # 4 x 1.3
    assert backend.describe()["token_counts"] == "approximated: whitespace words x 1.3"
    assert backend.params().total == 100_000_000_000 and backend.params().trainable == 0
    assert "user-supplied active-parameter count" in backend.describe()["params_note"]


def test_missing_ids_and_bad_files_are_named(predictions, tmp_path):
    backend = ExternalBackend(_spec(predictions=str(predictions)), Variant())
    with pytest.raises(GreenbenchError, match="no prediction for id"):
        backend.generate(["x"], ids=["zz"])
    with pytest.raises(GreenbenchError, match="looked up by sample id"):
        backend.generate(["x"])
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "prediction": "x"}\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(GreenbenchError, match=r"broken\.jsonl:2: expected a JSON object"):
        ExternalBackend(_spec(predictions=str(broken)), Variant())


def test_spec_must_say_size_and_one_answer_source(predictions):
    with pytest.raises(GreenbenchError, match="needs active_params"):
        ExternalBackend(ModelSpec(name="x", source="api", kind="estimate"), Variant())
    with pytest.raises(GreenbenchError, match="exactly one of predictions"):
        ExternalBackend(_spec(), Variant())
    with pytest.raises(GreenbenchError, match=r"must start with http\(s\)://"):
        ExternalBackend(_spec(endpoint="127.0.0.1:9"), Variant())


def test_endpoint_answers_with_usage_counts(server):
    instance, url = server(
        (200, _chat("Paris. More.", {"prompt_tokens": 11, "completion_tokens": 4}))
    )
    backend = ExternalBackend(_spec(endpoint=url, endpoint_model="gpt-4o"), Variant())
    [answer] = backend.generate(["Capital of France?"], max_new_tokens=9, stop=["."])
    assert (answer.text, answer.prompt_tokens, answer.generated_tokens) == ("Paris", 11, 4)
    path, body = instance.requests[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "gpt-4o" and body["temperature"] == 0 and body["max_tokens"] == 9
    assert body["messages"] == [{"role": "user", "content": "Capital of France?"}]
    assert body["stop"] == ["."]
    assert backend.describe()["token_counts"] == "from the endpoint's usage"


def test_endpoint_without_usage_is_approximated_and_errors_are_clear(server):
    _, url = server((200, _chat("one two three")), (500, {"error": "boom"}))
    backend = ExternalBackend(_spec(endpoint=url), Variant())
    [answer] = backend.generate(["a b"], ids=["s1"])
    assert (answer.prompt_tokens, answer.generated_tokens) == (
        3,
        4,
    )  # round(2 x 1.3), round(3 x 1.3)
    assert backend.describe()["token_counts"].startswith("approximated")
    with pytest.raises(GreenbenchError, match="answered HTTP 500"):
        backend.generate(["again"])


def _echo(tokens, logprobs, offsets):
    """A completions reply with echoed prompt log-probabilities plus one generated token."""
    top = [None] + [{t: lp} for t, lp in zip(tokens[1:], logprobs[1:], strict=True)]
    return {
        "choices": [
            {
                "text": "".join(tokens) + " x",
                "logprobs": {
                    "tokens": [*tokens, " x"],
                    "token_logprobs": [*logprobs, -0.1],
                    "text_offset": [*offsets, sum(len(t) for t in tokens)],
                    "top_logprobs": [*top, {" x": -0.1}],
                },
            }
        ]
    }


def test_an_endpoint_with_echo_logprobs_scores_the_continuation_tokens(server):
    # prompt "Review: good. Sentiment: positive": continuation " positive" = [" pos", "itive"]
    tokens = ["Review", ":", " good", ".", " Sentiment", ":", " pos", "itive"]
    logprobs = [None, -1.0, -2.0, -0.5, -3.0, -0.2, -0.7, -0.05]
    offsets = [0, 6, 7, 12, 13, 23, 24, 28]
    instance, url = server((200, _echo(tokens, logprobs, offsets)))
    backend = ExternalBackend(_spec(endpoint=url, endpoint_model="m"), Variant())
    [result] = backend.loglikelihood([("Review: good. Sentiment:", " positive")])
    assert result.logprob == pytest.approx(-0.75) and result.tokens == 2
    assert result.is_greedy
    path, body = instance.requests[0]
    assert path == "/v1/completions"
    assert body["echo"] is True and body["logprobs"] == 1
    assert body["prompt"] == "Review: good. Sentiment: positive"


def test_without_prompt_logprobs_the_score_is_unavailable_with_the_reason(server, predictions):
    from greenbench.models.base import LogLikelihoodUnavailable

    _, url = server((404, {"error": "no completions here"}))
    backend = ExternalBackend(_spec(endpoint=url), Variant())
    with pytest.raises(LogLikelihoodUnavailable, match=r"HTTP 404.*need completions"):
        backend.loglikelihood([("a", " b")])
    _, url = server((200, _chat("hi")))  # a reply without logprobs
    with pytest.raises(LogLikelihoodUnavailable, match="no prompt log-probabilities"):
        ExternalBackend(_spec(endpoint=url), Variant()).loglikelihood([("a", " b")])
    from_file = ExternalBackend(_spec(predictions=str(predictions)), Variant())
    with pytest.raises(LogLikelihoodUnavailable, match="choice_scoring: generate"):
        from_file.loglikelihood([("a", " b")])
