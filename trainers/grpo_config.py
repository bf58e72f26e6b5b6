"""`MTSQLGRPOConfig`: TRL's `GRPOConfig` plus the few settings that say which mtsql episodes to train on.

Everything about GRPO itself (group size ``num_generations``, learning rate, ``beta`` for the KL term, loss
type, vLLM generation with ``use_vllm`` / ``vllm_mode="colocate"|"server"``, ...) is TRL's own field and
passes straight through to `trl.GRPOTrainer`; this class adds only mtsql's fields (environment, data,
episode selection, reward preset, curriculum) and changes three defaults to the MTSQL-R1 recipe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trl import GRPOConfig

__all__ = ["MTSQLGRPOConfig", "CURRICULA", "ROLLOUT_MODES"]

#: How training items are ordered: all at once, by gold hardness, or by the current policy's solve rate.
CURRICULA = ("none", "hardness", "solve_rate")
#: How rollouts are produced: TRL's own tool loop over `environment_factory`, or mtsql's `rollout_func`.
ROLLOUT_MODES = ("environment", "rollout_func")


@dataclass
class MTSQLGRPOConfig(GRPOConfig):
    r"""Configuration for `mtsql_trainers.grpo.train_grpo`: every `trl.GRPOConfig` field, plus mtsql's.

    Parameters that control the model:
        model_name_or_path (`str` or `None`): model id or folder when `train_grpo` gets no model.

    Parameters that control the environment:
        env_id (`str`, *optional*, defaults to `"MTSQL-CoSQL-v0"`): which registered environment.
        data_dir (`str` or `None`, *optional*, defaults to `None`): release folder, or `"sample"`.
        split (`str`, *optional*, defaults to `"train"`): split whose turns become training rows.
        episode_mode (`str`, *optional*, defaults to `"turn"`): one rollout = one user turn, or a whole dialogue.
        reward_preset (`str`, *optional*, defaults to `"process"`): the env's reward preset.
        max_steps_per_turn (`int`, *optional*, defaults to `8`): env step limit per user turn.
        env_kwargs (`dict` or `str`, *optional*): further `gym.make` keywords (JSON text on the command line).

    Parameters that control the training rows:
        dialogue_ids (`list[str]` or `None`): only these dialogues. turns (`list[int]` or `None`): only these
        turn indices. max_rows (`int` or `None`): keep the first rows only. few_shot (`bool`): put the worked
        example in the prompt.

    Parameters that control the rollouts and logging:
        rollout_mode (`str`, *optional*, defaults to `"environment"`): `"environment"` or `"rollout_func"`.
        max_reply_tokens (`int`, *optional*, defaults to `256`): tokens per reply (rollout_func mode).
        log_reward_components (`bool`, *optional*, defaults to `True`): log each reward component.

    Parameters that control the curriculum:
        curriculum (`str`, *optional*, defaults to `"none"`), curriculum_buckets (`int`, defaults to `3`),
        solve_rate_samples (`int`, defaults to `4`).

    > [!NOTE]
    > Defaults that differ from `trl.GRPOConfig`, after the MTSQL-R1 recipe (arXiv 2510.12831): `num_generations=5`
    > (group size 5) and `per_device_train_batch_size=5` (one group per device step, so the generation batch
    > divides evenly); `learning_rate` is TRL's `1e-6` and `beta` TRL's `0.0` (no KL), as in the paper.
    > `max_tool_calling_iterations` defaults to `max_steps_per_turn` in turn mode.
    """

    # Parameters whose default values are overridden from GRPOConfig
    num_generations: int | None = field(
        default=5,
        metadata={
            "help": "Rollouts per training row (the GRPO group); MTSQL-R1 uses 5. The generation batch "
            "(per_device_train_batch_size * processes * steps_per_generation) must be divisible by it."
        },
    )
    per_device_train_batch_size: int = field(
        default=5,
        metadata={"help": "Rollouts per device per optimiser micro-step; 5 holds one whole group of 5."},
    )

    # Parameters that control the model
    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Model id or folder, used when train_grpo gets no model (TRL keeps this in ModelConfig)."
        },
    )

    # Parameters that control the environment
    env_id: str = field(
        default="MTSQL-CoSQL-v0",
        metadata={"help": "Registered environment id: 'MTSQL-CoSQL-v0' or 'MTSQL-SParC-v0'."},
    )
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "Release folder (or its parent), or 'sample' for the bundled sample. Default: the env's own "
            "search ($MTSQL_<BENCHMARK>_DIR, $MTSQL_DATA_DIR, the data cache, then the sample)."
        },
    )
    split: str = field(
        default="train", metadata={"help": "Split whose turns become training rows: 'train' or 'dev'."}
    )
    episode_mode: str = field(
        default="turn",
        metadata={
            "help": "'turn': one rollout is one user turn with the gold history (teacher forcing, as in MTSQL-R1); "
            "'dialogue': one rollout plays a whole dialogue and earns the sum of its turns' rewards."
        },
    )
    reward_preset: str = field(
        default="process",
        metadata={
            "help": "The env's reward: 'process' (EX + EM + 0.1 R_execverify + 0.1 R_coherence + 0.8 R_gen) or "
            "'outcome' (EX + EM). It reaches GRPO through the environment's get_reward() with weight 1."
        },
    )
    max_steps_per_turn: int = field(
        default=8,
        metadata={
            "help": "Env step limit per user turn; a turn with no answer by then is truncated (reward so far)."
        },
    )
    env_kwargs: dict[str, Any] | str | None = field(
        default=None,
        metadata={
            "help": "Further gym.make keywords (e.g. feedback_max_chars, schema_sample_rows); a JSON object on the "
            "command line. mode, split, data_dir, reward and max_steps_per_turn come from the fields above."
        },
    )

    # Parameters that control the training rows
    dialogue_ids: list[str] | None = field(
        default=None, metadata={"help": "Train only on these dialogues (default: all of the split)."}
    )
    turns: list[int] | None = field(
        default=None, metadata={"help": "Train only on these 0-based turn indices (turn mode; default: all)."}
    )
    max_rows: int | None = field(
        default=None,
        metadata={"help": "Keep only the first rows (after the selections above); None keeps all."},
    )
    few_shot: bool = field(
        default=False,
        metadata={"help": "Put the worked example (tool-call form) between the system prompt and the task."},
    )

    # Parameters that control the rollouts and logging
    rollout_mode: str = field(
        default="environment",
        metadata={
            "help": "'environment': TRL runs the tool loop over the env's tool methods (environment_factory); "
            "'rollout_func': mtsql's token-level rollouts (mtsql_trainers.rollout) return env_mask so "
            "environment tokens stay out of the loss."
        },
    )
    max_reply_tokens: int = field(
        default=256,
        metadata={
            "help": "rollout_func mode and solve-rate estimates: new tokens per model reply (the whole rollout is "
            "still cut at max_completion_length)."
        },
    )
    log_reward_components: bool = field(
        default=True,
        metadata={
            "help": "Log every reward component (and the answered rate) as extra reward functions with weight 0: "
            "they appear as rewards/<name>/mean in TRL's logs and never change the advantages."
        },
    )

    # Parameters that control the curriculum
    curriculum: str = field(
        default="none",
        metadata={
            "help": "'none': all rows at once; 'hardness': buckets by the gold SQL's official hardness, easy first; "
            "'solve_rate': buckets by the current policy's solve rate, most-solved first."
        },
    )
    curriculum_buckets: int = field(
        default=3,
        metadata={"help": "Number of difficulty buckets (MTSQL-R1 uses 3); trained one after another."},
    )
    solve_rate_samples: int = field(
        default=4,
        metadata={
            "help": "Curriculum 'solve_rate': rollouts per row used to estimate the policy's solve rate."
        },
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.env_kwargs, str):
            self.env_kwargs = json.loads(self.env_kwargs) if self.env_kwargs.strip() else None
        if self.env_kwargs is not None and not isinstance(self.env_kwargs, dict):
            raise ValueError(
                f"env_kwargs must be a dict or a JSON object, not {type(self.env_kwargs).__name__}"
            )
        owned = {"mode", "split", "data_dir", "reward", "max_steps_per_turn"} & set(self.env_kwargs or {})
        if owned:
            raise ValueError(
                f"set {sorted(owned)} through their own fields (episode_mode, split, ...), not env_kwargs"
            )
        if self.episode_mode not in ("turn", "dialogue"):
            raise ValueError(f"episode_mode must be 'turn' or 'dialogue', not {self.episode_mode!r}")
        if self.curriculum not in CURRICULA:
            raise ValueError(f"curriculum must be one of {CURRICULA}, not {self.curriculum!r}")
        if self.rollout_mode not in ROLLOUT_MODES:
            raise ValueError(f"rollout_mode must be one of {ROLLOUT_MODES}, not {self.rollout_mode!r}")
        if self.curriculum_buckets < 1:
            raise ValueError(f"curriculum_buckets must be at least 1, not {self.curriculum_buckets}")
        if self.curriculum == "solve_rate" and self.solve_rate_samples < 1:
            raise ValueError(f"solve_rate_samples must be at least 1, not {self.solve_rate_samples}")
        if self.turns is not None and self.episode_mode != "turn":
            raise ValueError(
                "turns selects user turns of turn-mode episodes; set episode_mode='turn' or drop turns"
            )
        if self.max_tool_calling_iterations is None and self.episode_mode == "turn":
            # One tool call is one env step, and a turn ends at its step limit. (Dialogue mode stays unbounded:
            # the env commits an answer at each turn's limit, and max_completion_length bounds the rollout.)
            self.max_tool_calling_iterations = self.max_steps_per_turn
        if self.remove_unused_columns:
            raise ValueError(
                "remove_unused_columns must stay False: the env's reset() reads dialogue_id and turn columns"
            )

    def env_make_kwargs(self) -> dict[str, Any]:
        """The keywords for ``gym.make(self.env_id, ...)`` that every rollout's environment is built with."""
        kwargs = dict(self.env_kwargs or {})
        kwargs.update(
            mode=self.episode_mode,
            split=self.split,
            reward=self.reward_preset,
            max_steps_per_turn=self.max_steps_per_turn,
        )
        if self.data_dir is not None:
            kwargs["data_dir"] = self.data_dir
        return kwargs
