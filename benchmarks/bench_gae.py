"""PPO's GAE: the per-token Python loop it replaced vs `mtsql_trainers.ppo.compute_gae` (vectorized).

The batch has the shape of a real multi-turn rollout batch: 16 episodes of about 3,800 tokens, where the
model's replies (agent tokens, about 2,070 per episode, about 33k in all) alternate with environment feedback,
and rewards sit on the last token of each reply. Both must give identical advantages and returns.

    python benchmarks/bench_gae.py [--episodes 16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import torch

from mtsql_trainers.ppo import compute_gae


def loop_gae(rewards, values, action_mask, gamma, lam):
    """The previous implementation: one Python iteration per agent token."""
    advantages = torch.zeros_like(values, dtype=torch.float32)
    for row in range(values.shape[0]):
        idx = action_mask[row].nonzero(as_tuple=True)[0]
        r, v = rewards[row, idx].float(), values[row, idx].float()
        out, last = torch.zeros_like(v), 0.0
        for t in range(idx.numel() - 1, -1, -1):
            next_value = v[t + 1] if t + 1 < idx.numel() else 0.0
            last = r[t] + gamma * next_value - v[t] + gamma * lam * last
            out[t] = last
        advantages[row, idx] = out
    return advantages, (advantages + values.float()) * action_mask.float()


def rollout_batch(episodes: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rewards, values and agent-token mask of ``episodes`` episodes: replies of 60-140 tokens between
    feedback messages of 40-100 tokens, right-padded to the longest episode."""
    gen = torch.Generator().manual_seed(seed)
    masks = []
    for _ in range(episodes):
        pieces = [torch.zeros(300)]  # the prompt
        while sum(p.numel() for p in pieces) < 3750:
            pieces.append(torch.ones(int(torch.randint(60, 141, (1,), generator=gen))))
            pieces.append(torch.zeros(int(torch.randint(40, 101, (1,), generator=gen))))
        masks.append(torch.cat(pieces))
    width = max(m.numel() for m in masks)
    mask = torch.stack([torch.nn.functional.pad(m, (0, width - m.numel())) for m in masks]).long()
    ends = (mask[:, :-1] == 1) & (mask[:, 1:] == 0)  # last token of each reply
    rewards = torch.zeros(mask.shape)
    rewards[:, :-1][ends] = torch.rand(int(ends.sum()), generator=gen)
    values = torch.randn(mask.shape, generator=gen) * mask
    return rewards, values, mask


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rewards, values, mask = rollout_batch(args.episodes)
    print(f"batch: {args.episodes} episodes x {mask.shape[1]} tokens, {int(mask.sum())} agent tokens")
    old = loop_gae(rewards, values, mask, 0.99, 0.95)
    new = compute_gae(rewards, values, mask, 0.99, 0.95)
    same = torch.equal(old[0], new[0]) and torch.equal(old[1], new[1])
    print(f"identical advantages and returns: {same}")
    t_old = best_of(lambda: loop_gae(rewards, values, mask, 0.99, 0.95), args.repeats)
    t_new = best_of(lambda: compute_gae(rewards, values, mask, 0.99, 0.95), args.repeats)
    print(f"old (per-token loop): {t_old * 1000:9.1f} ms")
    print(f"new (vectorized):     {t_new * 1000:9.1f} ms")
    print(f"speed-up: {t_old / t_new:.0f}x (best of {args.repeats})")


if __name__ == "__main__":
    main()
