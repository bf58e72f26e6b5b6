"""Learning with multi-turn credit assignment: the reward arrives only at the end of a 3-step episode.

Each episode is three two-choice questions in a row on the real env (`TwoChoiceEnv(steps=3)`): every
reply but the last earns 0, the last earns the sum of the three scores (EX + EM, 0 or 2 each). A random
tiny model rarely starts a reply with A or B, so the first replies' share of choices can only rise if
the trainer carries the final reward back to them.
"""

from __future__ import annotations

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
