"""The verl adapter through verl 0.9's own interfaces: the tool-config loader, the ``BaseTool`` lifecycle
(``create``/``execute``/``calc_reward``/``release``) and the real ``ToolAgentLoop`` on CPU, with a scripted
server in place of vLLM/SGLang (it replies with the oracle's tool calls)."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path

import pytest

pytest.importorskip("verl", reason="verl not installed: pip install --no-deps verl==0.9.1 (docs/adapters.md)")

from adapter_play import DIALOGUE_ID, ENV_KWARGS, assert_nontrivial, import_without, play_in_process
from omegaconf import OmegaConf
from verl.experimental.agent_loop.agent_loop import DictConfigWrap, ToolListWrap
from verl.experimental.agent_loop.tool_agent_loop import AgentData, ToolAgentLoop
from verl.tools.tool_registry import initialize_tools_from_config
from verl.workers.rollout.replica import TokenOutput

from mtsql_env.integrations import verl_tools
from mtsql_env.integrations.verl_tools import ENDED_FEEDBACK, MTSQLTool, compute_score, tools_kwargs
from mtsql_env.rewards import COMPONENTS

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "verl" / "mtsql_tool_config.yaml"
TURN = 2


@pytest.fixture(scope="module")
def turn_script():
    script = play_in_process(options={"dialogue_id": DIALOGUE_ID, "turn": TURN}, mode="turn")
    assert {"correct", "answer"} <= {a.kind.value for a in script.actions}
    return script


@pytest.fixture()
def tools(tmp_path):
    """The example tool config, loaded by verl's own loader, pointed at the dev sample (turn mode)."""
    config = OmegaConf.load(EXAMPLE)
    for tool in config.tools:
        tool.config.env.update({**ENV_KWARGS, "mode": "turn"})
    path = tmp_path / "tools.yaml"
    OmegaConf.save(config, path)
    loaded = initialize_tools_from_config(str(path))
    return {tool.name: tool for tool in loaded}


def agent_data(episode: dict) -> AgentData:
    return AgentData([], None, None, None, None, {}, "req-0", tools_kwargs(**episode))


def test_example_config_loads_five_tools_with_the_env_schemas(tools):
    assert list(tools) == list(verl_tools.ACTION_NAMES)
    assert all(isinstance(tool, MTSQLTool) for tool in tools.values())
    assert tools["verify"].tool_schema.function.parameters.required == ["target"]


def test_per_call_lifecycle_as_tool_agent_loop_runs_it(tools, turn_script):
    """verl 0.9 creates and releases a tool instance around every call: the episode must follow agent_data."""
    data = agent_data({"dialogue_id": DIALOGUE_ID, "turn": TURN})
    open_before = len(verl_tools._BY_AGENT)

    async def play(data):
        results = []
        for action in turn_script.actions:
            call = action.to_tool_call()
            tool = tools[call["name"]]
            instance_id, _ = await tool.create(create_kwargs=data.tools_kwargs[call["name"]]["create_kwargs"])
            results.append(await tool.execute(instance_id, call["arguments"], agent_data=data))
            await tool.release(instance_id)
        after = await tools["answer"].execute("late", {}, agent_data=data)
        return results, after

    results, after = asyncio.run(play(data))
    assert [reward for _, reward, _ in results] == pytest.approx(turn_script.rewards)
    assert [components for _, _, components in results] == [pytest.approx(c) for c in turn_script.components]
    assert results[-1][0].text.startswith("Answer committed.")
    assert after[0].text == ENDED_FEEDBACK and after[1] == 0.0
    steps = data.extra_fields["mtsql_steps"]
    assert [s["reward"] for s in steps] == pytest.approx(turn_script.rewards) and steps[-1]["done"]
    score = compute_score("mtsql-cosql", "", None, {"mtsql_steps": steps})
    assert score["score"] == pytest.approx(turn_script.total)
    assert sum(score[name] for name in COMPONENTS) == pytest.approx(turn_script.total)
    assert score["exec_accuracy"] == 1.0
    # The episode is freed with its trajectory's AgentData.
    assert data in verl_tools._BY_AGENT and len(verl_tools._BY_AGENT) == open_before + 1
    del data
    gc.collect()
    assert len(verl_tools._BY_AGENT) == open_before


def test_per_trajectory_lifecycle_without_agent_data(tools, turn_script):
    """Callers that create one instance per trajectory: the instance id carries the episode to release."""
    tool = tools["propose"]

    async def play():
        instance_id, _ = await tool.create(create_kwargs={"dialogue_id": DIALOGUE_ID, "turn": TURN})
        rewards = []
        for action in turn_script.actions:
            call = action.to_tool_call()
            _, reward, _ = await tools[call["name"]].execute(instance_id, call["arguments"])
            rewards.append(reward)
        total = await tool.calc_reward(instance_id)
        await tool.release(instance_id)
        return rewards, total, await tool.calc_reward(instance_id)

    rewards, total, after_release = asyncio.run(play())
    assert rewards == pytest.approx(turn_script.rewards)
    assert total == pytest.approx(turn_script.total) and after_release == 0.0
    assert not verl_tools._BY_INSTANCE and not verl_tools._ROWS


def test_bad_arguments_are_env_format_errors(tools):
    data = agent_data({"dialogue_id": DIALOGUE_ID, "turn": TURN})

    async def play():
        first = await tools["verify"].execute(
            "i", {"target": "execution"}, agent_data=data
        )  # nothing to verify
        second = await tools["propose"].execute("i", {"sql": 42, "kind": "answer"}, agent_data=data)
        return first, second

    first, second = asyncio.run(play())
    assert first[0].text.startswith("Format error") and second[0].text.startswith("Format error")
    assert [s["format_error"] is not None for s in data.extra_fields["mtsql_steps"]] == [True, True]


def test_unknown_action_is_a_clear_error():
    with pytest.raises(ValueError, match="must be one of"):
        MTSQLTool({"type": "native", "action": "drop_table"})


@pytest.mark.parametrize("mode, options", [("turn", {"turn": TURN}), ("dialogue", {})])
def test_tool_agent_loop_plays_the_episode_on_cpu(tools, tmp_path, mode, options):
    """verl's real ToolAgentLoop: prompt -> scripted generation -> hermes tool parsing -> our tools -> ..."""
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from mtsql_agents.tiny import build_tiny_model

    script = play_in_process(options={"dialogue_id": DIALOGUE_ID, **options}, mode=mode)
    if mode == "dialogue":
        assert_nontrivial(script)
        for tool in tools.values():
            tool.config["env"]["mode"] = "dialogue"
    tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path / "tiny"))
    replies = [f"<tool_call>{json.dumps(a.to_tool_call())}</tool_call><|im_end|>" for a in script.actions]
    replies.append("Done.<|im_end|>")

    class ScriptedServer:
        """Stands in for verl's LLM server manager: returns the next scripted reply as tokens."""

        def __init__(self):
            self.calls = 0

        async def generate(self, request_id, prompt_ids, sampling_params, **kwargs):
            self.calls += 1
            return TokenOutput(token_ids=tokenizer.encode(replies[self.calls - 1], add_special_tokens=False))

    rollout = {
        "multi_turn": {
            "max_user_turns": None,
            "max_assistant_turns": len(replies) + 1,
            "max_parallel_calls": 1,
            "max_tool_response_length": 100_000,
            "tool_response_truncate_side": "middle",
            "format": "hermes",
        },
        "prompt_length": 16_384,
        "response_length": 200_000,
        "full_determinism": False,
    }
    trainer_config = DictConfigWrap(OmegaConf.create({"actor_rollout_ref": {"rollout": rollout}}))
    data_config = DictConfigWrap(OmegaConf.create({"apply_chat_template_kwargs": {}}))
    server = ScriptedServer()

    async def run():
        loop = ToolAgentLoop(
            trainer_config,
            server,
            tokenizer,
            None,
            None,
            data_config,
            tools=ToolListWrap(list(tools.values())),
        )
        return await loop.run(
            {"temperature": 1.0},
            raw_prompt=[{"role": "user", "content": script.first_observation}],
            tools_kwargs=tools_kwargs(dialogue_id=DIALOGUE_ID, **options),
        )

    output = asyncio.run(run())
    assert server.calls == len(replies)
    assert output.extra_fields["tool_rewards"] == pytest.approx(script.rewards)
    steps = output.extra_fields["mtsql_steps"]
    assert [s["components"] for s in steps] == [pytest.approx(c) for c in script.components]
    # What verl's reward manager hands compute_score: extra_info updated with the loop's extra_fields.
    assert compute_score("mtsql-cosql", "", None, dict(output.extra_fields))["score"] == pytest.approx(
        script.total
    )
    assert (
        0 < sum(output.response_mask) < len(output.response_mask)
    )  # model tokens trained, env tokens masked


def test_missing_package_error_names_what_to_install(monkeypatch):
    error = import_without(monkeypatch, "mtsql_env.integrations.verl_tools", "verl")
    assert (
        "needs verl==0.9.1" in str(error)
        and 'pip install "mtsql-gym[verl]"' in str(error)
        and "--no-deps verl==0.9.1" in str(error)
    )
