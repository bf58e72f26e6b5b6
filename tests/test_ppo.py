"""The compact multi-turn PPO: config validation, GAE, end-to-end steps through the real env, and learning."""

from __future__ import annotations

import json

import pytest

from mtsql_trainers.ppo_config import PPOConfig

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("accelerate")


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    from mtsql_agents.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


def load(path, attn: str = "sdpa"):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(
        path, attn_implementation=attn
    ), AutoTokenizer.from_pretrained(path)


class TestPPOConfig:
    def test_defaults_are_valid_and_derive_values(self):
        config = PPOConfig()
        assert config.value_head_learning_rate == pytest.approx(10 * config.learning_rate)
        assert (
            config.steps_per_iteration
            == config.num_ppo_epochs * config.episodes_per_iteration // config.per_device_train_batch_size
        )

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"task": "chess"}, "task must be one of"),
            ({"episodes_per_iteration": 10, "per_device_train_batch_size": 4}, "not a multiple"),
            ({"temperature": 0.0}, "temperature must be > 0"),
            ({"cliprange": 1.5}, "cliprange must be in"),
            ({"kl_estimator": "k2"}, "kl_estimator"),
            ({"kl_coef": -0.1}, "kl_coef must be >= 0"),
            ({"gamma": 1.1}, "gamma and lam"),
            ({"lr_scheduler_type": "polynomial"}, "lr_scheduler_type"),
            ({"num_iterations": 0}, "num_iterations must be at least 1"),
        ],
    )
    def test_rejects_bad_values_with_the_fix(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            PPOConfig(**kwargs)

    def test_fields_have_help(self):
        from dataclasses import fields

        assert all(f.metadata.get("help") for f in fields(PPOConfig))


def test_gae_matches_a_hand_computation():
    """Agent tokens at 1, 2, 4 (env token at 3 is skipped); γ = 0.9, λ = 0.5."""
    from mtsql_trainers.ppo import compute_gae

    mask = torch.tensor([[0, 1, 1, 0, 1, 0]])
    rewards = torch.tensor([[9.0, 0.0, 1.0, 9.0, 2.0, 9.0]])  # 9s on env positions must be ignored
    values = torch.tensor([[5.0, 0.5, 0.2, 5.0, 0.4, 5.0]])
    advantages, returns = compute_gae(rewards, values, mask, gamma=0.9, lam=0.5)
    d4 = 2.0 - 0.4  # last agent token: next value 0
    d2 = 1.0 + 0.9 * 0.4 - 0.2
    d1 = 0.0 + 0.9 * 0.2 - 0.5
    a4, a2 = d4, d2 + 0.45 * d4
    a1 = d1 + 0.45 * a2
    assert advantages[0].tolist() == pytest.approx([0, a1, a2, 0, a4, 0])
    assert returns[0].tolist() == pytest.approx([0, a1 + 0.5, a2 + 0.2, 0, a4 + 0.4, 0])


class TestPPOTrainer:
    @pytest.fixture(autouse=True)
    def tmp_dir(self, tmp_path):
        self.tmp_dir = tmp_path

    def test_init_minimal(self, tiny_path):
        from mtsql_trainers.ppo import PPOTrainer

        model, tokenizer = load(tiny_path)
        args = PPOConfig(
            task="two_choice", data_dir="sample", num_envs=1, episodes_per_iteration=8, use_cpu=True
        )
        trainer = PPOTrainer(model, tokenizer, args)
        assert trainer.ref_model is None  # kl_coef = 0 builds no reference
        assert len(trainer.envs) == 1

    def test_train_two_steps_through_the_real_env(self, tiny_path):
        """The full env on the bundled data: the junk model makes format errors; PPO still runs and saves."""
        from transformers import AutoModelForCausalLM

        from mtsql_trainers.ppo import train_ppo

        model, tokenizer = load(tiny_path)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        config = PPOConfig(
            task="env",
            data_dir="sample",  # the bundled sample dataset
            split="train",
            env_mode="turn",  # one user turn per episode, gold history
            reward="process",  # dense process terms plus EX + EM
            max_steps_per_turn=2,  # two replies per episode: the mask has two model segments
            num_envs=2,  # both episodes generated in one batch
            episodes_per_iteration=2,
            per_device_train_batch_size=1,  # one episode per minibatch ...
            num_ppo_epochs=1,  # ... one epoch: 2 optimiser steps per iteration
            num_iterations=1,
            max_new_tokens=8,  # short junk replies
            learning_rate=1e-3,
            kl_coef=0.1,  # exercises the frozen reference model and the KL metric
            kl_estimator="k3",
            ent_coef=0.01,
            use_cpu=True,
            bf16=False,
            report_to="none",
            output_dir=str(self.tmp_dir / "out"),
            seed=0,
        )
        result = train_ppo(config, model, tokenizer)
        assert result.global_step == 2
        (metrics,) = result.history
        for key in (
            "reward_mean",
            "kl",
            "clipfrac",
            "value_loss",
            "policy_loss",
            "entropy",
            "ex",
            "em",
            "reward/format_penalty",
        ):
            assert key in metrics
        assert metrics["replies"] == 2.0
        assert metrics["kl"] == 0.0  # the reference equals the policy that sampled
        assert metrics["logprob_gap"] < 1e-4  # sampling saw the very sequence we train on
        changed = [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]
        assert changed, "no parameter changed"
        logged = [json.loads(line) for line in (result.output_dir / "metrics.jsonl").read_text().splitlines()]
        assert logged[0]["global_step"] == 2
        assert (result.output_dir / "value_head.pt").exists()
        reloaded = AutoModelForCausalLM.from_pretrained(result.output_dir)
        assert torch.equal(reloaded.lm_head.weight, model.lm_head.weight)

    @pytest.mark.slow
    def test_ppo_raises_two_choice_reward(self, tiny_path):
        """Learning, not just running: PPO lifts the env's mean reward (EX + EM) on the two-choice task."""
        from mtsql_trainers.ppo import train_ppo

        model, tokenizer = load(tiny_path, attn="eager")  # eager attention: faster backward on CPU
        config = PPOConfig(
            task="two_choice",
            data_dir="sample",
            split="train",
            num_envs=16,  # 16 one-step episodes per generate call
            episodes_per_iteration=16,
            per_device_train_batch_size=16,  # one minibatch ...
            num_ppo_epochs=2,  # ... two passes: 2 optimiser steps per iteration
            num_iterations=16,  # the reward rises from ~0.1 to ~1 by iteration 7 with seed 0
            max_new_tokens=1,  # the first token decides the choice
            learning_rate=3e-2,  # large: a random 45k-parameter model, few steps
            lr_scheduler_type="constant",
            use_cpu=True,
            bf16=False,
            report_to="none",
            save_model=False,
            output_dir=str(self.tmp_dir / "out"),
            seed=0,
        )
        result = train_ppo(config, model, tokenizer)
        rewards = result.metric("reward_mean")
        assert len(rewards) == 16
        first, last = sum(rewards[:4]) / 4, sum(rewards[-5:]) / 5
        # A random policy rarely starts with A or B (reward ~0.1); choosing at all is worth ~1 on average.
        assert last > first + 0.5, rewards
