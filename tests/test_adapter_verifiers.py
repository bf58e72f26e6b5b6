"""The verifiers adapter through verifiers 0.4's own machinery: its loader finds the taskset by id, and a real
rollout runs its plain chat harness (``null``) as a program in the subprocess runtime, with model calls going
through verifiers' interception server to a scripted OpenAI-compatible server on loopback that replies with
the noisy oracle's actions. The rewards must equal in-process play of the same actions, step by step.

verifiers' subprocess runtime runs the harness program with ``uv`` (it installs uv with ``pip --user`` on
first use and builds the program's environment once, cached by uv).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

vf = pytest.importorskip("verifiers.v1", reason="verifiers not installed: pip install verifiers==0.4.0")

from adapter_play import DIALOGUE_ID, ENV_KWARGS, assert_nontrivial, import_without, play_in_process

from mtsql_env.integrations.verifiers_env import TASKSET_ID, MTSQLVerifiersEnv, load_environment
from mtsql_env.rewards import COMPONENTS


class ScriptedModel:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 that replies with the given texts, in order."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.requests: list[dict] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                model.requests.append(body)
                text = model.replies.pop(0) if model.replies else "no more scripted replies"
                data, kind = model._response(body, text)
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def _response(body: dict, text: str) -> tuple[bytes, str]:
        head = {"id": "scripted", "created": int(time.time()), "model": body.get("model")}
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "finish_reason": "stop", "message": message}
            return json.dumps(
                {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
            ).encode(), ("application/json")
        head["object"] = "chat.completion.chunk"
        chunks = [
            {
                **head,
                "choices": [
                    {"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}
                ],
            },
            {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {**head, "choices": [], "usage": usage},
        ]
        events = b"".join(b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks)
        return events + b"data: [DONE]\n\n", "text/event-stream"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def rollout(env: MTSQLVerifiersEnv, replies: list[str]):
    """One episode of the env's first task through verifiers' run_episode, against the scripted model."""
    model = ScriptedModel(replies)
    os.environ.setdefault("MTSQL_SCRIPTED_KEY", "unused")
    ctx = vf.ModelContext(
        model="scripted", client=vf.EvalClientConfig(base_url=model.url, api_key_var="MTSQL_SCRIPTED_KEY")
    )

    async def run():
        async with env.serving():
            return await env.run_episode(next(iter(env.taskset)), ctx)

    try:
        return asyncio.run(run()), model
    finally:
        model.close()


def test_verifiers_loader_finds_the_taskset_by_id():
    config = vf.resolve_env_config({"taskset": {"id": TASKSET_ID, "env": {**ENV_KWARGS, "mode": "turn"}}})
    env = vf.load_environment(config)
    assert isinstance(env, MTSQLVerifiersEnv)
    tasks = list(env.taskset)
    assert len(tasks) == 176  # every (dialogue, turn) of the dev sample
    assert tasks[2].data.episode == {"dialogue_id": "dev-0000", "turn": 2} and tasks[2].data.prompt is None
    assert env.config.player.harness.id == "null"


def check_rollout_matches(mode: str, options: dict) -> None:
    script = play_in_process(options={"dialogue_id": DIALOGUE_ID, **options}, mode=mode)
    assert_nontrivial(script)
    env = load_environment(
        env={**ENV_KWARGS, "mode": mode},
        episodes=[{"dialogue_id": DIALOGUE_ID, **options}],
        player={"runtime": {"type": "subprocess"}},
    )
    episode, model = rollout(env, script.texts)
    assert episode.ok and not episode.errors
    (trace,) = episode.traces
    assert not trace.errors and trace.num_turns == len(script.actions)
    # The model saw the env's observations as user turns: first the reset observation.
    first_user = [m for m in model.requests[0]["messages"] if m["role"] == "user"]
    assert first_user[-1]["content"] == script.first_observation
    steps = trace.info["mtsql_steps"]
    assert [s["reward"] for s in steps] == pytest.approx(script.rewards)
    assert [s["components"] for s in steps] == [pytest.approx(c) for c in script.components]
    assert trace.rewards["mtsql_reward"].score == pytest.approx(script.total)
    assert trace.reward == pytest.approx(script.total)
    assert sum(trace.metrics[name] for name in COMPONENTS) == pytest.approx(script.total)
    answered = sum(bool(s["turn_result"]) for s in steps)
    assert trace.metrics["turns_answered"] == answered and trace.metrics["exec_accuracy"] == 1.0


def test_rollout_rewards_match_in_process_play():
    """One user turn under gold history (seven replies, a correction among them): ~25 s, the harness
    program is resumed for every reply."""
    check_rollout_matches("turn", {"turn": 2})


@pytest.mark.slow
def test_whole_dialogue_rollout_rewards_match_in_process_play():
    """All six turns of the dialogue in one rollout (37 replies, ~2.5 minutes)."""
    check_rollout_matches("dialogue", {})


def test_bad_replies_are_format_errors_in_the_rollout():
    env = load_environment(
        env={**ENV_KWARGS, "mode": "turn", "max_steps_per_turn": 2},
        episodes=[{"dialogue_id": DIALOGUE_ID, "turn": 0}],
        player={"runtime": {"type": "subprocess"}},
    )
    episode, _ = rollout(env, ["SELECT 1", "I give up"])
    (trace,) = episode.traces
    assert episode.ok and trace.num_turns == 2  # truncated at the turn's step limit
    assert trace.metrics["format_errors"] == 2 and trace.rewards["mtsql_reward"].score == 0.0
    assert [s["done"] for s in trace.info["mtsql_steps"]] == [False, True]


def test_missing_package_error_names_what_to_install(monkeypatch):
    error = import_without(monkeypatch, "mtsql_env.integrations.verifiers_env", "verifiers")
    assert "needs verifiers==0.4.0" in str(error) and 'pip install "mtsql-gym[verifiers]"' in str(error)
