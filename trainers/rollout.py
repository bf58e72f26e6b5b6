"""Multi-turn rollouts as token sequences with a loss mask, for policy-gradient trainers.

`RolloutCollector` plays episodes of any mtsql environment (turn or dialogue mode, or a wrapper such as
`mtsql_trainers.tasks.TwoChoiceEnv`) with a local causal LM, several environments at once, and records
each episode as **one token sequence**: the chat-templated conversation exactly as the model saw it.

## How the sequence is built (and why it is exact)
The agent is `mtsql_agents.llm.LLMAgent`: the same messages (system prompt, first observation, replies,
feedback as ``user`` messages) and the same reply policy as evaluation runs. Its backend is
`TrackingBackend`, a `TransformersBackend` whose ``encode`` does not re-tokenize the conversation but
extends the episode's own token list:

- first prompt: the rendered chat template of the initial messages (with the generation prompt),
  tokenized once (``action_mask`` 0);
- each reply: the sampled token ids exactly as generated, including the end-of-turn token when the model
  produced it (``action_mask`` 1, with their log-probabilities);
- between replies: the text the chat template adds after the reply (end-of-message scaffolding,
  the environment's feedback message, the next generation prompt), obtained as the difference between
  the newly rendered conversation and the text rendered so far, tokenized on its own (``action_mask`` 0).
  When the reply already ended with the template's end-of-message token, that token is the model's, and
  the template's copy is dropped so it is not counted twice. A reply cut at ``max_new_tokens`` has no
  end token of its own: the template's closing token is then environment-side text (mask 0).

Generation for the next reply is conditioned on this very list (``encode`` returns it), so the sampled
tokens, their log-probabilities and the training sequence agree token for token; nothing the model
wrote is ever re-tokenized. This needs a chat template that renders earlier messages verbatim (each
rendering of a longer conversation starts with the previous rendering); templates that rewrite history
(e.g. dropping earlier ``<think>`` blocks) are rejected with a clear error.

## Rewards
The environment's reward of each step (dense: every component arrives at the step where it arises) is
placed on the **last token of the reply** that caused it; all other positions get 0. ``step_rewards``,
``reward_components`` (per step) and ``turn_results`` keep the structured record.

## Limits
``GenerationConfig.stop`` strings are refused (the reply text would then differ from its sampled tokens).
An episode ends when the environment terminates or truncates it, after ``max_steps`` replies, or when the
next prompt would pass ``max_episode_tokens`` (``truncation_reason`` says which).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mtsql_agents.backends.base import Conversation, Generation, GenerationConfig
from mtsql_agents.backends.transformers_backend import TransformersBackend
from mtsql_agents.llm import LLMAgent
from mtsql_env.info import agent_info
from mtsql_env.parallel import EnvStepPool

if TYPE_CHECKING:
    import gymnasium as gym
    import torch

logger = logging.getLogger(__name__)

__all__ = [
    "Rollout",
    "RolloutBatch",
    "RolloutCollector",
    "RolloutStats",
    "TrackingBackend",
    "collate_rollouts",
]


@dataclass
class Rollout:
    """One episode as a token sequence (plain lists; `collate_rollouts` makes tensors).

    ``input_ids``, ``action_mask``, ``logprobs`` and ``rewards`` have one entry per token.
    ``logprobs`` holds the sampling log-probability on action tokens (0.0 elsewhere), or is None when the
    backend gave none. ``reply_spans[k]`` is the ``[start, end)`` token range of the k-th reply.
    """

    input_ids: list[int]
    action_mask: list[int]
    logprobs: list[float] | None
    rewards: list[float]
    reply_spans: list[tuple[int, int]]
    step_rewards: list[float]
    reward_components: list[dict[str, float]]
    turn_results: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    terminated: bool
    truncated: bool
    truncation_reason: str | None = None
    episode: dict[str, Any] = field(default_factory=dict)  # reset kwargs and the episode's ids
    replies: list[Generation] = field(default_factory=list)

    @property
    def total_reward(self) -> float:
        """Sum of the episode's step rewards."""
        return float(sum(self.step_rewards))

    @property
    def num_generated_tokens(self) -> int:
        """Tokens the model sampled in this episode."""
        return int(sum(self.action_mask))

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class RolloutBatch:
    """Right-padded tensors of several rollouts (shape ``[batch, length]``), plus the rollouts."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    action_mask: torch.Tensor
    logprobs: torch.Tensor  # 0 where unknown or not an action token
    rewards: torch.Tensor
    rollouts: list[Rollout]

    def to(self, device: Any) -> RolloutBatch:
        """The same batch on ``device``."""
        return RolloutBatch(
            self.input_ids.to(device),
            self.attention_mask.to(device),
            self.action_mask.to(device),
            self.logprobs.to(device),
            self.rewards.to(device),
            self.rollouts,
        )


def collate_rollouts(rollouts: Sequence[Rollout], pad_token_id: int) -> RolloutBatch:
    """Stack rollouts into right-padded tensors (padding: ``pad_token_id``, masks 0, floats 0)."""
    import torch

    if not rollouts:
        raise ValueError("collate_rollouts needs at least one rollout")
    width = max(len(r) for r in rollouts)
    size = (len(rollouts), width)
    input_ids = torch.full(size, pad_token_id, dtype=torch.long)
    attention_mask = torch.zeros(size, dtype=torch.long)
    action_mask = torch.zeros(size, dtype=torch.long)
    logprobs = torch.zeros(size, dtype=torch.float32)
    rewards = torch.zeros(size, dtype=torch.float32)
    for row, rollout in enumerate(rollouts):
        n = len(rollout)
        input_ids[row, :n] = torch.tensor(rollout.input_ids, dtype=torch.long)
        attention_mask[row, :n] = 1
        action_mask[row, :n] = torch.tensor(rollout.action_mask, dtype=torch.long)
        if rollout.logprobs is not None:
            logprobs[row, :n] = torch.tensor(rollout.logprobs, dtype=torch.float32)
        rewards[row, :n] = torch.tensor(rollout.rewards, dtype=torch.float32)
    return RolloutBatch(input_ids, attention_mask, action_mask, logprobs, rewards, list(rollouts))


@dataclass
class _Track:
    """The token record of one episode in progress."""

    ids: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    logprobs: list[float | None] = field(default_factory=list)
    rendered: str = ""  # the chat-template text that ``ids`` stands for
    end_token_text: str | None = None  # text of the reply's own end token, when it produced one
    spans: list[tuple[int, int]] = field(default_factory=list)

    def extend(self, ids: Sequence[int], *, action: bool, logprobs: Sequence[float] | None = None) -> None:
        self.ids += ids
        self.mask += [1 if action else 0] * len(ids)
        self.logprobs += list(logprobs) if logprobs is not None else [None] * len(ids)


class TrackingBackend(TransformersBackend):
    """A `TransformersBackend` whose prompts are each episode's own token list (see the module docstring).

    `RolloutCollector` announces the order of the next batch with `expect(slots)`; each ``encode`` call
    (one per conversation, in batch order) then extends that slot's track with the new template text and
    returns the whole list. Without an announcement it behaves like `TransformersBackend`.
    """

    name = "transformers-tracking"

    def __init__(self, model: Any, tokenizer: Any, **kwargs: Any) -> None:
        super().__init__(model, tokenizer, **kwargs)
        self.tracks: dict[int, _Track] = {}
        self._expected: deque[int] = deque()

    def start(self, slot: int) -> None:
        """Begin a new episode on ``slot``."""
        self.tracks[slot] = _Track()

    def expect(self, slots: Sequence[int]) -> None:
        """The slots of the conversations the next `generate` call receives, in order."""
        self._expected = deque(slots)

    def encode(
        self, conversation: Conversation, *, tools: Sequence[dict[str, Any]] | None = None
    ) -> list[int]:
        if not self._expected:
            return super().encode(conversation, tools=tools)
        track = self.tracks[self._expected.popleft()]
        text = self.render(conversation, tools=tools)
        if not text.startswith(track.rendered):
            raise ValueError(
                "the chat template re-renders earlier messages differently (e.g. it drops past <think> blocks or "
                "strips content), so the episode cannot be kept as one token sequence; use a template that renders "
                "history verbatim"
            )
        delta = text[len(track.rendered) :]
        if track.end_token_text and delta.startswith(track.end_token_text):
            delta = delta[len(track.end_token_text) :]  # the model wrote that end token itself
        track.end_token_text = None
        track.extend(self.tokenizer(delta, add_special_tokens=False)["input_ids"], action=False)
        track.rendered = text
        return list(track.ids)

    def record_reply(self, slot: int, generation: Generation) -> tuple[int, int]:
        """Append a sampled reply to ``slot``'s track; returns its token span."""
        track = self.tracks[slot]
        ids = list(generation.token_ids or [])
        if not ids:
            raise RuntimeError("the backend returned no token ids for a reply")
        start = len(track.ids)
        track.extend(ids, action=True, logprobs=generation.logprobs)
        track.rendered += generation.text
        if ids[-1] in self.eos_token_ids:
            track.end_token_text = self.tokenizer.decode([ids[-1]], skip_special_tokens=False)
        span = (start, len(track.ids))
        track.spans.append(span)
        return span


@dataclass
class RolloutStats:
    """Counters of a collector's work (for throughput numbers)."""

    episodes: int = 0
    env_steps: int = 0
    generated_tokens: int = 0
    generate_calls: int = 0
    generate_s: float = 0.0
    env_s: float = 0.0
    wall_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The counters plus rates (steps/s and tokens/s over wall time, generation time, env time)."""
        out = dict(vars(self))
        out["env_steps_per_s"] = self.env_steps / self.wall_s if self.wall_s else 0.0
        out["tokens_per_s"] = self.generated_tokens / self.wall_s if self.wall_s else 0.0
        out["generate_tokens_per_s"] = self.generated_tokens / self.generate_s if self.generate_s else 0.0
        out["env_only_steps_per_s"] = self.env_steps / self.env_s if self.env_s else 0.0
        return out


class RolloutCollector:
    """Play episodes on several environments at once and record them as `Rollout`s.

    Args:
        model: a causal LM (kept where it is; the collector only samples from it).
        tokenizer: its tokenizer, with a chat template.
        envs: environments to play on in parallel (one episode each at a time; any mtsql env or wrapper).
        generation_config: sampling settings; ``logprobs`` is switched on, ``stop`` must be empty.
        max_steps: most replies per episode (None: only the environment ends episodes).
        max_episode_tokens: an episode ends (truncated) when its next prompt plus ``max_new_tokens`` would
            pass this length.
        agent_kwargs: passed to `LLMAgent` (``system_prompt``, ``few_shot``); the agent's prompt and reply
            code is the one evaluation uses.
        seed: with sampling, each generation call gets the next seed of a generator seeded with this, so a
            run is reproducible and successive calls draw different samples (None: the config's own seed).
        step_pool: steps a batch's envs in threads (default: a new `mtsql_env.parallel.EnvStepPool`).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        envs: Sequence[gym.Env],
        *,
        generation_config: GenerationConfig | None = None,
        max_steps: int | None = None,
        max_episode_tokens: int = 8192,
        agent_kwargs: dict[str, Any] | None = None,
        seed: int | None = 0,
        step_pool: EnvStepPool | None = None,
    ) -> None:
        if not envs:
            raise ValueError("RolloutCollector needs at least one environment")
        config = generation_config or GenerationConfig(temperature=1.0, max_new_tokens=256)
        if config.stop:
            raise ValueError(
                "stop strings are not supported in rollouts: the reply text would differ from its tokens"
            )
        if config.n != 1:
            raise ValueError(f"one reply per step: set generation_config.n=1, not {config.n}")
        if not config.logprobs:
            config = GenerationConfig(**{**vars(config), "logprobs": True})
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be at least 1 or None, not {max_steps}")
        self.envs = list(envs)
        self.backend = TrackingBackend(model, tokenizer, device=str(model.device))
        self.agent = LLMAgent(self.backend, config, **(agent_kwargs or {}))
        self.generation_config = config
        self.max_steps = max_steps
        self.max_episode_tokens = max_episode_tokens
        self.stats = RolloutStats()
        self.step_pool = step_pool if step_pool is not None else EnvStepPool()
        self._seeds = None if seed is None or config.greedy else random.Random(seed)

    @property
    def tokenizer(self) -> Any:
        return self.backend.tokenizer

    def collect(self, episodes: Sequence[dict[str, Any]]) -> list[Rollout]:
        """Play one episode per entry of ``episodes`` (each: keyword arguments of ``env.reset``, e.g.
        ``{"seed": 3}`` or ``{"options": {"index": 5}}``) and return the rollouts in the same order."""
        start_wall = time.perf_counter()
        queue = deque(enumerate(episodes))
        results: list[Rollout | None] = [None] * len(episodes)
        state: dict[int, dict[str, Any]] = {}  # slot -> episode in progress

        def start(slot: int) -> None:
            index, spec = queue.popleft()
            t0 = time.perf_counter()
            obs, info = self.envs[slot].reset(**spec)
            self.stats.env_s += time.perf_counter() - t0
            self.backend.start(slot)
            self.agent.reset(obs, agent_info(info, with_gold=self.agent.needs_gold), slot=slot)
            state[slot] = {
                "index": index,
                "spec": dict(spec),
                "obs": obs,
                "info": info,
                "rewards": [],
                "components": [],
                "turn_results": [],
                "replies": [],
                "first_info": info,
            }

        for slot in range(len(self.envs)):
            if queue:
                start(slot)
        config_seedless = self.generation_config
        while state:
            slots = sorted(state)
            self.backend.expect(slots)
            if self._seeds is not None:  # a fresh seed per call: the backend seeds each call on a forked RNG
                self.agent.generation_config = dataclasses.replace(
                    config_seedless, seed=self._seeds.randrange(2**31)
                )
            t0 = time.perf_counter()
            actions = self.agent.act_batch(
                [state[s]["obs"] for s in slots],
                [agent_info(state[s]["info"], with_gold=self.agent.needs_gold) for s in slots],
                slots=slots,
            )
            self.stats.generate_s += time.perf_counter() - t0
            self.stats.generate_calls += 1
            for step in self.agent.last_generations:
                self.backend.record_reply(step.slot, step.generation)
                state[step.slot]["replies"].append(step.generation)
                self.stats.generated_tokens += len(step.generation.token_ids or [])
            t0 = (
                time.perf_counter()
            )  # the batch's steps run at once: their SQL overlaps (see mtsql_env.parallel)
            stepped = self.step_pool.step([self.envs[s] for s in slots], actions)
            self.stats.env_s += time.perf_counter() - t0
            for slot, (obs, reward, terminated, truncated, info) in zip(slots, stepped):
                episode = state[slot]
                self.stats.env_steps += 1
                episode["rewards"].append(float(reward))
                episode["components"].append(dict(info.get("reward_components") or {}))
                if info.get("turn_result"):
                    episode["turn_results"].append(dict(info["turn_result"]))
                episode["obs"], episode["info"] = obs, info
                reason = info.get("truncation_reason") if truncated else None
                if not (terminated or truncated):
                    if self.max_steps is not None and len(episode["rewards"]) >= self.max_steps:
                        truncated, reason = True, f"max_steps={self.max_steps} replies"
                    elif self._over_budget(slot, obs):
                        truncated, reason = True, f"max_episode_tokens={self.max_episode_tokens}"
                if terminated or truncated:
                    results[episode["index"]] = self._finish(slot, episode, terminated, truncated, reason)
                    del state[slot]
                    self.stats.episodes += 1
                    if queue:
                        start(slot)
        self.stats.wall_s += time.perf_counter() - start_wall
        return [r for r in results if r is not None]

    def _over_budget(self, slot: int, observation: str) -> bool:
        track = self.backend.tracks[slot]
        feedback = len(self.tokenizer(observation, add_special_tokens=False)["input_ids"])
        return len(track.ids) + feedback + self.generation_config.max_new_tokens > self.max_episode_tokens

    def _finish(
        self, slot: int, episode: dict[str, Any], terminated: bool, truncated: bool, reason: str | None
    ) -> Rollout:
        track = self.backend.tracks.pop(slot)
        rewards = [0.0] * len(track.ids)
        for (_, end), reward in zip(track.spans, episode["rewards"]):
            rewards[end - 1] += reward
        has_logprobs = all(lp is not None for lp, m in zip(track.logprobs, track.mask) if m)
        logprobs = [float(lp) if m and lp is not None else 0.0 for lp, m in zip(track.logprobs, track.mask)]
        first = episode["first_info"]
        meta = {
            **episode["spec"],
            "dialogue_id": first.get("dialogue_id"),
            "turn_index": first.get("turn_index"),
            "db_id": first.get("db_id"),
        }
        return Rollout(
            input_ids=track.ids,
            action_mask=track.mask,
            logprobs=logprobs if has_logprobs else None,
            rewards=rewards,
            reply_spans=track.spans,
            step_rewards=episode["rewards"],
            reward_components=episode["components"],
            turn_results=episode["turn_results"],
            messages=self.agent.conversation(slot),
            terminated=terminated,
            truncated=truncated,
            truncation_reason=reason,
            episode=meta,
            replies=episode["replies"],
        )
