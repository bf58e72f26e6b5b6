"""TransformersBackend with the tiny model built in the test: chat template, batching, seeds, stop
strings, logprobs, and whole dialogues on the sample data (junk replies -> counted format errors)."""

from __future__ import annotations

import importlib.util
import logging
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents.backends import GenerationConfig
from mtsql_agents.llm import LLMAgent
from mtsql_agents.runner import run_agent
from mtsql_agents.vector_runner import run_vector
from mtsql_env.prompts import INSTRUCTIONS

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason='needs torch and transformers: pip install -e ".[train]"',
)
logger = logging.getLogger(__name__)

CONVERSATIONS = [
    [{"role": "system", "content": "S"}, {"role": "user", "content": "How many singers are there?"}],
    [{"role": "system", "content": "S"}, {"role": "user", "content": "List the airports in France. " * 6}],
    [{"role": "user", "content": "x"}],
]


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mtsql_agents.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def backend(tiny_path: Path):
    from mtsql_agents.backends import TransformersBackend

    return TransformersBackend(tiny_path, device="cpu")


def make_env(**kwargs: Any) -> gym.Env:
    # One step per turn: the env forces an answer after each reply, so a dialogue is a few generations.
    return gym.make("MTSQL-CoSQL-v0", data_dir="sample", max_steps_per_turn=1, **kwargs)


def test_prompt_is_the_models_chat_template(backend) -> None:
    env = make_env()
    observation, info = env.reset(seed=0)
    agent = LLMAgent(backend, GenerationConfig(max_new_tokens=4))
    agent.reset(observation, info)
    agent.act(observation, info)
    generation = agent.last_generations[0].generation
    expected = backend.tokenizer.apply_chat_template(
        agent.conversation()[:2], tokenize=False, add_generation_prompt=True
    )
    assert backend.tokenizer.decode(generation.prompt_token_ids) == expected
    assert expected.startswith(f"<|im_start|>system\n{INSTRUCTIONS}<|im_end|>\n<|im_start|>user\n## Schema")
    assert expected.endswith("<|im_end|>\n<|im_start|>assistant\n")
    assert generation.prompt_tokens == len(generation.prompt_token_ids)


def test_native_tools_reach_the_template(backend) -> None:
    text = backend.render(CONVERSATIONS[0], tools=[{"type": "function", "function": {"name": "execute"}}])
    assert "# Tools" in text and '"name": "execute"' in text


def test_batched_generation_equals_one_by_one_at_temperature_zero(backend) -> None:
    config = GenerationConfig(max_new_tokens=12, logprobs=True)
    batched = backend.generate(CONVERSATIONS, config)
    single = [backend.generate([conversation], config)[0] for conversation in CONVERSATIONS]
    assert [g.token_ids for g in batched] == [g.token_ids for g in single]
    assert [g.text for g in batched] == [g.text for g in single]
    assert len({tuple(g.token_ids) for g in batched}) == 3  # the replies depend on the prompt
    for b, s in zip(batched, single):
        assert b.prompt_tokens == s.prompt_tokens and b.completion_tokens == len(b.token_ids)
        assert b.logprobs == pytest.approx(s.logprobs, abs=1e-4)
        assert all(lp <= 0 for lp in b.logprobs)
    assert [g.conversation_index for g in batched] == [0, 1, 2]


def test_logprobs_are_the_models_own_token_probabilities(backend) -> None:
    import torch

    generation = backend.generate(CONVERSATIONS[:1], GenerationConfig(max_new_tokens=6, logprobs=True))[0]
    ids = torch.tensor([generation.prompt_token_ids + generation.token_ids])
    with torch.no_grad():
        logits = backend.model(ids).logits[0, len(generation.prompt_token_ids) - 1 : -1]
    expected = torch.log_softmax(logits, dim=-1).gather(1, ids[0, len(generation.prompt_token_ids) :, None])[
        :, 0
    ]
    assert generation.logprobs == pytest.approx(expected.tolist(), abs=1e-4)


def test_sampling_is_seeded_and_samples_are_conversation_major(backend) -> None:
    config = GenerationConfig(temperature=1.0, max_new_tokens=8, seed=7, n=3)
    first = backend.generate(CONVERSATIONS[:2], config)
    again = backend.generate(CONVERSATIONS[:2], config)
    assert [g.token_ids for g in first] == [g.token_ids for g in again]
    assert [g.conversation_index for g in first] == [0, 0, 0, 1, 1, 1]
    assert len({tuple(g.token_ids) for g in first[:3]}) > 1  # three different samples
    other = backend.generate(
        CONVERSATIONS[:2], GenerationConfig(temperature=1.0, max_new_tokens=8, seed=8, n=3)
    )
    assert [g.token_ids for g in other] != [g.token_ids for g in first]


def test_stop_strings_end_the_text(backend) -> None:
    full = backend.generate(CONVERSATIONS[:1], GenerationConfig(max_new_tokens=24))[0]
    assert full.finish_reason == "length" and full.truncated
    stop = full.text[len(full.text) // 2 : len(full.text) // 2 + 2]
    cut = backend.generate(CONVERSATIONS[:1], GenerationConfig(max_new_tokens=24, stop=(stop,)))[0]
    assert stop not in cut.text and cut.text == full.text[: full.text.index(stop)]
    assert cut.finish_reason == "stop" and len(cut.token_ids) < len(full.token_ids)


def test_whole_dialogue_with_the_tiny_model_counts_format_errors(backend) -> None:
    env = make_env()
    agent = LLMAgent(backend, GenerationConfig(max_new_tokens=16), few_shot=True)
    start = time.perf_counter()
    result = run_agent(env, agent, episodes=1, progress=False)
    elapsed = time.perf_counter() - start
    logger.info("tiny-model dialogue: %d turns in %.2fs", len(result.turns), elapsed)
    num_turns = len(env.unwrapped.dataset.dialogues[0].turns)
    assert [t["turn"] for t in result.turns] == list(range(num_turns))  # finished, every turn scored
    assert all(t["forced"] for t in result.turns)
    # Junk replies hold no action: one counted format error per step, never an exception.
    assert result.summary["format_errors"] == num_turns and agent.stats["steps"] == num_turns
    assert 0 < agent.stats["completion_tokens"] <= 16 * num_turns
    assert elapsed < 60


@pytest.mark.slow
def test_vector_env_with_the_tiny_model_matches_one_by_one(backend) -> None:
    config = GenerationConfig(max_new_tokens=8)
    single = run_agent(make_env(), LLMAgent(backend, config), episodes=2, progress=False)
    envs = gym.make_vec(
        "MTSQL-CoSQL-v0", num_envs=2, vectorization_mode="sync", data_dir="sample", max_steps_per_turn=1
    )
    agent = LLMAgent(backend, config)
    try:
        batched = run_vector(envs, agent, episodes=2, progress=False)
    finally:
        envs.close()
    assert batched.turns == single.turns
    assert agent.stats["calls"] < agent.stats["steps"]  # generation was batched across episodes


def test_fake_generate_drives_a_deterministic_multi_turn_dialogue(
    backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Patch `model.generate` (as TRL's tests do) to emit known tag actions; the env must receive them."""
    import torch
    from transformers.generation.utils import GenerateDecoderOnlyOutput

    tokenizer = backend.tokenizer
    script = ["<propose>SELECT count(*) FROM sqlite_master</propose>", "<execute/>", "<answer/>"]
    calls: list[int] = []

    def fake_generate(
        input_ids: torch.Tensor, attention_mask: torch.Tensor, **kwargs: Any
    ) -> GenerateDecoderOnlyOutput:
        text = script[len(calls) % len(script)]
        calls.append(input_ids.shape[0])
        completion = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        rows = torch.tensor([completion] * input_ids.shape[0])
        return GenerateDecoderOnlyOutput(sequences=torch.cat([input_ids, rows], dim=1))

    monkeypatch.setattr(backend.model, "generate", fake_generate)
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", max_steps_per_turn=5)
    agent = LLMAgent(backend, GenerationConfig(max_new_tokens=64))
    observation, info = env.reset(seed=0, options={"index": 0})
    agent.reset(observation, info)
    received = []
    while True:
        observation, _, terminated, truncated, info = env.step(agent.act(observation, info))
        received.append(info["action"]["name"])
        assert info["format_error"] is None
        assert agent.last_generations[0].generation.finish_reason == "stop"
        if terminated or truncated:
            break
    assert received == ["propose", "execute", "answer"] * info["num_turns"]
    assert agent.conversation()[2]["content"] == script[0]


def test_unseeded_sampling_gives_fresh_samples_each_call(backend) -> None:
    config = GenerationConfig(temperature=1.0, max_new_tokens=12)
    conversation = [[{"role": "user", "content": "How many singers are there?"}]]
    samples = {backend.generate(conversation, config)[0].text for _ in range(4)}
    assert len(samples) > 1, "without a seed, successive calls must not repeat the same sample"
