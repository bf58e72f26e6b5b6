"""A compact multi-turn PPO for mtsql: `PPOTrainer` and the `train_ppo(config, ...)` entry point.

## Why this exists
TRL removed its PPO trainer entirely in 2026 (huggingface/trl PR #7020, together with the value-head
model classes); TRL 1.16 has no PPO. This module is a small replacement built only on torch,
transformers and accelerate, shaped for agents that talk to an environment over several turns.

## The algorithm, per iteration
1. **Rollouts** (`mtsql_trainers.rollout.RolloutCollector`): ``episodes_per_iteration`` episodes on
   ``num_envs`` environments at once, each recorded as one token sequence with ``action_mask`` = 1 on
   the model's own sampled tokens only and the env's reward of each step on the last token of the reply
   that caused it.
2. **Old policy and values**: one no-grad forward of the policy (and of the frozen reference model when
   ``kl_coef > 0``) over the sequences. The old log-probabilities are recomputed here rather than taken
   from generation, so ratios start at exactly 1; the gap to the sampler's own log-probabilities is
   logged as ``logprob_gap``.
3. **Rewards per token**: env rewards, minus ``kl_coef × KL`` on every agent token (``k1`` or ``k3``
   estimator against the reference model), as old TRL did.
4. **GAE over agent tokens**: the agent tokens of an episode, in order, are the time steps (environment
   tokens between replies are part of the transition, not steps); ``γ`` and ``λ`` apply per agent
   token; the value after the last agent token is 0 when the episode ended, and the value head's
   estimate of the final state when a step or token limit cut it (truncation is not termination).
   Advantages are whitened over the batch's agent tokens.
5. **PPO epochs**: ``num_ppo_epochs`` passes over shuffled minibatches of episodes: clipped surrogate
   ``max(−A·r, −A·clip(r, 1±ε))`` and clipped value loss ``½·max((V−R)², (V_clip−R)²)``, both averaged
   over agent tokens only, optional entropy bonus; gradient accumulation, gradient clipping, AdamW with a
   linear/cosine/constant schedule.

Metrics are logged every iteration (``reward_mean``, each reward component, ``ex``, ``em``,
``format_error_rate``, ``kl``, ``clipfrac``, ``value_loss``, ``policy_loss``, ``entropy``,
``approx_kl``, timings) to the log, to ``<output_dir>/metrics.jsonl`` and to an accelerate tracker.

## The value head
A separate ``nn.Linear(hidden_size, 1)`` (`ValueHead`) reads the policy's last hidden state: one forward
pass gives logits and values, and memory stays at one model (plus the optional reference). The value
loss reaches the shared trunk, scaled by ``vf_coef`` (hence the small default). The head is a module of
its own (saved as ``value_head.pt``), not a patched model class, so any causal LM works unchanged.

## Differences from the old TRL ``PPOTrainer`` (v0.12–0.2x, ``trl.experimental.ppo``)
- **Multi-turn episodes**: a sample is a whole conversation with the environment (several replies and
  feedback messages), not one prompt and one completion.
- **Rewards come from the environment** (EX + EM, process terms, per reply), not from a reward model
  scoring the final text; rewards sit at the end of each reply, not only at the last token.
- **Token-level mask over environment text**: the surrogate, the value loss, the entropy, the KL and GAE
  all use only the model's own tokens; prompt, feedback and template tokens get no gradient.
- **Value head on the policy's trunk** instead of a separate value model initialised from the reward
  model (there is none).
- **No reward-model-specific tricks** (``missing_eos_penalty``, stop-token truncation of responses):
  the environment scores what the model wrote, format errors included.
- Rollouts use the same prompt and reply code as evaluation (`mtsql_agents.llm.LLMAgent`).

Several processes: launch with ``accelerate launch``; each process collects its own episodes from its own
shard of the data (every ``num_processes``-th episode; seeds offset by the process index) on its own
envs, and gradients are averaged by DDP. Tested with 2 CPU processes (gloo).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .ppo_config import PPOConfig

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .rollout import Rollout, RolloutBatch

logger = logging.getLogger(__name__)

__all__ = [
    "PPOResult",
    "PPOTrainer",
    "ValueHead",  # noqa: F822 - built on first use by the module __getattr__
    "compute_gae",
    "forward_batch",
    "masked_mean",
    "masked_whiten",
    "policy_loss",
    "token_logprobs",
    "train_ppo",
]


# --- Pure tensor helpers (each position i describes token i, predicted from tokens < i) ------------------


def token_logprobs(logits: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
    """``out[b, i] = log p(input_ids[b, i] | input_ids[b, :i])``; position 0 (nothing predicts it) is 0.

    Args:
        logits: ``[batch, length, vocab]`` from the model on ``input_ids``.
        input_ids: ``[batch, length]``.
    """
    import torch

    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    return torch.nn.functional.pad(logp, (1, 0))


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` where ``mask`` is 1 (0 when the mask is empty)."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1)


def masked_whiten(values: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Normalise ``values`` to mean 0, std 1 over the masked positions; other positions become 0."""
    mean = masked_mean(values, mask)
    var = masked_mean((values - mean) ** 2, mask)
    return (values - mean) * (var + eps).rsqrt() * mask.to(values.dtype)


def policy_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    action_mask: torch.Tensor,
    cliprange: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped surrogate over agent tokens only: (loss, fraction of agent tokens clipped).

    Positions with ``action_mask == 0`` are multiplied out before the mean, so they carry no gradient
    whatever their log-probabilities, advantages or targets are.
    """
    import torch

    ratio = (logprobs - old_logprobs).exp()
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1 - cliprange, 1 + cliprange)
    loss = masked_mean(torch.maximum(unclipped, clipped), action_mask)
    clipfrac = masked_mean((clipped > unclipped).float(), action_mask)
    return loss, clipfrac


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    action_mask: torch.Tensor,
    gamma: float,
    lam: float,
    bootstrap: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE over each row's agent tokens (see the module docstring): (advantages, returns), 0 elsewhere.

    Rewards on non-agent positions are ignored (the collector puts every env reward on an agent token).
    ``bootstrap[b]`` is the value after row b's last agent token: 0 for an episode that ended (the default),
    the value head's estimate for one cut by a step or token limit, whose future is not over.

    The agent tokens of every row are packed to the left of a ``[batch, steps]`` tensor and the backward
    recursion runs once per step over all rows at once: the same float operations as a per-token loop,
    in the same order, so the results are identical to it.

    Example:
        >>> import torch
        >>> mask = torch.tensor([[0, 1, 1, 0, 1]])
        >>> rewards = torch.tensor([[0.0, 0.0, 1.0, 0.0, 2.0]])
        >>> adv, ret = compute_gae(rewards, torch.zeros(1, 5), mask, gamma=1.0, lam=1.0)
        >>> ret.tolist()
        [[0.0, 3.0, 3.0, 0.0, 2.0]]
        >>> compute_gae(rewards, torch.zeros(1, 5), mask, 1.0, 1.0, bootstrap=torch.tensor([0.5]))[1].tolist()
        [[0.0, 3.5, 3.5, 0.0, 2.5]]
    """
    import torch

    agent = action_mask.bool()
    counts = agent.sum(1)
    rows, width = values.shape[0], int(counts.max()) if values.numel() else 0
    # position of each agent token among its row's agent tokens: its column in the packed tensors
    column = (agent.long().cumsum(1) - 1)[agent]
    row = agent.nonzero(as_tuple=True)[0]
    packed_r = torch.zeros(rows, width, dtype=torch.float32, device=values.device)
    packed_v = torch.zeros_like(packed_r)
    packed_r[row, column] = rewards[agent].float()
    packed_v[row, column] = values[agent].float()
    tail = (
        torch.zeros(rows, dtype=torch.float32, device=values.device)
        if bootstrap is None
        else bootstrap.float()
    )
    # the value after each step: the next agent token's, or the bootstrap after the last one
    next_v = torch.cat([packed_v[:, 1:], torch.zeros_like(packed_v[:, :1])], 1)
    is_last = torch.arange(width, device=values.device)[None, :] == (counts[:, None] - 1)
    next_v = torch.where(is_last, tail[:, None].expand_as(next_v), next_v)
    # zero past each row's end (no reward, no value), so the recursion below needs no mask there
    deltas = (packed_r + gamma * next_v - packed_v).T.contiguous().detach().cpu().numpy()
    packed_adv = np.zeros_like(deltas)
    last = np.zeros(rows, dtype=np.float32)
    for t in range(width - 1, -1, -1):  # one step over all rows at once (numpy: less overhead per call)
        last = deltas[t] + gamma * lam * last
        packed_adv[t] = last
    packed_adv = torch.from_numpy(packed_adv.T).to(values.device)
    advantages = torch.zeros_like(values, dtype=torch.float32)
    advantages[agent] = packed_adv[row, column]
    returns = (advantages + values.float()) * action_mask.float()
    return advantages, returns


# --- Modules ---------------------------------------------------------------------------------------------


def _value_head_class() -> type:
    from torch import nn

    class ValueHead(nn.Module):
        """V(state) from the policy's last hidden state: one linear layer."""

        def __init__(self, hidden_size: int) -> None:
            super().__init__()
            self.summary = nn.Linear(hidden_size, 1)
            nn.init.normal_(self.summary.weight, std=1.0 / math.sqrt(hidden_size + 1))
            nn.init.zeros_(self.summary.bias)

        def forward(self, hidden: torch.Tensor) -> torch.Tensor:
            return self.summary(hidden).squeeze(-1)

    return ValueHead


def __getattr__(name: str) -> Any:  # `ValueHead` needs torch; build the class on first use
    if name == "ValueHead":
        cls = _value_head_class()
        globals()["ValueHead"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def forward_batch(
    model: nn.Module, value_head: nn.Module | None, batch: RolloutBatch
) -> dict[str, torch.Tensor]:
    """Log-probabilities, entropies and values per token, computed only where agent tokens are.

    Logits are projected only at the positions that predict an agent token of some row
    (``logits_to_keep``), which is most of the cost saved on long prompts and feedback. Results are
    aligned like `token_logprobs` (``values[b, i]``: the value of the state before token i) and are 0
    at every other position. ``final_values[b]`` is the value of the state after row b's last token,
    what GAE bootstraps from when the episode was cut by a step or token limit.
    """
    import torch

    mask = batch.action_mask
    keep = mask[:, 1:].any(0).nonzero(as_tuple=True)[0]  # positions whose next token is an agent token
    out = model(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        output_hidden_states=value_head is not None,
        use_cache=False,
        logits_to_keep=keep,
    )
    logp = torch.log_softmax(out.logits.float(), dim=-1)  # [batch, kept, vocab]
    targets = batch.input_ids[:, keep + 1]
    shape = batch.input_ids.shape
    logprobs = torch.zeros(shape, dtype=logp.dtype, device=logp.device)
    entropy = torch.zeros(shape, dtype=logp.dtype, device=logp.device)
    logprobs[:, keep + 1] = logp.gather(-1, targets[..., None]).squeeze(-1)
    entropy[:, keep + 1] = -(logp.exp() * logp).sum(-1)
    result = {"logprobs": logprobs * mask, "entropy": entropy * mask}
    if value_head is not None:
        hidden = out.hidden_states[-1][:, keep]
        values = torch.zeros(shape, dtype=torch.float32, device=logp.device)
        values[:, keep + 1] = value_head(hidden.to(next(value_head.parameters()).dtype)).float()
        result["values"] = values * mask
        last = batch.attention_mask.sum(1) - 1  # rows are right-padded
        final_hidden = out.hidden_states[-1][torch.arange(shape[0], device=last.device), last]
        result["final_values"] = value_head(final_hidden.to(next(value_head.parameters()).dtype)).float()
    return result


# --- Trainer ---------------------------------------------------------------------------------------------


@dataclass
class PPOResult:
    """What `train_ppo` returns: the metrics of every iteration and where the model was saved."""

    history: list[dict[str, float]] = field(default_factory=list)
    output_dir: Path | None = None
    global_step: int = 0
    model_dir: Path | None = None  # where the model was saved (None with save_model=False)

    def metric(self, name: str) -> list[float]:
        """One metric over the iterations."""
        return [row[name] for row in self.history if name in row]

    def summary(self) -> dict[str, Any]:
        """What the run did, in the keys every trainer's result shares (`mtsql train` prints them)."""
        rewards, grads = self.metric("reward_mean"), self.metric("grad_norm")
        return {
            "optimizer_steps": self.global_step,
            "rollouts": int(sum(self.metric("episodes"))),
            "tool_calls": int(sum(self.metric("env_steps"))),  # every reply is parsed into one action
            "env_steps": int(sum(self.metric("env_steps"))),
            "answered": int(sum(self.metric("answered"))),
            "reward_first": rewards[0] if rewards else None,
            "reward_last": rewards[-1] if rewards else None,
            "grad_norm_mean": sum(grads) / len(grads) if grads else None,
            "model_dir": str(self.model_dir) if self.model_dir else None,
        }


class PPOTrainer:
    """Multi-turn PPO on mtsql environments (see the module docstring).

    Args:
        model: the policy, a causal LM (trained in place).
        tokenizer: its tokenizer (needs a chat template).
        args: the configuration; default ``PPOConfig()``.
        envs: environments to play on (default: built from ``args``: ``num_envs`` copies of ``args.env_id``, or
            of `TwoChoiceEnv` for ``task="two_choice"``).
        ref_model: the frozen reference for the KL penalty (default: a copy of ``model`` when ``kl_coef > 0``).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        args: PPOConfig | None = None,
        *,
        envs: list[Any] | None = None,
        ref_model: Any = None,
    ) -> None:
        import copy

        import torch
        from accelerate import Accelerator
        from transformers import get_scheduler

        from mtsql_agents.backends.base import GenerationConfig

        from .rollout import RolloutCollector

        self.args = args = args or PPOConfig()
        torch.manual_seed(args.seed)
        self.accelerator = Accelerator(
            cpu=args.use_cpu,
            mixed_precision="bf16" if args.bf16 else "no",
            log_with=None if args.report_to == "none" else args.report_to,
        )
        self.tokenizer = tokenizer
        self.value_head = _value_head_class()(model.config.hidden_size)
        params = [
            {"params": [p for p in model.parameters() if p.requires_grad], "lr": args.learning_rate},
            {"params": list(self.value_head.parameters()), "lr": args.value_head_learning_rate},
        ]
        optimizer = torch.optim.AdamW(params, weight_decay=args.weight_decay, eps=args.adam_epsilon)
        self.model, self.value_head, self.optimizer = self.accelerator.prepare(
            model, self.value_head, optimizer
        )
        self.scheduler = get_scheduler(
            args.lr_scheduler_type,
            self.optimizer,
            num_warmup_steps=args.warmup_steps,
            num_training_steps=args.total_steps,
        )
        if args.kl_coef > 0:
            ref = (
                ref_model
                if ref_model is not None
                else copy.deepcopy(self.accelerator.unwrap_model(self.model))
            )
            ref.requires_grad_(False)
            self.ref_model = ref.to(self.accelerator.device).eval()
        else:
            self.ref_model = None
        self.envs = envs if envs is not None else _make_envs(args)
        agent_kwargs: dict[str, Any] = {"few_shot": args.few_shot}
        system_prompt = args.system_prompt
        if system_prompt is None and args.task == "two_choice":
            from .tasks import TWO_CHOICE_SYSTEM_PROMPT

            system_prompt = TWO_CHOICE_SYSTEM_PROMPT
        if system_prompt is not None:
            agent_kwargs["system_prompt"] = system_prompt
        generation = GenerationConfig(
            temperature=args.temperature,
            top_p=args.top_p,
            top_k=args.top_k,
            max_new_tokens=args.max_new_tokens,
            logprobs=True,
        )
        self.collector = RolloutCollector(
            self.accelerator.unwrap_model(self.model),
            tokenizer,
            self.envs,
            generation_config=generation,
            max_episode_tokens=args.max_episode_tokens,
            agent_kwargs=agent_kwargs,
            seed=args.seed + 1000 * self.accelerator.process_index,
        )
        self._episode_rng = np.random.default_rng(args.seed + self.accelerator.process_index)
        self._perm_gen = torch.Generator().manual_seed(args.seed)
        pad = tokenizer.pad_token_id
        self.pad_token_id = pad if pad is not None else tokenizer.eos_token_id
        self.global_step = 0
        self.history: list[dict[str, float]] = []

    # --- the loop --------------------------------------------------------------------------------

    def train(self) -> PPOResult:
        """Run ``num_iterations`` PPO iterations; log, and save at the end when ``save_model``."""
        args = self.args
        out_dir = Path(args.output_dir)
        if self.accelerator.is_main_process:
            out_dir.mkdir(parents=True, exist_ok=True)
        if args.report_to != "none":
            self.accelerator.init_trackers(
                "mtsql-ppo", config={k: v for k, v in asdict(args).items() if _scalar(v)}
            )
        metrics_path = out_dir / "metrics.jsonl"
        for iteration in range(args.num_iterations):
            t0 = time.perf_counter()
            rollouts = self.collect()
            t1 = time.perf_counter()
            metrics = self.step(rollouts)
            metrics.update(iteration=iteration, rollout_s=t1 - t0, update_s=time.perf_counter() - t1)
            self.history.append(metrics)
            if iteration % args.logging_steps == 0 or iteration == args.num_iterations - 1:
                logger.info(
                    "ppo iteration %d step %d: reward %.3f kl %.4f clipfrac %.3f value_loss %.4f entropy %.3f",
                    iteration, self.global_step, metrics["reward_mean"], metrics["kl"], metrics["clipfrac"],
                    metrics["value_loss"], metrics["entropy"],
                )  # fmt: skip
                if self.accelerator.is_main_process:
                    with metrics_path.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(metrics) + "\n")
                if args.report_to != "none":
                    self.accelerator.log(metrics, step=self.global_step)
        model_dir = self.save(out_dir) if args.save_model else None
        if args.report_to != "none":
            self.accelerator.end_training()
        return PPOResult(
            history=self.history, output_dir=out_dir, global_step=self.global_step, model_dir=model_dir
        )

    def collect(self) -> list[Rollout]:
        """One rollout batch (the policy samples in eval mode, without gradients)."""
        self.model.eval()
        seeds = self._episode_rng.integers(2**31, size=self.args.episodes_per_iteration)
        return self.collector.collect([self._episode_spec(int(s)) for s in seeds])

    def _episode_spec(self, seed: int) -> dict[str, Any]:
        """``reset`` arguments of one episode. With several processes each plays only its own shard of the
        episodes (every ``num_processes``-th one, from its index), so no two processes train on the same one."""
        acc = self.accelerator
        if acc.num_processes == 1:
            return {"seed": seed}  # the env draws the episode
        env = self.envs[0]
        items = getattr(env, "items", None)  # `TwoChoiceEnv`
        count, key = (len(items), "item") if items is not None else (env.unwrapped.num_episodes, "index")
        shard = range(acc.process_index, count, acc.num_processes)
        if not shard:
            raise ValueError(f"{count} episodes cannot be shared among {acc.num_processes} processes")
        return {"seed": seed, "options": {key: shard[seed % len(shard)]}}

    def step(self, rollouts: list[Rollout]) -> dict[str, float]:
        """One PPO update on a rollout batch; returns the iteration's metrics."""
        import torch

        from .rollout import collate_rollouts

        args, acc = self.args, self.accelerator
        batch = collate_rollouts(rollouts, self.pad_token_id).to(acc.device)
        mask = batch.action_mask
        with torch.no_grad(), acc.autocast():
            self.model.eval()
            old = forward_batch(self.model, self.value_head, batch)
            old_logprobs, old_values = old["logprobs"] * mask, old["values"] * mask
            # an episode cut by a step or token limit is not over: bootstrap its future from the value head
            cut = torch.tensor([r.truncated and not r.terminated for r in rollouts], device=acc.device)
            bootstrap = torch.where(cut, old["final_values"], 0.0)
            kl = torch.zeros_like(old_logprobs)
            if self.ref_model is not None:
                ref_logprobs = forward_batch(self.ref_model, None, batch)["logprobs"]
                log_ratio = (old_logprobs - ref_logprobs) * mask
                kl = log_ratio if args.kl_estimator == "k1" else (torch.exp(-log_ratio) - 1 + log_ratio)
                kl = kl * mask
            del old
        env_rewards = batch.rewards
        if args.whiten_rewards:
            env_rewards = env_rewards / (masked_mean(env_rewards**2, mask).sqrt() + 1e-8)
        rewards = env_rewards - args.kl_coef * kl
        advantages, returns = compute_gae(rewards, old_values, mask, args.gamma, args.lam, bootstrap)
        if args.whiten_advantages:
            advantages = masked_whiten(advantages, mask)

        stats: dict[str, list[float]] = {
            k: []
            for k in (
                "policy_loss",
                "value_loss",
                "entropy",
                "clipfrac",
                "approx_kl",
                "value_clipfrac",
                "grad_norm",
            )
        }
        chunk = args.per_device_train_batch_size
        self.model.train()
        for _ in range(args.num_ppo_epochs):
            order = torch.randperm(len(rollouts), generator=self._perm_gen)
            for k, start in enumerate(range(0, len(rollouts), chunk)):
                idx = order[start : start + chunk].to(acc.device)
                mb = _select(batch, idx)
                width = mb.input_ids.shape[1]
                mb_mask, mb_old_logprobs, old_v = (
                    mb.action_mask,
                    old_logprobs[idx, :width],
                    old_values[idx, :width],
                )
                mb_advantages, mb_returns = advantages[idx, :width], returns[idx, :width]
                with acc.autocast():
                    new = forward_batch(self.model, self.value_head, mb)
                pg_loss, clipfrac = policy_loss(
                    new["logprobs"], mb_old_logprobs, mb_advantages, mb_mask, args.cliprange
                )
                values = new["values"]
                v_loss_raw = (values - mb_returns) ** 2
                if args.cliprange_value > 0:
                    v_clipped = old_v + (values - old_v).clamp(-args.cliprange_value, args.cliprange_value)
                    v_loss_clip = (v_clipped - mb_returns) ** 2
                    v_loss = 0.5 * masked_mean(torch.maximum(v_loss_raw, v_loss_clip), mb_mask)
                    stats["value_clipfrac"].append(
                        float(masked_mean((v_loss_clip > v_loss_raw).float(), mb_mask))
                    )
                else:
                    v_loss = 0.5 * masked_mean(v_loss_raw, mb_mask)
                entropy = masked_mean(new["entropy"], mb_mask)
                loss = pg_loss + args.vf_coef * v_loss - args.ent_coef * entropy
                acc.backward(loss / args.gradient_accumulation_steps)
                if (k + 1) % args.gradient_accumulation_steps == 0:
                    params = list(self.model.parameters()) + list(self.value_head.parameters())
                    # the norm before clipping (inf: no clipping, norm only)
                    norm = acc.clip_grad_norm_(
                        params, args.max_grad_norm if args.max_grad_norm > 0 else float("inf")
                    )
                    stats["grad_norm"].append(float(norm))
                    self.optimizer.step()
                    self.scheduler.step()
                    self.optimizer.zero_grad(set_to_none=True)
                    self.global_step += 1
                with torch.no_grad():
                    log_ratio = (new["logprobs"] - mb_old_logprobs) * mb_mask
                    stats["approx_kl"].append(float(masked_mean(0.5 * log_ratio**2, mb_mask)))
                stats["policy_loss"].append(float(pg_loss.detach()))
                stats["value_loss"].append(float(v_loss.detach()))
                stats["entropy"].append(float(entropy.detach()))
                stats["clipfrac"].append(float(clipfrac))
        self.model.eval()
        metrics = {k: float(np.mean(v)) if v else 0.0 for k, v in stats.items()}
        metrics.update(_rollout_metrics(rollouts))
        metrics["kl"] = float(masked_mean(kl, mask))
        metrics["advantage_abs"] = float(masked_mean(advantages.abs(), mask))
        metrics["value_mean"] = float(masked_mean(old_values, mask))
        metrics["bootstrapped_rate"] = float(cut.float().mean())
        sampled = batch.logprobs
        metrics["logprob_gap"] = float(masked_mean((sampled - old_logprobs).abs(), mask))
        metrics["lr"] = float(self.scheduler.get_last_lr()[0])
        metrics["global_step"] = self.global_step
        return metrics

    def save(self, output_dir: str | Path) -> Path:
        """Save the policy and tokenizer (``save_pretrained``) and the value head (``value_head.pt``)."""
        import torch

        output_dir = Path(output_dir)
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            output_dir.mkdir(parents=True, exist_ok=True)
            self.accelerator.unwrap_model(self.model).save_pretrained(output_dir)
            self.tokenizer.save_pretrained(output_dir)
            torch.save(
                self.accelerator.unwrap_model(self.value_head).state_dict(), output_dir / "value_head.pt"
            )
            (output_dir / "ppo_config.json").write_text(
                json.dumps(
                    {k: v for k, v in asdict(self.args).items() if _scalar(v) or isinstance(v, dict)},
                    indent=2,
                )
            )
            logger.info("PPO model saved to %s", output_dir)
        return output_dir


def _select(batch: RolloutBatch, idx: torch.Tensor) -> RolloutBatch:
    from .rollout import RolloutBatch

    width = int(batch.attention_mask[idx].sum(-1).max())  # drop columns that are padding for all rows
    return RolloutBatch(
        batch.input_ids[idx, :width],
        batch.attention_mask[idx, :width],
        batch.action_mask[idx, :width],
        batch.logprobs[idx, :width],
        batch.rewards[idx, :width],
        [batch.rollouts[int(i)] for i in idx],
    )


def _rollout_metrics(rollouts: list[Rollout]) -> dict[str, float]:
    """Reward mean, per-component sums, EX/EM of answered turns, format errors, lengths."""
    metrics: dict[str, float] = {
        "reward_mean": float(np.mean([r.total_reward for r in rollouts])),
        "reward_std": float(np.std([r.total_reward for r in rollouts])),
        "episode_tokens": float(np.mean([len(r) for r in rollouts])),
        "generated_tokens": float(np.mean([r.num_generated_tokens for r in rollouts])),
        "replies": float(np.mean([len(r.reply_spans) for r in rollouts])),
        "truncated_rate": float(np.mean([r.truncated for r in rollouts])),
    }
    components: dict[str, list[float]] = {}
    for r in rollouts:
        totals: dict[str, float] = {}
        for step in r.reward_components:
            for name, value in step.items():
                totals[name] = totals.get(name, 0.0) + float(value)
        for name, value in totals.items():
            components.setdefault(name, []).append(value)
    metrics.update({f"reward/{name}": float(np.mean(v)) for name, v in components.items()})
    turns = [t for r in rollouts for t in r.turn_results]
    metrics["episodes"] = float(len(rollouts))
    metrics["env_steps"] = float(sum(len(r.step_rewards) for r in rollouts))
    metrics["answered"] = float(len(turns))
    metrics["ex"] = float(np.mean([bool(t.get("exec")) for t in turns])) if turns else 0.0
    metrics["em"] = float(np.mean([bool(t.get("exact")) for t in turns])) if turns else 0.0
    metrics["answered_rate"] = len(turns) / max(len(rollouts), 1)
    return metrics


def _scalar(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool)) or value is None


def _make_envs(args: PPOConfig) -> list[Any]:
    if args.task == "two_choice":
        from .tasks import TwoChoiceEnv, two_choice_dataset

        items = two_choice_dataset(args.split, data_dir=args.data_dir or "sample", seed=args.seed)
        return [
            TwoChoiceEnv(items, data_dir=args.data_dir or "sample", split=args.split)
            for _ in range(args.num_envs)
        ]
    import gymnasium as gym

    import mtsql_env  # noqa: F401  (registers the ids)

    kwargs = {
        "split": args.split,
        "mode": args.env_mode,
        "reward": args.reward,
        "max_steps_per_turn": args.max_steps_per_turn,
        **args.env_kwargs,
    }
    if args.data_dir is not None:
        kwargs["data_dir"] = args.data_dir
    return [gym.make(args.env_id, **kwargs) for _ in range(args.num_envs)]


def train_ppo(
    config: PPOConfig, model: Any = None, tokenizer: Any = None, **trainer_kwargs: Any
) -> PPOResult:
    """Train with PPO: load ``config.model_name_or_path`` unless ``model``/``tokenizer`` are given.

    Returns:
        `PPOResult` (metrics per iteration, the output folder, optimiser steps taken).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if model is None:
        if config.model_name_or_path is None:
            raise ValueError("give a model or set PPOConfig.model_name_or_path")
        model = AutoModelForCausalLM.from_pretrained(config.model_name_or_path, dtype="auto")
    if tokenizer is None:
        source = config.model_name_or_path or getattr(model, "name_or_path", None)
        if not source:
            raise ValueError("give a tokenizer: the model does not say where it was loaded from")
        tokenizer = AutoTokenizer.from_pretrained(source)
    return PPOTrainer(model, tokenizer, config, **trainer_kwargs).train()
