"""PPO's GAE: the vectorized `compute_gae` equals the per-token loop it replaced, and truncation bootstraps."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from mtsql_trainers.ppo import compute_gae


def reference_gae(rewards, values, action_mask, gamma, lam, bootstrap=None):
    """The previous implementation (one Python iteration per agent token), with the bootstrap added."""
    advantages = torch.zeros_like(values, dtype=torch.float32)
    for row in range(values.shape[0]):
        idx = action_mask[row].nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            continue
        r, v = rewards[row, idx].float(), values[row, idx].float()
        out, last = torch.zeros_like(v), 0.0
        for t in range(idx.numel() - 1, -1, -1):
            if t + 1 < idx.numel():
                next_value = v[t + 1]
            else:
                next_value = 0.0 if bootstrap is None else bootstrap[row].float()
            delta = r[t] + gamma * next_value - v[t]
            last = delta + gamma * lam * last
            out[t] = last
        advantages[row, idx] = out
    return advantages, (advantages + values.float()) * action_mask.float()


def random_batch(seed: int, rows: int = 6, width: int = 300):
    gen = torch.Generator().manual_seed(seed)
    mask = (torch.rand(rows, width, generator=gen) < 0.6).long()
    mask[0] = 0  # a row without agent tokens
    mask[1, :] = 0
    mask[1, width // 2] = 1  # a row with a single agent token
    rewards = torch.randn(rows, width, generator=gen)  # on env positions too: must be ignored
    values = torch.randn(rows, width, generator=gen)
    return rewards, values, mask


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("gamma", "lam"), [(1.0, 1.0), (0.99, 0.95), (0.9, 0.5), (0.0, 0.7)])
def test_vectorized_gae_equals_the_loop_exactly(seed, gamma, lam):
    rewards, values, mask = random_batch(seed)
    advantages, returns = compute_gae(rewards, values, mask, gamma, lam)
    ref_advantages, ref_returns = reference_gae(rewards, values, mask, gamma, lam)
    assert torch.equal(advantages, ref_advantages)
    assert torch.equal(returns, ref_returns)
    assert torch.equal(advantages[mask == 0], torch.zeros(int((mask == 0).sum())))


@pytest.mark.parametrize("seed", range(3))
def test_bootstrapped_gae_equals_the_loop_exactly(seed):
    rewards, values, mask = random_batch(seed)
    bootstrap = torch.randn(mask.shape[0], generator=torch.Generator().manual_seed(seed))
    got = compute_gae(rewards, values, mask, 0.99, 0.95, bootstrap)
    want = reference_gae(rewards, values, mask, 0.99, 0.95, bootstrap)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_truncation_adds_the_discounted_bootstrap_to_every_agent_token():
    """Agent tokens at 1, 2, 4; the bootstrap B enters the last delta as γB and reaches earlier tokens via γλ."""
    mask = torch.tensor([[0, 1, 1, 0, 1], [0, 1, 1, 0, 1]])
    rewards = torch.tensor([[0.0, 0.0, 1.0, 0.0, 2.0]] * 2)
    values = torch.tensor([[0.0, 0.5, 0.2, 0.0, 0.4]] * 2)
    ended, cut = compute_gae(rewards, values, mask, 0.9, 0.5, torch.tensor([0.0, 3.0]))[0]
    gap = 0.9 * 3.0
    assert (cut - ended).tolist() == pytest.approx([0, gap * 0.45**2, gap * 0.45, 0, gap])


def test_ppo_bootstraps_episodes_cut_by_the_step_limit(tmp_path):
    """Through the trainer: episodes truncated at max_steps_per_turn get the value head's final-state
    value as their bootstrap (the step metrics say so), and `forward_batch` computes it at the last token."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mtsql_agents.tiny import build_tiny_model
    from mtsql_trainers.ppo import PPOTrainer, forward_batch
    from mtsql_trainers.ppo_config import PPOConfig
    from mtsql_trainers.rollout import collate_rollouts

    path = build_tiny_model(tmp_path / "tiny")
    model, tokenizer = AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    config = PPOConfig(
        task="env",
        data_dir="sample",
        split="train",
        env_mode="turn",
        max_steps_per_turn=1,  # the junk model never answers in one step: every episode is truncated
        num_envs=2,
        episodes_per_iteration=2,
        per_device_train_batch_size=2,
        max_new_tokens=4,
        use_cpu=True,
        bf16=False,
        report_to="none",
        output_dir=str(tmp_path / "out"),
        seed=0,
    )
    trainer = PPOTrainer(model, tokenizer, config)
    rollouts = trainer.collect()
    assert all(r.truncated and not r.terminated for r in rollouts)
    batch = collate_rollouts(rollouts, trainer.pad_token_id)
    with torch.no_grad():
        out = forward_batch(trainer.model, trainer.value_head, batch)
        last = batch.attention_mask.sum(1) - 1
        hidden = trainer.model(
            input_ids=batch.input_ids, attention_mask=batch.attention_mask, output_hidden_states=True
        )
        final = hidden.hidden_states[-1][torch.arange(2), last]
        assert torch.allclose(out["final_values"], trainer.value_head(final), atol=1e-6)
    metrics = trainer.step(rollouts)
    assert metrics["bootstrapped_rate"] == 1.0
