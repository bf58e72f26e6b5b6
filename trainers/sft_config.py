"""Configs of the self-taught SFT warm start: `SelfTaughtConfig` (sample, select, rounds) and `SFTConfig` (train).

`SelfTaughtConfig` is a plain dataclass (no torch, no TRL): the sampling, selection and build stages run
without the ``train`` extra, e.g. when a remote OpenAI-compatible server does the sampling.
`SFTConfig` is TRL's `trl.SFTConfig` with the defaults the recipe needs (assistant-only loss, room for
whole multi-step trajectories); it is built on first access (PEP 562), so importing this module does not
import TRL or torch. Both are `HfArgumentParser` dataclasses, and their field names do not overlap, so
``mtsql train sft`` parses one flat YAML file or flag list into both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mtsql_env import install_hint

__all__ = ["SFT_STAGES", "SFTConfig", "SelfTaughtConfig", "TINY_MODEL"]  # noqa: F822 - SFTConfig is built on first use (__getattr__)

#: The stages of one round, in order; ``all`` runs them all, round after round.
SFT_STAGES = ("sample", "select", "build", "train", "all")
#: ``model_name_or_path`` value that builds `mtsql_agents.tiny.build_tiny_model` on the spot (tests, CPU demos).
TINY_MODEL = "mtsql-tiny"
_SCRIPTED_SAMPLERS = ("oracle", "noisy", "noisy-no-correct")
_SAMPLERS = ("policy", "openai", *_SCRIPTED_SAMPLERS)


@dataclass
class SelfTaughtConfig:
    """The self-taught loop of MTSQL-R1 (arXiv 2510.12831): sample N per item, keep correct ones by difficulty, SFT, repeat.

    Parameters that control the model and the sampler:
        model_name_or_path, sampler, sampler_base_url, sampler_model, native_tools, few_shot
    Parameters that control sampling:
        num_samples, temperature, top_p, max_new_tokens, sampling_batch_size, sampling_seed
    Parameters that control the environment:
        env_id, data_dir, split, max_steps_per_turn, max_items, env_kwargs
    Parameters that control selection:
        max_easy_keep, max_other_keep, easy_hardness
    Parameters that control rounds and stages:
        rounds, stage, round_index, run_dir, accumulate, restart_from_base
    """

    # Parameters that control the model and the sampler
    model_name_or_path: str = field(
        default=TINY_MODEL,
        metadata={
            "help": "The policy: a Hugging Face model id or folder. It samples round 0 (sampler='policy') and is "
            f"fine-tuned. '{TINY_MODEL}' builds the tiny untrained test model in run_dir (it solves nothing)."
        },
    )
    sampler: str = field(
        default="policy",
        metadata={
            "help": "Who writes the trajectories: 'policy' (the current model through the transformers backend; "
            "from round 1 on, the model the previous round trained), 'openai' (an OpenAI-compatible server such as "
            "`vllm serve`, at sampler_base_url, model sampler_model; not updated between rounds), or a scripted "
            "teacher: 'oracle', 'noisy', 'noisy-no-correct' (see mtsql_agents)."
        },
    )
    sampler_base_url: str | None = field(
        default=None, metadata={"help": "Base URL of the OpenAI-compatible server (sampler='openai')."}
    )
    sampler_model: str | None = field(
        default=None,
        metadata={"help": "Model name sent to the server (sampler='openai'); default model_name_or_path."},
    )
    native_tools: bool = field(
        default=False,
        metadata={
            "help": "Write actions as native tool calls (assistant tool_calls + tool messages, tool schemas in the "
            "prompt) instead of the tag grammar; the dataset then has a `tools` column."
        },
    )
    few_shot: bool = field(
        default=False,
        metadata={"help": "Put the worked example in every prompt (and so in every training example)."},
    )
    # Parameters that control sampling
    num_samples: int = field(
        default=20, metadata={"help": "Trajectories sampled per training item (paper: 20)."}
    )
    temperature: float = field(default=0.7, metadata={"help": "Sampling temperature (paper: 0.7)."})
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling mass in (0, 1]."})
    max_new_tokens: int = field(default=512, metadata={"help": "Most tokens per assistant message."})
    sampling_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Episodes played side by side, one backend call per step for all of them (model samplers). "
            "Default: num_samples (all samples of an item in one batch)."
        },
    )
    sampling_seed: int | None = field(
        default=0,
        metadata={
            "help": "Base seed: item k of round r samples with a seed derived from (sampling_seed, r, k), so a rerun "
            "gives the same trajectories on the same hardware. None: unseeded."
        },
    )
    # Parameters that control the environment
    env_id: str = field(
        default="MTSQL-CoSQL-v0", metadata={"help": "Environment id (MTSQL-CoSQL-v0 or MTSQL-SParC-v0)."}
    )
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "Release folder or its parent, or 'sample' for the bundled sample (default: env lookup)."
        },
    )
    split: str = field(default="train", metadata={"help": "Split whose turns are the training items."})
    max_steps_per_turn: int = field(
        default=10,
        metadata={"help": "Agent steps per turn before the episode is truncated (unanswered = wrong)."},
    )
    max_items: int | None = field(
        default=None,
        metadata={"help": "Use only the first max_items turns of the split (quick runs); None: all."},
    )
    env_kwargs: dict[str, Any] | str | None = field(
        default=None,
        metadata={
            "help": 'Further gym.make keywords, e.g. {"schema_sample_rows": 0} for shorter prompts (a JSON object '
            "on the command line); mode, history, split, data_dir and max_steps_per_turn are set by this config."
        },
    )
    # Parameters that control selection
    max_easy_keep: int = field(
        default=2,
        metadata={"help": "Trajectories kept per easy or always-solved item: the shortest (paper: 2)."},
    )
    max_other_keep: int = field(
        default=3, metadata={"help": "Trajectories kept per other item: long and diverse ones (paper: 3)."}
    )
    easy_hardness: list[str] = field(
        default_factory=lambda: ["easy"],
        metadata={
            "help": "Gold hardness levels counted as easy (official levels: easy, medium, hard, extra)."
        },
    )
    # Parameters that control rounds and stages
    rounds: int = field(
        default=3, metadata={"help": "Sample-select-train rounds; solved items are dropped each round."}
    )
    stage: str = field(
        default="all",
        metadata={
            "help": "What to run: 'sample', 'select', 'build' or 'train' (one stage of round round_index, reading "
            "the previous stage's files in run_dir), or 'all' (every stage of every round)."
        },
    )
    round_index: int = field(
        default=0, metadata={"help": "The round a single stage runs for (stage != 'all')."}
    )
    run_dir: str = field(
        default="mtsql-sft",
        metadata={
            "help": "Where every round writes: round_<r>/{items.json, samples.jsonl, selected.jsonl, dataset/, "
            "dataset.jsonl, model/}. Each round's SFT output_dir is run_dir/round_<r>/model."
        },
    )
    accumulate: bool = field(
        default=False,
        metadata={
            "help": "Train round r on the trajectories selected in rounds 0..r (else on round r's only)."
        },
    )
    restart_from_base: bool = field(
        default=False,
        metadata={
            "help": "Train every round from model_name_or_path (STaR style; pair with accumulate=True) instead of "
            "from the previous round's model."
        },
    )

    def __post_init__(self) -> None:
        if self.sampler not in _SAMPLERS:
            raise ValueError(f"sampler must be one of {_SAMPLERS}, not {self.sampler!r}")
        if self.sampler == "openai" and not self.sampler_base_url:
            raise ValueError("sampler='openai' needs sampler_base_url (e.g. http://localhost:8000/v1)")
        if self.stage not in SFT_STAGES:
            raise ValueError(f"stage must be one of {SFT_STAGES}, not {self.stage!r}")
        for name in ("num_samples", "rounds", "max_new_tokens", "max_steps_per_turn"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.max_easy_keep < 0 or self.max_other_keep < 0:
            raise ValueError("max_easy_keep and max_other_keep must be >= 0")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError(
                f"need temperature >= 0 and 0 < top_p <= 1, not {self.temperature}, {self.top_p}"
            )
        if not 0 <= self.round_index < self.rounds:
            raise ValueError(f"round_index must be in [0, rounds={self.rounds}), not {self.round_index}")
        if self.sampling_batch_size is None:
            self.sampling_batch_size = self.num_samples
        if self.sampling_batch_size < 1:
            raise ValueError(f"sampling_batch_size must be at least 1, not {self.sampling_batch_size}")
        self.easy_hardness = (
            [self.easy_hardness] if isinstance(self.easy_hardness, str) else list(self.easy_hardness)
        )
        if isinstance(self.env_kwargs, str):
            self.env_kwargs = json.loads(self.env_kwargs) if self.env_kwargs.strip() else None
        if self.env_kwargs is not None and not isinstance(self.env_kwargs, dict):
            raise ValueError(
                f"env_kwargs must be a dict or a JSON object, not {type(self.env_kwargs).__name__}"
            )
        owned = {"mode", "history", "split", "data_dir", "max_steps_per_turn", "expose_gold"} & set(
            self.env_kwargs or {}
        )
        if owned:
            raise ValueError(f"set {sorted(owned)} through their own fields, not env_kwargs")

    @property
    def scripted_sampler(self) -> bool:
        """True when a scripted teacher (not a model) writes the trajectories."""
        return self.sampler in _SCRIPTED_SAMPLERS


def _build_sft_config() -> type:
    """Define `SFTConfig` (imports TRL, hence torch)."""
    try:
        import trl
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError("the SFT training stage needs TRL: " + install_hint("train")) from err

    @dataclass
    class SFTConfig(trl.SFTConfig):
        r"""TRL's `SFTConfig` with the self-taught recipe's defaults.

        Parameters that differ from TRL's defaults:
            assistant_only_loss (`bool`, *optional*, defaults to `True`):
                Train only on the assistant's messages: system, user and tool tokens (instructions, schema,
                questions, execution feedback) get label -100. Needs `{% generation %}` markers in the chat
                template; `mtsql_trainers.sft.ensure_generation_template` supplies a template when the
                model's lacks them.
            max_length (`int` or `None`, *optional*, defaults to `8192`):
                A trajectory holds the instructions, the schema and several steps of feedback; TRL's 1024
                would cut most of them before the first assistant message. Longer ones are cut at the end.
        """

        assistant_only_loss: bool = field(
            default=True,
            metadata={"help": "Loss on assistant tokens only (tool, user and system tokens are masked)."},
        )
        max_length: int | None = field(
            default=8192,
            metadata={
                "help": "Longest tokenized trajectory; longer ones are truncated at the end. None: no limit."
            },
        )

    SFTConfig.__module__ = __name__
    SFTConfig.__qualname__ = "SFTConfig"
    return SFTConfig


def __getattr__(name: str) -> Any:
    if name == "SFTConfig":
        cls = _build_sft_config()
        globals()["SFTConfig"] = cls  # built once; pickles as mtsql_trainers.sft_config.SFTConfig
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
