"""`PPOConfig`: every setting of `mtsql_trainers.ppo.PPOTrainer` (a plain dataclass; imports nothing heavy).

Field names follow `transformers.TrainingArguments` / TRL where the meaning is the same
(``learning_rate``, ``per_device_train_batch_size``, ``gradient_accumulation_steps``, ``max_grad_norm``,
``lr_scheduler_type``, ``use_cpu``, ``bf16``, ``report_to``, ``seed``, ``output_dir``) and the old TRL
``PPOConfig`` where PPO has one (``num_ppo_epochs``, ``cliprange``, ``cliprange_value``, ``vf_coef``,
``gamma``, ``lam``, ``kl_coef``, ``kl_estimator``, ``whiten_rewards``). `HfArgumentParser` can build a
command line from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mtsql_env.rewards import PRESETS

__all__ = ["PPOConfig", "PPO_TASKS"]

#: What episodes PPO plays: the full environment, or the two-choice task (`mtsql_trainers.tasks`).
PPO_TASKS = ("env", "two_choice")


@dataclass
class PPOConfig:
    """Configuration of `PPOTrainer` and `train_ppo`.

    Parameters:
        > Parameters that control the model
        model_name_or_path (`str` or `None`, *optional*, defaults to `None`): model to train.
        > Parameters that control the episodes
        task, env_id, data_dir, split, env_mode, reward, max_steps_per_turn, env_kwargs, system_prompt, few_shot
        > Parameters that control rollouts
        num_envs, episodes_per_iteration, max_new_tokens, temperature, top_p, top_k, max_episode_tokens
        > Parameters that control PPO
        num_ppo_epochs, per_device_train_batch_size, gradient_accumulation_steps, cliprange, cliprange_value,
        vf_coef, ent_coef, gamma, lam, whiten_advantages, whiten_rewards, kl_coef, kl_estimator
        > Parameters that control optimisation
        num_iterations, learning_rate, value_head_learning_rate, weight_decay, adam_epsilon, max_grad_norm,
        lr_scheduler_type, warmup_steps, seed
        > Parameters that control the device
        use_cpu, bf16
        > Parameters that control logging and saving
        output_dir, logging_steps, report_to, save_model

    Each field's ``help`` metadata says what it does and how it interacts with the others.
    """

    # Parameters that control the model
    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Model folder or Hub id to train (a causal LM with a chat template). `train_ppo` also takes a loaded model."
        },
    )
    # Parameters that control the episodes
    task: str = field(
        default="env",
        metadata={
            "help": "'env': episodes of the full environment (env_id, env_mode, reward...). 'two_choice': the "
            "two-choice learning check of `mtsql_trainers.tasks` (reward EX + EM from the env; env_mode, reward "
            "and max_steps_per_turn are fixed by the task)."
        },
    )
    env_id: str = field(
        default="MTSQL-CoSQL-v0", metadata={"help": "Gymnasium id of the environment (task='env')."}
    )
    data_dir: str | None = field(
        default=None,
        metadata={"help": "Data location passed to the env; 'sample' for the bundled sample data."},
    )
    split: str = field(default="train", metadata={"help": "Data split the episodes come from."})
    env_mode: str = field(
        default="turn",
        metadata={
            "help": "'turn' (one user turn with gold history; what the paper trains on) or 'dialogue'."
        },
    )
    reward: str = field(
        default="outcome",
        metadata={
            "help": "Env reward preset: 'outcome' (EX + EM), 'process' (adds the process terms, dense) or "
            "'process_guarded' (process terms paid only for a right answer)."
        },
    )
    max_steps_per_turn: int = field(
        default=4, metadata={"help": "Agent replies per user turn (the paper: 4)."}
    )
    env_kwargs: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "Further keywords for gym.make (e.g. feedback_max_chars)."}
    )
    system_prompt: str | None = field(
        default=None,
        metadata={
            "help": "System message of the agent; None: the env's instructions (task='two_choice': its own prompt)."
        },
    )
    few_shot: bool = field(
        default=False, metadata={"help": "Put the agents' worked example before each episode."}
    )
    # Parameters that control rollouts
    num_envs: int = field(
        default=8,
        metadata={
            "help": "Environments played at once: replies of that many episodes are generated in one batch."
        },
    )
    episodes_per_iteration: int = field(
        default=32, metadata={"help": "Episodes collected per PPO iteration (the rollout batch)."}
    )
    max_new_tokens: int = field(default=256, metadata={"help": "Most tokens per reply."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature of rollouts (> 0)."})
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling mass of rollouts."})
    top_k: int | None = field(
        default=None, metadata={"help": "Top-k sampling of rollouts; None disables it."}
    )
    max_episode_tokens: int = field(
        default=8192,
        metadata={"help": "An episode stops (truncated) when its token sequence would pass this length."},
    )
    # Parameters that control PPO
    num_ppo_epochs: int = field(
        default=4, metadata={"help": "Passes of PPO updates over each rollout batch."}
    )
    per_device_train_batch_size: int = field(
        default=8,
        metadata={"help": "Episodes per minibatch forward pass; must divide episodes_per_iteration."},
    )
    gradient_accumulation_steps: int = field(
        default=1,
        metadata={
            "help": "Minibatches accumulated per optimiser step; per_device_train_batch_size × this must divide "
            "episodes_per_iteration."
        },
    )
    cliprange: float = field(default=0.2, metadata={"help": "Clip range ε of the policy ratio."})
    cliprange_value: float = field(
        default=0.2,
        metadata={
            "help": "Clip range of the value prediction around the old value (0 disables value clipping)."
        },
    )
    vf_coef: float = field(default=0.1, metadata={"help": "Weight of the value loss."})
    ent_coef: float = field(
        default=0.0, metadata={"help": "Weight of the entropy bonus on agent tokens (0: off)."}
    )
    gamma: float = field(
        default=1.0, metadata={"help": "Discount per agent token in GAE (1: undiscounted, as in TRL)."}
    )
    lam: float = field(default=0.95, metadata={"help": "GAE λ."})
    whiten_advantages: bool = field(
        default=True, metadata={"help": "Normalise advantages over the batch's agent tokens (mean 0, std 1)."}
    )
    whiten_rewards: bool = field(
        default=False, metadata={"help": "Scale the env rewards of a batch to unit std before GAE."}
    )
    kl_coef: float = field(
        default=0.0,
        metadata={
            "help": "Coefficient of the per-token KL penalty to a frozen copy of the initial model, subtracted from "
            "the reward on agent tokens (0: no reference model is built)."
        },
    )
    kl_estimator: str = field(
        default="k1",
        metadata={
            "help": "KL estimator per token: 'k1' (log p − log p_ref) or 'k3' ((r − 1) − log r, r = p_ref/p; ≥ 0)."
        },
    )
    # Parameters that control optimisation
    num_iterations: int = field(
        default=100,
        metadata={"help": "PPO iterations: each collects a rollout batch, then runs the PPO epochs."},
    )
    learning_rate: float = field(default=1e-6, metadata={"help": "AdamW learning rate of the policy."})
    value_head_learning_rate: float | None = field(
        default=None, metadata={"help": "Learning rate of the value head; None: 10 × learning_rate."}
    )
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay."})
    adam_epsilon: float = field(default=1e-8, metadata={"help": "AdamW epsilon."})
    max_grad_norm: float = field(
        default=1.0, metadata={"help": "Gradient clipping norm (0 disables clipping)."}
    )
    lr_scheduler_type: str = field(
        default="linear",
        metadata={
            "help": "Schedule over all optimiser steps: 'linear', 'cosine' or 'constant' (after warmup)."
        },
    )
    warmup_steps: int = field(default=0, metadata={"help": "Linear warmup, in optimiser steps."})
    seed: int = field(default=42, metadata={"help": "Seeds torch, the episode order and sampling."})
    # Parameters that control the device
    use_cpu: bool = field(default=False, metadata={"help": "Train on CPU even when a GPU is present."})
    bf16: bool = field(
        default=False,
        metadata={
            "help": "bfloat16 mixed precision through accelerate (GPUs; on CPU it is far slower, keep False)."
        },
    )
    # Parameters that control logging and saving
    output_dir: str = field(
        default="ppo-output", metadata={"help": "Where metrics.jsonl and the model are written."}
    )
    logging_steps: int = field(default=1, metadata={"help": "Log metrics every this many iterations."})
    report_to: str = field(
        default="none",
        metadata={
            "help": "An accelerate tracker ('tensorboard', 'wandb', ...) or 'none'; metrics.jsonl is always written."
        },
    )
    save_model: bool = field(
        default=True, metadata={"help": "Save the policy, tokenizer and value head to output_dir at the end."}
    )

    def __post_init__(self) -> None:
        if self.task not in PPO_TASKS:
            raise ValueError(f"task must be one of {PPO_TASKS}, not {self.task!r}")
        if self.env_mode not in ("turn", "dialogue"):
            raise ValueError(f"env_mode must be 'turn' or 'dialogue', not {self.env_mode!r}")
        if self.reward not in PRESETS:
            raise ValueError(f"reward must be one of {', '.join(PRESETS)}, not {self.reward!r}")
        for name in (
            "num_envs",
            "episodes_per_iteration",
            "max_new_tokens",
            "num_ppo_epochs",
            "num_iterations",
            "per_device_train_batch_size",
            "gradient_accumulation_steps",
            "max_steps_per_turn",
            "logging_steps",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.temperature <= 0:
            raise ValueError(
                f"temperature must be > 0 for PPO rollouts (PPO needs a sampling policy), not {self.temperature}"
            )
        chunk = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if self.episodes_per_iteration % chunk:
            raise ValueError(
                f"episodes_per_iteration={self.episodes_per_iteration} is not a multiple of per_device_train_batch_size × "
                f"gradient_accumulation_steps = {chunk}; change one of them so every optimiser step sees full minibatches"
            )
        if not 0 < self.cliprange < 1:
            raise ValueError(f"cliprange must be in (0, 1), not {self.cliprange}")
        if self.cliprange_value < 0:
            raise ValueError(
                f"cliprange_value must be >= 0 (0 disables value clipping), not {self.cliprange_value}"
            )
        if not 0 <= self.gamma <= 1 or not 0 <= self.lam <= 1:
            raise ValueError(f"gamma and lam must be in [0, 1], not gamma={self.gamma}, lam={self.lam}")
        if self.kl_coef < 0:
            raise ValueError(f"kl_coef must be >= 0, not {self.kl_coef}")
        if self.kl_estimator not in ("k1", "k3"):
            raise ValueError(f"kl_estimator must be 'k1' or 'k3', not {self.kl_estimator!r}")
        if self.lr_scheduler_type not in ("linear", "cosine", "constant"):
            raise ValueError(
                f"lr_scheduler_type must be 'linear', 'cosine' or 'constant', not {self.lr_scheduler_type!r}"
            )
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, not {self.learning_rate}")
        if self.value_head_learning_rate is None:
            self.value_head_learning_rate = 10 * self.learning_rate

    @property
    def steps_per_iteration(self) -> int:
        """Optimiser steps per PPO iteration."""
        chunk = self.per_device_train_batch_size * self.gradient_accumulation_steps
        return self.num_ppo_epochs * (self.episodes_per_iteration // chunk)

    @property
    def total_steps(self) -> int:
        """Optimiser steps of the whole run (the length of the learning-rate schedule)."""
        return self.num_iterations * self.steps_per_iteration
