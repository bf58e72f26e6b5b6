"""LLMAgent: message layout, reply policy (thinking, fences, several actions, truncation, tool calls),
full dialogues on the sample data through a scripted backend, and the vector runner."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import pytest

import mtsql_env  # noqa: F401 - registers the ids
from mtsql_agents import backends as backends_module
from mtsql_agents import llm as llm_module
from mtsql_agents import vector_runner as vector_runner_module
from mtsql_agents.backends import Generation, GenerationBackend, GenerationConfig
from mtsql_agents.llm import NATIVE_TOOLS_NOTE, NOT_RUN_FEEDBACK, LLMAgent, build_initial_messages
from mtsql_agents.runner import run_agent
from mtsql_agents.vector_runner import run_vector
from mtsql_env.actions import TOOL_SCHEMAS
from mtsql_env.prompts import INSTRUCTIONS

SELECT = "SELECT count(*) FROM sqlite_master"


def make_env(**kwargs: Any) -> gym.Env:
    return gym.make("MTSQL-CoSQL-v0", data_dir="sample", **kwargs)


def last_content(conversation: Sequence[dict[str, Any]]) -> str:
    return conversation[-1]["content"] or ""


def loop_policy(conversation: Sequence[dict[str, Any]]) -> str:
    """Propose -> execute -> verify -> answer, chosen from the last feedback (a stand-in for a model)."""
    feedback = last_content(conversation)
    if feedback.startswith("Candidate set"):
        return "<execute/>"
    if feedback.startswith("Execution"):
        return 'The result looks right. <verify target="execution" verdict="pass"/>'
    if feedback.startswith("Verdict on execution"):
        return "<answer/>"
    return f"<propose>{SELECT}</propose>"


class ScriptedBackend:
    """A `GenerationBackend` whose replies come from a function of the conversation."""

    name = "scripted"

    def __init__(self, reply: Callable[[Sequence[dict[str, Any]]], str | Generation]) -> None:
        self.reply = reply
        self.batch_sizes: list[int] = []
        self.tools_seen: list[Any] = []

    def generate(self, conversations, config: GenerationConfig, *, tools=None) -> list[Generation]:
        self.batch_sizes.append(len(conversations))
        self.tools_seen.append(tools)
        out = []
        for index, conversation in enumerate(conversations):
            reply = self.reply(conversation)
            generation = (
                reply if isinstance(reply, Generation) else Generation(text=reply, finish_reason="stop")
            )
            generation.conversation_index = index
            generation.prompt_tokens, generation.completion_tokens = len(conversation), 1
            out.append(generation)
        return out


def play(
    env: gym.Env, agent: LLMAgent, actions_out: list | None = None, **reset_kwargs: Any
) -> list[dict[str, Any]]:
    """Play one episode by hand, returning every step's info (so tests see what the env received)."""
    observation, info = env.reset(**reset_kwargs)
    agent.reset(observation, info)
    infos = []
    while True:
        action = agent.act(observation, info)
        if actions_out is not None:
            actions_out.append(action)
        observation, _, terminated, truncated, info = env.step(action)
        infos.append(info)
        if terminated or truncated:
            return infos


# --- Message layout ---------------------------------------------------------------------------------


def test_first_observation_is_split_into_system_instructions_and_user_task() -> None:
    env = make_env()
    observation, _ = env.reset(seed=0)
    messages = build_initial_messages(observation)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == INSTRUCTIONS
    assert messages[1]["content"].startswith("## Schema")
    assert INSTRUCTIONS not in messages[1]["content"]  # said once, in the system message
    assert messages[1]["content"] in observation


def test_few_shot_example_alternates_roles_and_uses_valid_actions() -> None:
    env = make_env()
    observation, _ = env.reset(seed=0)
    for native in (False, True):
        messages = build_initial_messages(observation, few_shot=True, native_tools=native)
        roles = [m["role"] for m in messages]
        assert roles[0] == "system" and roles[-1] == "user" and roles[-2] == "assistant"
        assistant = [m for m in messages if m["role"] == "assistant"]
        assert len(assistant) == 8
        if native:
            assert NATIVE_TOOLS_NOTE in messages[0]["content"]
            assert set(roles[1:-1]) == {"user", "assistant", "tool"}
            ids = [m["tool_calls"][0]["id"] for m in assistant]
            assert [m["tool_call_id"] for m in messages if m["role"] == "tool"] == ids[:-1]
            texts = [
                llm_module.reply_to_action(Generation("", tool_calls=m["tool_calls"])) for m in assistant
            ]
        else:
            pairs = list(zip(roles[1:-1:2], roles[2:-1:2]))
            assert all(pair == ("user", "assistant") for pair in pairs)
            texts = [m["content"] for m in assistant]
        # Every example action is valid for the real environment's parser.
        for text in texts:
            mtsql_env.actions.parse_action(text)


def test_custom_system_prompt_replaces_instructions() -> None:
    messages = build_initial_messages(INSTRUCTIONS + "\n\n## Schema\nx", system_prompt="Be brief.")
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[1]["content"] == "## Schema\nx"


# --- Full dialogues ---------------------------------------------------------------------------------


def test_full_dialogue_runs_every_turn_through_the_loop() -> None:
    env = make_env()
    backend = ScriptedBackend(loop_policy)
    agent = LLMAgent(backend)
    assert isinstance(backend, GenerationBackend)
    sent: list[str] = []
    infos = play(env, agent, sent, seed=0, options={"index": 0})
    num_turns = infos[0]["num_turns"]
    kinds = [info["action"]["name"] for info in infos]
    assert kinds == ["propose", "execute", "verify", "answer"] * num_turns
    assert all(info["format_error"] is None for info in infos)
    results = [info["turn_result"] for info in infos if info["turn_result"]]
    assert [r["turn_index"] for r in results] == list(range(num_turns))
    assert all(r["sql"] == SELECT and not r["forced"] for r in results)
    # History: system, user, then assistant/user alternating; replies verbatim, feedback as user messages.
    conversation = agent.conversation()
    roles = [m["role"] for m in conversation]
    assert roles[:2] == ["system", "user"] and roles[-1] == "assistant"
    assert roles[2:] == ["assistant", "user"] * (len(sent) - 1) + ["assistant"]
    assert [m["content"] for m in conversation if m["role"] == "assistant"] == sent
    next_questions = [
        m["content"] for m in conversation if m["content"].startswith("Answer committed.\n## Question")
    ]
    assert len(next_questions) == num_turns - 1  # the next question arrives with the answer's feedback
    # Records for the runner / trajectory recorder.
    step = agent.last_generations[0]
    assert step.action == {"name": "answer", "arguments": {}} and step.parse_error is None
    assert agent.stats["steps"] == len(sent) and agent.stats["calls"] == len(sent)
    assert backend.tools_seen == [None] * len(sent)


def test_run_agent_counts_format_errors_of_a_model_without_actions() -> None:
    env = make_env(max_steps_per_turn=2)
    agent = LLMAgent(ScriptedBackend(lambda conversation: "I am not sure what to do."))
    result = run_agent(env, agent, episodes=2, progress=False)
    turns = result.turns
    assert turns and all(t["forced"] and t["format_errors"] == 2 and t["steps"] == 2 for t in turns)
    assert result.summary["format_errors"] == 2 * len(turns)
    assert agent.last_generations[0].parse_error.startswith("no action found")


# --- Reply policy -----------------------------------------------------------------------------------


def test_thinking_fences_and_several_actions_first_action_is_taken() -> None:
    replies = iter(
        [
            "<think>Maybe <answer/> right away? No.</think>\n<propose>\n```sql\n"
            + SELECT
            + "\n```\n</propose>"
            " <execute/> <answer/>",
            "<answer/>",
        ]
    )
    env = make_env()
    agent = LLMAgent(ScriptedBackend(lambda conversation: next(replies)))
    observation, info = env.reset(seed=0)
    agent.reset(observation, info)
    observation, _, _, _, info = env.step(agent.act(observation, info))
    assert info["action"] == {"name": "propose", "arguments": {"sql": SELECT}}
    assert info["ignored_actions"] == 2 and info["format_error"] is None
    assert agent.last_generations[0].num_actions == 3
    _, _, _, _, info = env.step(agent.act(observation, info))
    assert info["turn_result"]["sql"] == SELECT


def test_truncated_reply_is_passed_on_and_counted_as_a_format_error() -> None:
    cut = Generation(text="Let me write it. <propose>SELECT name FROM passenger WHE", finish_reason="length")
    env = make_env()
    agent = LLMAgent(ScriptedBackend(lambda conversation: cut))
    observation, info = env.reset(seed=0)
    agent.reset(observation, info)
    action = agent.act(observation, info)
    assert action == cut.text  # never completed by the agent
    step = agent.last_generations[0]
    assert step.truncated and step.action is None and "not closed" in step.parse_error
    _, _, _, _, info = env.step(action)
    assert "not closed" in info["format_error"] and info["format_errors"] == 1


def test_unclosed_thinking_hides_the_rest_of_a_cut_reply() -> None:
    cut = Generation(text="<think>First I need <propose>SELECT 1</propose> maybe", finish_reason="length")
    agent = LLMAgent(ScriptedBackend(lambda conversation: cut))
    agent.reset("## Question\nHi", {})
    agent.act("## Question\nHi", {})
    assert agent.last_generations[0].parse_error.startswith("no action found")


# --- Native tool calling ----------------------------------------------------------------------------


def tool_call(name: str, arguments: str, call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def test_native_tool_calls_use_tool_messages_and_the_first_call_is_run() -> None:
    script = iter(
        [
            Generation(
                "",
                tool_calls=[tool_call("propose", json.dumps({"sql": SELECT}), "a1")],
                finish_reason="tool_calls",
            ),
            # two calls in one reply: the env runs the first; the second is answered "not run"
            Generation(
                "",
                tool_calls=[tool_call("execute", "{}", "b1"), tool_call("answer", "{}", "b2")],
                finish_reason="tool_calls",
            ),
            Generation(
                "", tool_calls=[tool_call("execute", '{"sql": "SELECT', "c1")], finish_reason="tool_calls"
            ),
            Generation("I will answer now.", finish_reason="stop"),  # prose, no action
            Generation("", tool_calls=[tool_call("answer", "", "e1")], finish_reason="tool_calls"),
        ]
    )
    backend = ScriptedBackend(lambda conversation: next(script))
    agent = LLMAgent(backend, native_tools=True)
    env = make_env()
    observation, info = env.reset(seed=0)
    agent.reset(observation, info)
    infos = []
    for _ in range(5):
        observation, _, _, _, info = env.step(agent.act(observation, info))
        infos.append(info)
    assert backend.tools_seen[0] == list(TOOL_SCHEMAS)
    assert infos[0]["action"]["name"] == "propose"
    assert infos[1]["action"]["name"] == "execute" and infos[1]["ignored_actions"] == 1
    assert "malformed JSON" in infos[2]["format_error"]
    assert infos[3]["format_error"].startswith("no action found")
    assert infos[4]["turn_result"]["sql"] == SELECT
    assert infos[4]["format_errors"] == 2
    conversation = agent.conversation()
    tools = [m for m in conversation if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tools] == ["a1", "b1", "b2", "c1"]
    assert tools[0]["content"].startswith("Candidate set") and tools[0]["name"] == "propose"
    assert tools[1]["content"].startswith("Execution") and tools[2]["content"] == NOT_RUN_FEEDBACK
    # After a prose reply (no structured call) the feedback is a user message.
    prose = next(i for i, m in enumerate(conversation) if m.get("content") == "I will answer now.")
    assert conversation[prose + 1]["role"] == "user" and conversation[prose + 1]["content"].startswith(
        "Format error"
    )


# --- Batching and the vector runner -----------------------------------------------------------------


def test_act_batch_serves_independent_slots_in_one_call() -> None:
    backend = ScriptedBackend(loop_policy)
    agent = LLMAgent(backend)
    agent.reset("## Question\nA?", {}, slot=0)
    agent.reset("## Question\nB?", {}, slot=5)
    assert (
        agent.act_batch(["## Question\nA?", "## Question\nB?"], [{}, {}], slots=[0, 5])
        == [f"<propose>{SELECT}</propose>"] * 2
    )
    assert agent.act_batch(["Candidate set.", "Candidate set."], [{}, {}], slots=[5, 0]) == ["<execute/>"] * 2
    assert backend.batch_sizes == [2, 2]
    assert [s.slot for s in agent.last_generations] == [5, 0] and agent.last_generations[0].batch_size == 2
    assert agent.conversation(5)[1]["content"] == "## Question\nB?"
    with pytest.raises(RuntimeError, match="slot 3 has no episode"):
        agent.act_batch(["x"], [{}], slots=[3])


def test_llm_agent_rejects_several_samples_per_step() -> None:
    with pytest.raises(ValueError, match="n=1"):
        LLMAgent(ScriptedBackend(loop_policy), GenerationConfig(n=2))


@pytest.mark.parametrize("vectorization_mode", ["sync", "async"])
def test_run_vector_matches_run_agent_turn_for_turn(vectorization_mode: str) -> None:
    episodes = 5
    single = run_agent(make_env(), LLMAgent(ScriptedBackend(loop_policy)), episodes, progress=False)
    backend = ScriptedBackend(loop_policy)
    envs = gym.make_vec(
        "MTSQL-CoSQL-v0", num_envs=3, vectorization_mode=vectorization_mode, data_dir="sample"
    )
    try:
        batched = run_vector(envs, LLMAgent(backend), episodes, progress=False)
    finally:
        envs.close(terminate=True)  # an async env left mid-step would otherwise wait forever
    assert batched.turns == single.turns  # same records, same order, same shape as run_episode's
    assert batched.summary == single.summary
    assert max(backend.batch_sizes) == 3  # every busy slot in one backend call
    assert sum(backend.batch_sizes) == sum(t["steps"] for t in single.turns)


def test_run_vector_copies_agents_without_slots() -> None:
    from mtsql_agents import OracleAgent

    single = run_agent(make_env(expose_gold=True), OracleAgent(), 3, progress=False)
    envs = gym.make_vec(
        "MTSQL-CoSQL-v0", num_envs=2, vectorization_mode="sync", data_dir="sample", expose_gold=True
    )
    try:
        batched = run_vector(envs, OracleAgent(), 3, progress=False)
    finally:
        envs.close(terminate=True)  # an async env left mid-step would otherwise wait forever
    assert batched.turns == single.turns and batched.summary["EX"] == 1.0


# --- Docs and imports -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [llm_module, vector_runner_module, backends_module.base])
def test_doctests(module: Any) -> None:
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_importing_agents_and_llm_layer_keeps_heavy_packages_out() -> None:
    code = (
        "import sys, mtsql_env, mtsql_agents, mtsql_agents.llm, mtsql_agents.vector_runner, mtsql_agents.backends\n"
        "heavy = [m for m in ('torch', 'transformers', 'openai') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
