"""Rollout token sequences: the loss mask covers exactly the model's own tokens, and env tokens get no gradient.

Runs a tiny random model (built here, no downloads) through the real environment on the bundled data,
records what the environment really sent (a recording wrapper, independent of the collector), and
rebuilds the expected ChatML text of every environment segment by hand.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import gymnasium as gym  # noqa: E402

import mtsql_env  # noqa: E402,F401  (registers the ids)
from mtsql_agents.backends.base import GenerationConfig  # noqa: E402
from mtsql_env.prompts import INSTRUCTIONS  # noqa: E402


class Recorder(gym.Wrapper):
    """Keeps every observation the environment returns, per episode."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.episodes: list[list[str]] = []

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.episodes.append([obs])
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.episodes[-1].append(obs)
        return obs, reward, terminated, truncated, info


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mtsql_agents.tiny import build_tiny_model

    path = build_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)
    return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)


@pytest.fixture(scope="module")
def collected(tiny):
    """Three real-env episodes (turn mode, up to 3 replies each) on two envs at once."""
    from mtsql_trainers.rollout import RolloutCollector

    model, tokenizer = tiny
    envs = [
        Recorder(
            gym.make("MTSQL-CoSQL-v0", data_dir="sample", split="train", mode="turn", max_steps_per_turn=3)
        )
        for _ in range(2)
    ]
    # 12 new tokens: replies get cut (then the template's <|im_end|> is env-side); a reply may end with its own
    collector = RolloutCollector(
        model, tokenizer, envs, generation_config=GenerationConfig(temperature=1.0, max_new_tokens=12), seed=3
    )
    rollouts = collector.collect([{"seed": s} for s in range(3)])
    return collector, rollouts, envs


def _segments(mask: list[int]) -> list[tuple[int, int, int]]:
    """Maximal runs of equal mask values: (value, start, end)."""
    runs, start = [], 0
    for i in range(1, len(mask) + 1):
        if i == len(mask) or mask[i] != mask[start]:
            runs.append((mask[start], start, i))
            start = i
    return runs


def _episode_observations(envs, rollout) -> list[str]:
    """The recorded observations of the episode behind ``rollout`` (matched by its first observation)."""
    first = rollout.messages[1]["content"]
    for env in envs:
        for episode in env.episodes:
            if episode[0].endswith(first) and len(episode) == len(rollout.reply_spans) + 1:
                return episode
    raise AssertionError("episode not recorded")


def test_masked_out_tokens_are_exactly_the_environment_text(collected):
    collector, rollouts, envs = collected
    tokenizer = collector.tokenizer
    eos = tokenizer.eos_token  # <|im_end|>
    assert len(rollouts) == 3
    for rollout in rollouts:
        observations = _episode_observations(envs, rollout)
        assert observations[0].startswith(INSTRUCTIONS)
        runs = _segments(rollout.action_mask)
        env_runs = [r for r in runs if r[0] == 0]
        model_runs = [(s, e) for v, s, e in runs if v == 1]
        assert model_runs == rollout.reply_spans  # one masked-in run per reply, nothing else
        assert len(env_runs) == len(model_runs)  # the sequence ends with the last reply
        for k, (_, start, end) in enumerate(env_runs):
            text = tokenizer.decode(rollout.input_ids[start:end], skip_special_tokens=False)
            if k == 0:  # system prompt, first observation (its instructions moved to the system message)
                rest = observations[0][len(INSTRUCTIONS) :].lstrip("\n")
                expected = (
                    f"<|im_start|>system\n{INSTRUCTIONS}<|im_end|>\n<|im_start|>user\n{rest}<|im_end|>\n"
                )
            else:  # close the previous reply unless the model did, then the env's feedback as a user message
                previous = rollout.replies[k - 1]
                closed_by_model = previous.token_ids[-1] == tokenizer.eos_token_id
                expected = (
                    "" if closed_by_model else eos
                ) + f"\n<|im_start|>user\n{observations[k]}<|im_end|>\n"
            assert text == expected + "<|im_start|>assistant\n"


def test_masked_in_tokens_are_exactly_the_sampled_replies(collected):
    collector, rollouts, _ = collected
    tokenizer = collector.tokenizer
    cut = own_end = 0
    for rollout in rollouts:
        replies = [m["content"] for m in rollout.messages if m["role"] == "assistant"]
        assert len(replies) == len(rollout.reply_spans) == len(rollout.replies)
        for (start, end), generation, content in zip(rollout.reply_spans, rollout.replies, replies):
            ids = rollout.input_ids[start:end]
            assert ids == generation.token_ids  # the sampled ids themselves, never re-tokenized text
            assert tokenizer.decode(ids, skip_special_tokens=True) == content
            assert rollout.logprobs[start:end] == pytest.approx(generation.logprobs)
            own_end += ids[-1] == tokenizer.eos_token_id
            cut += generation.truncated
        outside = [lp for lp, m in zip(rollout.logprobs, rollout.action_mask) if not m]
        assert set(outside) == {0.0}
    assert cut > 0  # cut replies occurred, so the template-closes-the-reply branch was checked
    assert own_end + cut == sum(len(r.reply_spans) for r in rollouts)


def test_rewards_sit_on_the_last_token_of_each_reply(collected):
    _, rollouts, _ = collected
    for rollout in rollouts:
        ends = {end - 1 for _, end in rollout.reply_spans}
        for position, reward in enumerate(rollout.rewards):
            if position not in ends:
                assert reward == 0.0
        assert [rollout.rewards[end - 1] for _, end in rollout.reply_spans] == rollout.step_rewards
        assert len(rollout.step_rewards) == len(rollout.reward_components)


def test_generation_was_conditioned_on_the_recorded_sequence(collected, tiny):
    """The sampler's log-probabilities equal a fresh forward pass over the recorded sequence."""
    from mtsql_trainers.ppo import token_logprobs

    model, _ = tiny
    collector, rollouts, _ = collected
    for rollout in rollouts:
        ids = torch.tensor([rollout.input_ids])
        with torch.no_grad():
            logprobs = token_logprobs(model(input_ids=ids).logits, ids)[0]
        mask = torch.tensor(rollout.action_mask, dtype=torch.bool)
        sampled = torch.tensor(rollout.logprobs)
        assert torch.allclose(logprobs[mask], sampled[mask], atol=1e-4)


def test_collate_pads_right_with_zero_masks(collected):
    from mtsql_trainers.rollout import collate_rollouts

    collector, rollouts, _ = collected
    pad = collector.tokenizer.pad_token_id
    batch = collate_rollouts(rollouts, pad)
    width = max(len(r) for r in rollouts)
    assert batch.input_ids.shape == batch.action_mask.shape == batch.rewards.shape == (3, width)
    for row, rollout in enumerate(rollouts):
        n = len(rollout)
        assert batch.input_ids[row, :n].tolist() == rollout.input_ids
        assert batch.attention_mask[row].sum() == n
        assert batch.action_mask[row, n:].sum() == 0 and (batch.input_ids[row, n:] == pad).all()


def _pg_loss(logits, input_ids, mask, advantages):
    from mtsql_trainers.ppo import policy_loss, token_logprobs

    logprobs = token_logprobs(logits, input_ids)
    return policy_loss(logprobs, logprobs.detach() - 0.05, advantages, mask, cliprange=0.2)[0]


def test_environment_positions_contribute_no_gradient(collected, tiny):
    """d loss / d logits is exactly 0 wherever the next token is environment text, and the loss and every
    parameter gradient are unchanged when the env-side *targets* are replaced by other tokens."""
    from mtsql_trainers.rollout import collate_rollouts

    model, _ = tiny
    collector, rollouts, _ = collected
    batch = collate_rollouts(rollouts, collector.tokenizer.pad_token_id)
    ids, mask = batch.input_ids, batch.action_mask
    gen = torch.Generator().manual_seed(0)
    advantages = torch.randn(ids.shape, generator=gen) * 5  # large on env positions too, on purpose
    model.zero_grad()
    logits = model(input_ids=ids, attention_mask=batch.attention_mask).logits
    logits.retain_grad()
    loss = _pg_loss(logits, ids, mask, advantages)
    loss.backward()
    grad = logits.grad.abs().sum(-1)  # [batch, length]: position p predicts token p + 1
    predicts_env = torch.nn.functional.pad(mask[:, 1:] == 0, (0, 1), value=True)
    assert grad[predicts_env].max().item() == 0.0
    assert (grad[~predicts_env] > 0).all()
    params = [p.grad.clone() for p in model.parameters()]

    # Replace every masked-out target (env, prompt, template and padding tokens) by another token.
    other = torch.where(mask.bool(), ids, (ids + 7) % logits.shape[-1])
    assert (other != ids).sum() > 1000
    model.zero_grad()
    logits2 = model(input_ids=ids, attention_mask=batch.attention_mask).logits  # same context
    loss2 = _pg_loss(logits2, other, mask, advantages)
    loss2.backward()
    assert loss2.item() == loss.item()
    for before, p in zip(params, model.parameters()):
        assert torch.equal(before, p.grad)

    # Negative control: with a mask that wrongly covers env tokens, the same check fails.
    wrong = mask.clone()
    wrong[:, 1:5] = 1
    logits3 = model(input_ids=ids).logits.detach().requires_grad_(True)
    _pg_loss(logits3, ids, wrong, advantages).backward()
    assert logits3.grad.abs().sum(-1)[predicts_env].max().item() > 0


def test_trainer_forward_matches_the_full_forward(collected, tiny):
    """`forward_batch` (logits only where agent tokens are) gives the same log-probs as the full pass."""
    from mtsql_trainers.ppo import forward_batch, token_logprobs
    from mtsql_trainers.rollout import collate_rollouts

    model, _ = tiny
    collector, rollouts, _ = collected
    batch = collate_rollouts(rollouts, collector.tokenizer.pad_token_id)
    with torch.no_grad():
        fast = forward_batch(model, None, batch)["logprobs"]
        full = token_logprobs(
            model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits, batch.input_ids
        )
    mask = batch.action_mask.bool()
    assert torch.allclose(fast[mask], full[mask], atol=1e-5)
    assert (fast[~mask] == 0).all()


def test_collector_refuses_stop_strings(tiny):
    from mtsql_trainers.rollout import RolloutCollector

    model, tokenizer = tiny
    env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", split="train", mode="turn")
    with pytest.raises(ValueError, match="stop strings"):
        RolloutCollector(
            model, tokenizer, [env], generation_config=GenerationConfig(temperature=1.0, stop=("</answer>",))
        )
