"""GRPO on mtsql through TRL's `GRPOTrainer`, used as is: this module only wires the environment to it.

Two ways to produce the rollouts (``MTSQLGRPOConfig.rollout_mode``):

- ``"environment"`` (default): ``GRPOTrainer(environment_factory=...)`` with `MTSQLToolEnv`. TRL renders
  the five action methods as tools, runs the tool-calling loop, masks tool results out of the loss, and
  adds the env's ``get_reward()`` (the preset's turn total) as a reward with weight 1.
- ``"rollout_func"``: ``GRPOTrainer(rollout_func=...)`` over `mtsql_trainers.rollout.RolloutCollector`
  (the agents' tag-grammar protocol, token-exact sequences); it returns ``env_mask`` so prompt and
  environment tokens stay out of the loss, and the env's reward travels to a weight-1 reward function
  as an extra field.

Reward components reach TRL's logs as extra reward functions with weight 0 (`component_reward_funcs`):
TRL logs every reward function's mean and std as ``rewards/<name>/mean`` and ``rewards/<name>/std`` and
shows each in the completions table, and a zero weight keeps them out of the advantage. The ``answered``
function also reports ``env/steps``, ``env/format_errors`` and ``env/truncated`` through TRL's
``log_metric`` hook.

GRPO groups are TRL's: each training row (one dialogue turn) is rolled out ``num_generations`` times and
advantages are normalised within the group. vLLM (``use_vllm=True``, ``vllm_mode="colocate"`` or
``"server"``) and multi-GPU (accelerate) are TRL's fields and need nothing here.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mtsql_env.rewards import COMPONENTS, RewardConfig

from .environment import MTSQLToolEnv, make_environment_factory
from .grpo_config import MTSQLGRPOConfig

if TYPE_CHECKING:
    import datasets
    from trl import GRPOTrainer

logger = logging.getLogger(__name__)

__all__ = [
    "CHATML_RESPONSE_TEMPLATE",
    "GRPOResult",
    "RolloutTally",
    "build_grpo_trainer",
    "component_reward_funcs",
    "ensure_tool_parsing",
    "env_reward",
    "make_rollout_func",
    "rollout_summary",
    "train_grpo",
]

# Contracts of the pluggable parts, as TRL states them (trl/trainer/grpo_trainer.py):
#: ``f(prompts, completions, completion_ids, environments=..., log_metric=..., **columns) -> list[float | None]``
RewardFunc = Callable[..., list]
#: ``f(prompts, trainer) -> {"prompt_ids", "completion_ids", "logprobs", "env_mask", **extra fields}``
RolloutFunc = Callable[[list, Any], dict[str, list]]
#: zero-argument callable returning an object with ``reset(**row) -> str | None``, tool methods and ``get_reward``
EnvironmentFactory = Callable[[], MTSQLToolEnv]

#: Response parsing for ChatML templates that write ``<tool_call>{json}</tool_call>`` (the tiny test model,
#: many fine-tunes). TRL knows the official Qwen/Llama/... templates itself; this covers the rest.
CHATML_RESPONSE_TEMPLATE: dict[str, Any] = {
    "defaults": {"role": "assistant"},
    "start_anchor": "<|im_start|>assistant\n",
    "fields": {
        "tool_calls": {
            "open": "<tool_call>",
            "close_pattern": r"</tool_call>\s*",
            "repeats": True,
            "content": "json",
            "transform": {"type": "function", "function": "{content}"},
        },
        "content": {"close_pattern": r"<\|im_end\|>\s*", "content": "text"},
    },
}


def ensure_tool_parsing(tokenizer: Any) -> Any:
    """Give the tokenizer a response parser so TRL can read tool calls from the model's replies.

    Keeps one already set; else uses TRL's for known templates (``add_response_schema``); else, for a
    ChatML template that renders ``<tool_call>{json}</tool_call>``, `CHATML_RESPONSE_TEMPLATE`.

    Raises:
        ValueError: the template is unknown and not ChatML with JSON tool calls; set
            ``tokenizer.response_template`` yourself (transformers' response-parsing docs).
    """
    from trl.chat_template_utils import add_response_schema

    if getattr(tokenizer, "response_template", None) is not None or getattr(
        tokenizer, "response_schema", None
    ):
        return tokenizer
    try:
        return add_response_schema(tokenizer)
    except ValueError:
        pass
    call = {"type": "function", "function": {"name": "probe_tool", "arguments": {"probe_arg": 1}}}
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "", "tool_calls": [call]}],
        tokenize=False,
    )
    if "<|im_start|>assistant\n" in rendered and "<tool_call>" in rendered and '"probe_tool"' in rendered:
        tokenizer.response_template = CHATML_RESPONSE_TEMPLATE
        return tokenizer
    raise ValueError(
        "cannot parse tool calls for this chat template: set tokenizer.response_template (see transformers' "
        "response-parsing docs), or use rollout_mode='rollout_func' (tag grammar, no tool parsing)"
    )


# --- Reward components in TRL's logs ----------------------------------------------------------------


def rollout_summary(source: Any) -> dict[str, Any]:
    """What one finished rollout earned, from an `MTSQLToolEnv` or a `mtsql_trainers.rollout.Rollout`.

    Returns:
        ``reward`` (env total), ``components`` (weighted, summing to it), ``answered``, ``steps``,
        ``tool_calls``, ``format_errors``, ``truncated``.
    """
    if isinstance(source, MTSQLToolEnv):
        return {
            "reward": source.reward,
            "components": dict(source.components),
            "answered": float(bool(source.turn_results)),
            "steps": source.steps,
            "tool_calls": source.steps + source.calls_after_end,
            "format_errors": source.format_errors,
            "truncated": float(source.truncated),
        }
    if isinstance(source, dict):
        return source
    components = dict.fromkeys(COMPONENTS, 0.0)
    for step in source.reward_components:
        for name, value in step.items():
            components[name] = components.get(name, 0.0) + float(value)
    return {
        "reward": float(sum(source.step_rewards)),
        "components": components,
        "answered": float(bool(source.turn_results)),
        "steps": len(source.step_rewards),
        "tool_calls": len(source.step_rewards),  # every reply is parsed into one action
        # The env's feedback to a bad action starts with "Format error:" (mtsql_env.env). The last step's
        # feedback never enters the conversation, so a format error at the very last step is not counted.
        "format_errors": sum(
            1
            for m in source.messages[2:]
            if m.get("role") in ("user", "tool") and str(m.get("content", "")).startswith("Format error:")
        ),
        "truncated": float(source.truncated),
    }


def _summaries(kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    if kwargs.get("environments") is not None:
        return [rollout_summary(env) for env in kwargs["environments"]]
    if kwargs.get("mtsql_summary") is not None:
        return list(kwargs["mtsql_summary"])
    raise ValueError("no mtsql rollouts to score: expected `environments` or the `mtsql_summary` extra field")


def _component_func(name: str) -> RewardFunc:
    def component(**kwargs: Any) -> list[float]:
        return [float(s["components"].get(name, 0.0)) for s in _summaries(kwargs)]

    component.__name__ = name
    component.__doc__ = f"The rollout's weighted `{name}` reward component (logged with weight 0)."
    return component


@dataclass
class RolloutTally:
    """Totals over every rollout a run scored: what a quick run's summary reports (and tests check)."""

    rollouts: int = 0
    env_steps: int = 0
    tool_calls: int = 0
    answered: int = 0

    def add(self, summaries: Sequence[dict[str, Any]]) -> None:
        self.rollouts += len(summaries)
        self.env_steps += int(sum(s["steps"] for s in summaries))
        self.tool_calls += int(sum(s.get("tool_calls", s["steps"]) for s in summaries))
        self.answered += int(sum(s["answered"] for s in summaries))


def _answered_func(tally: RolloutTally | None = None) -> RewardFunc:
    def answered(**kwargs: Any) -> list[float]:
        """1.0 when the rollout answered (committed SQL), else 0.0; also logs env step statistics."""
        summaries = _summaries(kwargs)
        log_metric = kwargs.get("log_metric")
        if log_metric is not None and summaries:
            for key in ("steps", "format_errors", "truncated"):
                log_metric(f"env/{key}", sum(float(s[key]) for s in summaries) / len(summaries))
        if tally is not None:
            tally.add(summaries)
        return [float(s["answered"]) for s in summaries]

    return answered


answered = _answered_func()


def env_reward(**kwargs: Any) -> list[float]:
    """The env's reward of each rollout (the preset's total); the weight-1 reward of the rollout_func path."""
    return [float(s["reward"]) for s in _summaries(kwargs)]


def component_reward_funcs(
    reward_preset: str | RewardConfig | dict = "process", tally: RolloutTally | None = None
) -> list[RewardFunc]:
    """Zero-weight reward functions that put the reward's components (and the answered rate) in TRL's logs.

    One function per component the preset weighs (EX and EM always), named after it, then ``answered``
    (which also adds every rollout to ``tally`` when one is given).

    Example:
        >>> [f.__name__ for f in component_reward_funcs("outcome")]
        ['exec_match', 'exact_match', 'answered']
        >>> [f.__name__ for f in component_reward_funcs("process")][2:]
        ['exec_verify', 'coherence', 'generation', 'answered']
    """
    weights = RewardConfig.from_preset(reward_preset).to_dict()
    names = [n for n in COMPONENTS if n in ("exec_match", "exact_match") or weights.get(n)]
    return [_component_func(n) for n in names] + [_answered_func(tally)]


# --- rollout_func path --------------------------------------------------------------------------------


def _prompt_key(prompt: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(m.get("content")) for m in prompt)


def make_rollout_func(config: MTSQLGRPOConfig, train_dataset: datasets.Dataset) -> RolloutFunc:
    """A ``rollout_func`` for `GRPOTrainer` that plays each prompt's env episode with `RolloutCollector`.

    TRL hands it the prompts (each repeated ``num_generations`` times); the episode of a prompt is found
    from the training rows (prompt → ``dialogue_id``, ``turn``). Each rollout becomes ``prompt_ids`` (the
    first prompt), ``completion_ids`` (everything after it: replies and feedback), ``env_mask`` (1 on the
    model's tokens only), the sampling ``logprobs``, and an ``mtsql_summary`` extra field for the rewards.
    Completions longer than ``max_completion_length`` are cut.
    """
    from mtsql_agents.backends.base import GenerationConfig
    from mtsql_env.parallel import EnvStepPool

    from .rollout import RolloutCollector

    episodes = {}
    for row in train_dataset:
        options = {"dialogue_id": row["dialogue_id"]}
        if config.episode_mode == "turn":
            options["turn"] = int(row["turn"])
        episodes.setdefault(_prompt_key(row["prompt"]), options)
    env_factory = make_environment_factory(config.env_id, **config.env_make_kwargs())
    envs: list[Any] = []
    step_pool = EnvStepPool()  # one pool for every call: its threads keep their SQLite connections

    calls = itertools.count()  # a fresh sampling seed per call, so groups do not repeat across steps

    def rollout_func(prompts: list, trainer: Any) -> dict[str, list]:
        model = trainer.accelerator.unwrap_model(trainer.model)
        was_training = model.training  # the backend switches the model to eval mode; TRL needs it back
        while len(envs) < len(prompts):
            envs.append(env_factory()._env)
        generation = GenerationConfig(
            temperature=trainer.temperature,
            top_p=trainer.top_p,
            top_k=trainer.top_k or None,
            max_new_tokens=min(config.max_completion_length, config.max_reply_tokens),
        )
        collector = RolloutCollector(
            model,
            trainer.processing_class,
            envs[: len(prompts)],
            generation_config=generation,
            max_steps=config.max_steps_per_turn if config.episode_mode == "turn" else None,
            agent_kwargs={"few_shot": config.few_shot, "native_tools": True},
            seed=config.seed * 1_000_003 + next(calls),
            step_pool=step_pool,
        )
        specs = []
        for prompt in prompts:
            key = _prompt_key(prompt)
            if key not in episodes:
                raise KeyError("a prompt that is not from the training rows reached rollout_func")
            specs.append({"options": episodes[key]})
        model.eval()
        try:
            rollouts = collector.collect(specs)
        finally:
            model.train(was_training)
        out: dict[str, list] = {
            "prompt_ids": [],
            "completion_ids": [],
            "logprobs": [],
            "env_mask": [],
            "mtsql_summary": [],
        }
        limit = config.max_completion_length
        for rollout in rollouts:
            start = rollout.action_mask.index(1) if 1 in rollout.action_mask else len(rollout.input_ids)
            out["prompt_ids"].append(rollout.input_ids[:start])
            out["completion_ids"].append(rollout.input_ids[start:][:limit])
            out["env_mask"].append(rollout.action_mask[start:][:limit])
            logprobs = rollout.logprobs or [0.0] * len(rollout.input_ids)
            out["logprobs"].append(logprobs[start:][:limit])
            out["mtsql_summary"].append(rollout_summary(rollout))
        return out

    return rollout_func


# --- Trainer and entry point ---------------------------------------------------------------------------


def _load_tokenizer(model: Any, config: MTSQLGRPOConfig) -> Any:
    from transformers import AutoTokenizer

    name = model if isinstance(model, str) else getattr(model, "name_or_path", None)
    if not name:
        raise ValueError("pass tokenizer=... when the model was not loaded from a folder or the Hub")
    tokenizer = AutoTokenizer.from_pretrained(name, trust_remote_code=config.trust_remote_code)
    tokenizer.padding_side = "left"
    return tokenizer


def _turn_dataset(config: MTSQLGRPOConfig) -> Any:
    """The training rows the config names: one per (dialogue, turn) of its split."""
    from .datasets import build_turn_dataset

    return build_turn_dataset(
        config.env_id,
        dialogue_ids=config.dialogue_ids,
        turns=config.turns,
        max_rows=config.max_rows,
        few_shot=config.few_shot,
        **config.env_make_kwargs(),
    )


def build_grpo_trainer(
    config: MTSQLGRPOConfig,
    model: Any,
    *,
    tokenizer: Any = None,
    train_dataset: datasets.Dataset | None = None,
    reward_funcs: Sequence[RewardFunc] | None = None,
    callbacks: Sequence[Any] | None = None,
) -> GRPOTrainer:
    """One `trl.GRPOTrainer` over the mtsql environment (see the module docstring for the two paths).

    Args:
        config: the training configuration.
        model: a model id or folder, or a loaded causal LM.
        tokenizer: its tokenizer (loaded from ``model`` when None); left padding is set.
        train_dataset: rows from `mtsql_trainers.datasets.build_turn_dataset` (built from ``config`` when None).
        reward_funcs: extra reward functions, weighted by ``config.reward_weights`` (weight 1 each when unset);
            the env's reward is always added with weight 1, and the components with weight 0.
        callbacks: `transformers.TrainerCallback`s.
    """
    from trl import GRPOTrainer

    tokenizer = tokenizer if tokenizer is not None else _load_tokenizer(model, config)
    if train_dataset is None:
        train_dataset = _turn_dataset(config)
    user_funcs = list(reward_funcs or [])
    if config.reward_weights is not None and len(config.reward_weights) != len(user_funcs):
        raise ValueError(
            f"reward_weights has {len(config.reward_weights)} entries but {len(user_funcs)} reward_funcs were passed; "
            "weights cover your own reward functions only (the env's reward has weight 1, its components 0)"
        )
    user_weights = (
        list(config.reward_weights) if config.reward_weights is not None else [1.0] * len(user_funcs)
    )
    tally = RolloutTally()
    logged = component_reward_funcs(config.reward_preset, tally) if config.log_reward_components else []
    args = copy.copy(config)  # TRL reads reward_weights from args; keep the caller's config unchanged
    kwargs: dict[str, Any] = {}
    if config.rollout_mode == "environment":
        ensure_tool_parsing(tokenizer)
        funcs = user_funcs + logged
        weights = user_weights + [0.0] * len(logged)
        kwargs["environment_factory"] = make_environment_factory(config.env_id, **config.env_make_kwargs())
    else:
        funcs = user_funcs + [env_reward] + logged
        weights = user_weights + [1.0] + [0.0] * len(logged)
        kwargs["rollout_func"] = make_rollout_func(config, train_dataset)
    args.reward_weights = weights if funcs else None
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=funcs or None,
        args=args,
        train_dataset=train_dataset,
        processing_class=tokenizer,
        callbacks=list(callbacks or []) or None,
        **kwargs,
    )
    trainer.mtsql_tally = tally  # totals over the run's rollouts (counted when log_reward_components)
    return trainer


@dataclass
class GRPOResult:
    """What `train_grpo` returns: the trained model, where it was saved, and TRL's log history per bucket."""

    output_dir: str
    model: Any = field(repr=False)
    buckets: list[str] = field(default_factory=list)
    log_history: list[dict[str, Any]] = field(
        default_factory=list
    )  # TRL's entries, each tagged with its bucket
    tally: RolloutTally = field(default_factory=RolloutTally)  # every rollout of every bucket
    model_dir: str | None = None  # where the final model was saved (None with save_strategy="no")
    global_step: int = 0  # optimiser steps over all buckets

    def metric(self, name: str) -> list[float]:
        """Every logged value of ``name`` (e.g. ``"reward"``, ``"rewards/exec_match/mean"``), in order."""
        return [entry[name] for entry in self.log_history if name in entry]

    def summary(self) -> dict[str, Any]:
        """What the run did, in the keys every trainer's result shares (`mtsql train` prints them)."""
        rewards, grads = self.metric("reward"), self.metric("grad_norm")
        return {
            "optimizer_steps": self.global_step,
            "rollouts": self.tally.rollouts,
            "tool_calls": self.tally.tool_calls,
            "env_steps": self.tally.env_steps,
            "answered": self.tally.answered,
            "reward_first": rewards[0] if rewards else None,
            "reward_last": rewards[-1] if rewards else None,
            "grad_norm_mean": sum(grads) / len(grads) if grads else None,
            "model_dir": self.model_dir,
        }


def train_grpo(
    config: MTSQLGRPOConfig,
    model: Any = None,
    *,
    tokenizer: Any = None,
    train_dataset: datasets.Dataset | None = None,
    reward_funcs: Sequence[RewardFunc] | None = None,
    callbacks: Sequence[Any] | None = None,
) -> GRPOResult:
    """Train with GRPO on the mtsql environment, bucket by bucket when a curriculum is set.

    With ``config.curriculum="hardness"`` or ``"solve_rate"``, the rows are split into
    ``config.curriculum_buckets`` buckets (`mtsql_trainers.curriculum`), easiest first, and each bucket is
    one `GRPOTrainer` run (``num_train_epochs`` / ``max_steps`` per bucket) that continues from the model the
    previous bucket left; checkpoints go to ``<output_dir>/<bucket>``. The final model is saved to
    ``output_dir`` unless ``save_strategy="no"``.

    Args:
        config: the training configuration.
        model: a model id, a folder or a loaded causal LM; default ``config.model_name_or_path``.
        tokenizer, train_dataset, reward_funcs, callbacks: as in `build_grpo_trainer`.
    """
    from .curriculum import hardness_buckets, measure_solve_rates, solve_rate_buckets, split_dataset

    model = model if model is not None else config.model_name_or_path
    if model is None:
        raise ValueError("no model: pass model=... or set config.model_name_or_path")
    tokenizer = tokenizer if tokenizer is not None else _load_tokenizer(model, config)
    if train_dataset is None:
        train_dataset = _turn_dataset(config)
    if config.curriculum == "none":
        plan = [("all", train_dataset)]
    else:
        if config.curriculum == "hardness":
            buckets = hardness_buckets(
                train_dataset, config.env_id, config.curriculum_buckets, **config.env_make_kwargs()
            )
        else:
            model = _as_model(model, config)
            rates = measure_solve_rates(
                _policy_agent(model, tokenizer, config),
                train_dataset,
                config.env_id,
                samples=config.solve_rate_samples,
                **config.env_make_kwargs(),
            )
            buckets = solve_rate_buckets(rates, config.curriculum_buckets)
        plan = [(b.name, ds) for b, ds in split_dataset(train_dataset, buckets, seed=config.seed) if len(ds)]
    result = GRPOResult(output_dir=config.output_dir, model=None)
    for name, bucket_dataset in plan:
        args = copy.copy(config)
        if len(plan) > 1:
            args.output_dir = os.path.join(config.output_dir, name)
        logger.info("GRPO on bucket %r: %d rows", name, len(bucket_dataset))
        trainer = build_grpo_trainer(
            args,
            model,
            tokenizer=tokenizer,
            train_dataset=bucket_dataset,
            reward_funcs=reward_funcs,
            callbacks=callbacks,
        )
        trainer.train()
        model = trainer.accelerator.unwrap_model(trainer.model)
        result.buckets.append(name)
        result.log_history += [{**entry, "bucket": name} for entry in trainer.state.log_history]
        result.global_step += trainer.state.global_step
        for key in ("rollouts", "env_steps", "tool_calls", "answered"):
            setattr(result.tally, key, getattr(result.tally, key) + getattr(trainer.mtsql_tally, key))
    result.model = model
    if config.save_strategy != "no":
        trainer.save_model(config.output_dir)
        result.model_dir = config.output_dir
    return result


def _as_model(model: Any, config: MTSQLGRPOConfig) -> Any:
    """A loaded causal LM (the solve-rate curriculum samples from it before training starts)."""
    if not isinstance(model, str):
        return model
    from transformers import AutoModelForCausalLM

    kwargs = dict(config.model_init_kwargs or {})
    kwargs.setdefault("dtype", "float32")
    return AutoModelForCausalLM.from_pretrained(model, trust_remote_code=config.trust_remote_code, **kwargs)


def _policy_agent(model: Any, tokenizer: Any, config: MTSQLGRPOConfig) -> Any:
    """The current policy as an `LLMAgent` (native tools, sampling as GRPO does) for solve-rate estimates."""
    from mtsql_agents.backends.base import GenerationConfig
    from mtsql_agents.backends.transformers_backend import TransformersBackend
    from mtsql_agents.llm import LLMAgent

    generation = GenerationConfig(
        temperature=config.temperature,
        top_p=config.top_p,
        max_new_tokens=config.max_reply_tokens,
        seed=config.seed,
    )
    backend = TransformersBackend(model, tokenizer, device=str(model.device))
    return LLMAgent(backend, generation, few_shot=config.few_shot, native_tools=True)
