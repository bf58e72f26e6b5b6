"""OpenAIBackend against a tiny OpenAI-compatible stub server on 127.0.0.1 (http.server in a thread):
replies, native tool calls, malformed arguments, no action, timeouts with retries, server down."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents.backends import BackendError, BackendTimeoutError, BackendUnavailableError, GenerationConfig
from mtsql_agents.llm import LLMAgent
from mtsql_env.actions import TOOL_SCHEMAS

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("openai") is None, reason='needs the openai package: pip install -e ".[openai]"'
)

Responder = Callable[[dict[str, Any]], dict[str, Any]]


def completion(
    content: str | None = "", tool_calls: list[dict] | None = None, finish: str = "stop", n: int = 1
) -> dict:
    """A chat.completion response body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "stub",
        "choices": [
            {"index": i, "message": message, "finish_reason": finish, "logprobs": None} for i in range(n)
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
    }


def call(name: str, arguments: str, call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


class StubServer:
    """Answers POST /v1/chat/completions with ``responder(request_body)``; records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responder: Responder = lambda body: completion("<answer/>")
        self.delay_s = 0.0
        self.status = 200
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                if stub.delay_s:
                    time.sleep(stub.delay_s)
                if stub.status != 200:
                    payload = json.dumps(
                        {"error": {"message": "bad model", "type": "invalid_request_error"}}
                    ).encode()
                else:
                    payload = json.dumps(stub.responder(body)).encode()
                try:
                    self.send_response(stub.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    try:
        yield server
    finally:
        server.close()


def make_backend(url: str, **kwargs: Any):
    from mtsql_agents.backends import OpenAIBackend

    return OpenAIBackend(
        "stub-model", url, **{"timeout_s": 5.0, "max_retries": 0, "backoff_s": 0.01, **kwargs}
    )


def test_replies_come_back_in_order_with_counts_and_sampling_options(stub: StubServer) -> None:
    stub.responder = lambda body: completion(f"<answer/> {body['messages'][-1]['content']}")
    backend = make_backend(stub.url, max_concurrency=4)
    conversations = [
        [{"role": "system", "content": "S"}, {"role": "user", "content": f"q{i}"}] for i in range(6)
    ]
    config = GenerationConfig(
        temperature=0.5, top_p=0.9, top_k=5, max_new_tokens=7, seed=3, stop=("</answer>",)
    )
    generations = backend.generate(conversations, config)
    assert [g.text for g in generations] == [f"<answer/> q{i}" for i in range(6)]
    assert [g.conversation_index for g in generations] == list(range(6))
    assert generations[0].prompt_tokens == 11 and generations[0].completion_tokens == 3
    assert generations[0].finish_reason == "stop" and generations[0].tool_calls is None
    body = stub.requests[0]
    assert body["model"] == "stub-model" and body["max_tokens"] == 7 and body["seed"] == 3
    assert (
        body["temperature"] == 0.5
        and body["top_p"] == 0.9
        and body["top_k"] == 5
        and body["stop"] == ["</answer>"]
    )
    assert "tools" not in body and len(stub.requests) == 6


def test_several_samples_per_conversation(stub: StubServer) -> None:
    stub.responder = lambda body: completion("<answer/>", n=body["n"])
    generations = make_backend(stub.url).generate(
        [[{"role": "user", "content": "q"}]] * 2, GenerationConfig(n=3)
    )
    assert [g.conversation_index for g in generations] == [0, 0, 0, 1, 1, 1]
    assert generations[0].completion_tokens is None  # usage covers all choices; not split per sample


def test_native_tool_calls_drive_the_env_and_malformed_arguments_are_format_errors(stub: StubServer) -> None:
    script = iter(
        [
            completion(
                None,
                [call("propose", json.dumps({"sql": "SELECT count(*) FROM sqlite_master"}), "t1")],
                "tool_calls",
            ),
            completion(None, [call("execute", '{"sql": "SELECT', "t2")], "tool_calls"),  # malformed JSON
            completion("Done, I think."),  # a reply with no action
            completion(None, [call("answer", "{}", "t4")], "tool_calls"),
        ]
    )
    stub.responder = lambda body: next(script)
    agent = LLMAgent(make_backend(stub.url), native_tools=True)
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample")
    observation, info = env.reset(seed=0)
    agent.reset(observation, info)
    infos = []
    for _ in range(4):
        observation, _, _, _, info = env.step(agent.act(observation, info))
        infos.append(info)
    assert stub.requests[0]["tools"] == json.loads(json.dumps(list(TOOL_SCHEMAS)))
    assert infos[0]["action"]["name"] == "propose" and infos[0]["format_error"] is None
    assert "malformed JSON" in infos[1]["format_error"]
    assert infos[2]["format_error"].startswith("no action found")
    assert infos[3]["turn_result"]["sql"] == "SELECT count(*) FROM sqlite_master"
    assert infos[3]["format_errors"] == 2
    # What the server saw: assistant tool calls answered by tool messages with the same ids.
    last = stub.requests[-1]["messages"]
    assert [m["role"] for m in last[:2]] == ["system", "user"]
    tool_messages = [m for m in last if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["t1", "t2"]
    assert last[-1]["role"] == "user" and last[-1]["content"].startswith("Format error")


def test_reply_without_action_is_a_counted_format_error(stub: StubServer) -> None:
    stub.responder = lambda body: completion("SELECT name FROM passenger")
    agent = LLMAgent(make_backend(stub.url))
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample")
    observation, info = env.reset(seed=0)
    agent.reset(observation, info)
    _, _, _, _, info = env.step(agent.act(observation, info))
    assert info["format_error"].startswith("no action found") and info["format_errors"] == 1
    assert agent.last_generations[0].parse_error is not None


def test_timeouts_are_retried_with_backoff_then_a_clear_error(stub: StubServer) -> None:
    stub.delay_s = 1.0
    backend = make_backend(stub.url, timeout_s=0.2, max_retries=2, backoff_s=0.05)
    start = time.perf_counter()
    with pytest.raises(BackendTimeoutError, match=r"127\.0\.0\.1.*timeout_s=0\.2 in 3 attempt") as err:
        backend.generate([[{"role": "user", "content": "q"}]], GenerationConfig())
    elapsed = time.perf_counter() - start
    assert isinstance(err.value, BackendUnavailableError)
    assert len(stub.requests) == 3  # first try and two retries
    assert 0.6 + 0.15 <= elapsed < 5.0


def test_server_down_fails_fast_naming_the_url() -> None:
    with socket.socket() as sock:  # find a free port, then close it: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = make_backend(f"http://127.0.0.1:{port}/v1", max_retries=1, backoff_s=0.05)
    start = time.perf_counter()
    with pytest.raises(BackendUnavailableError, match=f"127.0.0.1:{port}"):
        backend.generate([[{"role": "user", "content": "q"}]] * 3, GenerationConfig())
    assert time.perf_counter() - start < 3.0


def test_a_rejected_request_is_not_retried(stub: StubServer) -> None:
    stub.status = 400
    backend = make_backend(stub.url, max_retries=3)
    with pytest.raises(BackendError, match="rejected the request \\(400\\)"):
        backend.generate([[{"role": "user", "content": "q"}]], GenerationConfig())
    assert len(stub.requests) == 1


def test_missing_openai_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    from mtsql_agents.backends.openai_backend import OpenAIBackend

    with pytest.raises(ImportError, match=r'pip install "mtsql-gym\[openai\]"'):
        OpenAIBackend("m", "http://127.0.0.1:1/v1")


def test_api_key_comes_from_the_named_env_var(monkeypatch: pytest.MonkeyPatch, stub: StubServer) -> None:
    monkeypatch.setenv("MY_KEY", "secret-123")
    backend = make_backend(stub.url, api_key_env="MY_KEY")
    assert backend._client.api_key == "secret-123"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert make_backend(stub.url)._client.api_key == "EMPTY"
