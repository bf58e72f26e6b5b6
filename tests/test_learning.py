"""Learning with multi-turn credit assignment: the reward arrives only at the end of a 3-step episode.

Each episode is three two-choice questions in a row on the real env (`TwoChoiceEnv(steps=3)`): every
reply but the last earns 0, the last earns the sum of the three scores (EX + EM, 0 or 2 each). A random
tiny model rarely starts a reply with A or B, so the first replies' share of choices can only rise if
the trainer carries the final reward back to them.

The GRPO test runs the same kind of episode through mtsql's own GRPO path (`build_grpo_trainer`, TRL's tool
loop over `MTSQLToolEnv`): one user turn played in three tool calls, propose -> execute -> answer, with the
``outcome`` preset, so only the answer earns (EX + EM) and what it earns was decided by the first call.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from mtsql_trainers.tasks import TwoChoiceEnv, parse_choice, two_choice_dataset  # noqa: E402

STEPS = 3


@pytest.fixture(scope="module")
def items():
    return two_choice_dataset("train", data_dir="sample", seed=0)


def test_delayed_reward_env_pays_only_at_the_end(items):
    env = TwoChoiceEnv(items, steps=STEPS, seed=1)
    obs, info = env.reset(seed=1)
    rewards, done = [], False
    while not done:
        obs, reward, terminated, truncated, info = env.step(info["gold_choice"])
        rewards.append(reward)
        done = terminated or truncated
    assert rewards == [0.0] * (STEPS - 1) + [2.0 * STEPS]
    with pytest.raises(ValueError, match="steps must be at least 1"):
        TwoChoiceEnv(items, steps=0)


def _first_reply_choice_rate(rollouts) -> float:
    return sum(parse_choice(r.replies[0].text) is not None for r in rollouts) / len(rollouts)


@pytest.mark.slow
def test_ppo_learns_from_a_reward_at_the_end_of_three_steps(tmp_path, items):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mtsql_agents.tiny import build_tiny_model
    from mtsql_trainers.ppo import PPOTrainer
    from mtsql_trainers.ppo_config import PPOConfig

    path = build_tiny_model(tmp_path / "tiny", seed=0)
    model = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager")
    tokenizer = AutoTokenizer.from_pretrained(path)
    config = PPOConfig(
        task="two_choice",
        data_dir="sample",
        num_envs=16,
        episodes_per_iteration=16,
        per_device_train_batch_size=16,
        num_ppo_epochs=2,
        num_iterations=14,
        max_new_tokens=1,  # the first token of each reply decides its choice
        learning_rate=3e-2,
        lr_scheduler_type="constant",
        gamma=1.0,
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_model=False,
        output_dir=str(tmp_path / "out"),
        seed=0,
    )
    envs = [TwoChoiceEnv(items, steps=STEPS, seed=k) for k in range(config.num_envs)]
    trainer = PPOTrainer(model, tokenizer, config, envs=envs)
    first_rates, rewards = [], []
    for _ in range(config.num_iterations):
        rollouts = trainer.collect()
        assert all(len(r.reply_spans) == STEPS for r in rollouts)
        assert all(r.step_rewards[:-1] == [0.0] * (STEPS - 1) for r in rollouts)  # nothing before the end
        first_rates.append(_first_reply_choice_rate(rollouts))
        rewards.append(trainer.step(rollouts)["reward_mean"])
    early, late = sum(rewards[:3]) / 3, sum(rewards[-3:]) / 3
    assert late > early + 1.0, rewards
    # the first reply earns nothing itself: it learns to choose only through the delayed reward
    assert sum(first_rates[-3:]) / 3 > sum(first_rates[:3]) / 3 + 0.3, first_rates


def _mean(values) -> float:
    return sum(values) / len(values)


@pytest.mark.slow
def test_grpo_learns_from_a_reward_at_the_end_of_three_steps(tmp_path, items):
    """A tiny model warm-started to propose the gold or a wrong SQL half the time learns to propose the gold.

    Warm start: SFT on two scripted conversations of the very prompt GRPO renders, the gold SQL and a wrong
    one (the gold's select list replaced by ``count(*)``: EX = EM = 0), each proposed, executed, answered.
    Sampled, the model then picks either at the first call and reaches the answer most of the time; GRPO
    raises the share that proposed the gold, though the reward comes only with the third call.
    """
    import datasets

    from mtsql_agents.tiny import build_tiny_model
    from mtsql_trainers.datasets import build_turn_dataset
    from mtsql_trainers.environment import MTSQLToolEnv, scripted_tool_conversation, tool_schemas
    from mtsql_trainers.grpo import build_grpo_trainer
    from mtsql_trainers.grpo_config import MTSQLGRPOConfig
    from mtsql_trainers.sft import train_on_dataset
    from mtsql_trainers.sft_config import SFTConfig

    item = next(i for i in items if i.dialogue_id == "train-0023" and i.turn == 0)  # short SQL, short prompt
    gold = item.candidates["AB".index(item.gold_choice)]
    wrong = gold.replace("SELECT title", "SELECT count(*)", 1)
    assert wrong != gold
    env_kwargs = {"data_dir": "sample", "split": "train", "schema_sample_rows": 0}
    rows = build_turn_dataset(dialogue_ids=[item.dialogue_id], turns=[item.turn], **env_kwargs)
    env = MTSQLToolEnv(reward="outcome", **env_kwargs)
    conversations = []
    for sql, earned in ((gold, 2.0), (wrong, 0.0)):
        calls = [("propose", {"sql": sql}), ("execute", {}), ("answer", {})]
        messages, rewards = scripted_tool_conversation(rows[0], calls, env)
        assert rewards == [0.0, 0.0, earned] and env.done  # nothing before the answer, the third call
        conversations.append({"messages": messages, "tools": json.dumps(tool_schemas())})
    env._close()

    warm = train_on_dataset(
        datasets.Dataset.from_list(conversations),
        str(build_tiny_model(tmp_path / "tiny", seed=0)),
        SFTConfig(
            output_dir=str(tmp_path / "warm"),
            per_device_train_batch_size=2,
            max_steps=40,
            learning_rate=2e-2,
            lr_scheduler_type="constant",
            use_cpu=True,
            bf16=False,
            activation_checkpointing=False,
            save_strategy="no",
            report_to="none",
            seed=0,
        ),
    )
    config = MTSQLGRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        dialogue_ids=[item.dialogue_id],
        turns=[item.turn],
        env_kwargs={"schema_sample_rows": 0},
        data_dir="sample",
        split="train",
        reward_preset="outcome",
        max_steps_per_turn=4,
        num_generations=8,
        per_device_train_batch_size=8,
        max_completion_length=512,
        temperature=0.7,  # both proposals are sampled: reward spread within each group
        max_steps=16,
        learning_rate=1e-3,
        lr_scheduler_type="constant",
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        seed=0,
    )
    trainer = build_grpo_trainer(config, warm["output_dir"])
    trainer.train()
    logs = [entry for entry in trainer.state.log_history if "reward" in entry]
    rewards, steps = [e["reward"] for e in logs], [e["env/steps"] for e in logs]
    assert len(rewards) == config.max_steps
    assert trainer.mtsql_tally.answered > 0 and trainer.mtsql_tally.env_steps > 0
    # the start (half gold, half wrong, some botched calls) against the end; it can learn within 4 steps
    assert _mean(rewards[-4:]) > _mean(rewards[:2]) + 0.5, rewards
    assert _mean(steps[-4:]) > 2.25, steps  # the late episodes take the three steps to the answer
