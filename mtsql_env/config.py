"""`EnvConfig`: every keyword argument ``gym.make("MTSQL-CoSQL-v0", ...)`` accepts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .rewards import RewardConfig

__all__ = ["EnvConfig", "EPISODE_MODES"]

EPISODE_MODES = ("dialogue", "turn")


@dataclass
class EnvConfig:
    """Configuration of `MTSQLEnv`; each field is also a ``gym.make`` keyword.

    Parameters that control the data:
        benchmark, split, data_dir, skip_missing_databases, fallback_to_sample
    Parameters that control episodes:
        mode, history, max_steps_per_turn
    Parameters that control rewards:
        reward, strict_eval, test_suite
    Parameters that control what the agent sees:
        feedback_max_chars, feedback_max_rows, schema_sample_rows, schema_max_chars, expose_gold
    Parameters that control execution:
        query_timeout_s, max_sql_chars, max_result_rows, result_cache_mb
    """

    # Parameters that control the data
    benchmark: str = field(default="cosql", metadata={"help": "'cosql' or 'sparc' (set by the env id)."})
    split: str = field(default="dev", metadata={"help": "Split to load: 'dev' or 'train'."})
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "Where the release is: the release folder or its parent, or 'sample' for the bundled sample. "
            "Default: $MTSQL_<BENCHMARK>_DIR, $MTSQL_DATA_DIR, then the cache filled by `mtsql data install`."
        },
    )
    skip_missing_databases: bool = field(
        default=False,
        metadata={
            "help": "Skip (and count, in a warning) dialogues whose database file is missing, instead of failing."
        },
    )
    fallback_to_sample: bool = field(
        default=True,
        metadata={
            "help": "With nothing configured (no data_dir, no $MTSQL_*_DIR) and nothing installed, run on the "
            "bundled sample dataset (said in a warning and in info['dataset']); a configured place without the "
            "release is an error."
        },
    )
    # Parameters that control episodes
    mode: str = field(
        default="dialogue",
        metadata={
            "help": "'dialogue': an episode is a whole dialogue and the agent's own answers enter the memory "
            "(what QM/IM measure). 'turn': an episode is one user turn with a given history (for training)."
        },
    )
    history: str | Mapping[str, Sequence[str]] = field(
        default="gold",
        metadata={
            "help": "Turn mode only: 'gold' (teacher forcing) or a mapping dialogue_id -> the SQL answered in "
            "each earlier turn (e.g. a model's predictions)."
        },
    )
    max_steps_per_turn: int = field(
        default=10,
        metadata={
            "help": "Agent steps allowed per user turn. On reaching it, turn mode truncates the episode; "
            "dialogue mode commits the current candidate (or an empty answer) and moves on."
        },
    )
    # Parameters that control rewards
    reward: str | RewardConfig | dict = field(
        default="process",
        metadata={"help": "'outcome', 'process', 'process_guarded', a RewardConfig, or a dict of weights."},
    )
    strict_eval: bool = field(
        default=False,
        metadata={"help": "Score EX/EM with the evaluator's strict mode (known official bugs fixed)."},
    )
    test_suite: str | None = field(
        default=None,
        metadata={
            "help": "Folder built by `mtsql testsuite build`: EX (and its reward) then needs the answer to match "
            "the gold on every database of <test_suite>/<db_id>/ (test-suite EX), not only the original. "
            "The agent's own queries still run on the original database."
        },
    )
    # Parameters that control what the agent sees
    feedback_max_chars: int = field(
        default=600,
        metadata={"help": "Tool feedback (result tables, reports) is cut to this many characters."},
    )
    feedback_max_rows: int = field(default=5, metadata={"help": "Result rows shown in execution feedback."})
    schema_sample_rows: int = field(
        default=2, metadata={"help": "Sample rows shown per table in the schema."}
    )
    schema_max_chars: int = field(default=8000, metadata={"help": "The rendered schema is cut to this size."})
    expose_gold: bool = field(
        default=False,
        metadata={"help": "Put the gold SQL in info['gold_sql'] (for debugging and oracles only)."},
    )
    # Parameters that control execution
    query_timeout_s: float = field(
        default=2.0,
        metadata={
            "help": "Time budget for all the SQL of one step or reset together (execution, scoring, memory, "
            "history); SQLite is interrupted when it runs out."
        },
    )
    max_sql_chars: int = field(
        default=4000,
        metadata={
            "help": "Longer SQL in an action is a format error (the longest CoSQL gold query has 514 characters)."
        },
    )
    max_result_rows: int = field(
        default=10_000, metadata={"help": "Rows fetched per query before truncating."}
    )
    result_cache_mb: float = field(
        default=4.0,
        metadata={
            "help": "Query results kept for reuse (estimated MB, least recently used out; 0 disables): the "
            "candidate run at execute is scored at answer without running again, and repeated SQL (GRPO "
            "groups, epochs) costs a lookup. The databases are read-only, so results cannot go stale."
        },
    )

    def __post_init__(self) -> None:
        self.benchmark = self.benchmark.lower()
        if self.benchmark not in ("cosql", "sparc"):
            raise ValueError(f"benchmark must be 'cosql' or 'sparc', not {self.benchmark!r}")
        if self.mode not in EPISODE_MODES:
            raise ValueError(f"mode must be one of {EPISODE_MODES}, not {self.mode!r}")
        if self.mode == "dialogue" and self.history != "gold":
            raise ValueError(
                "history is used in turn mode only; in dialogue mode the agent's own answers are the history"
            )
        if isinstance(self.history, str) and self.history != "gold":
            raise ValueError(
                f"history must be 'gold' or a mapping dialogue_id -> SQL list, not {self.history!r}"
            )
        if self.max_steps_per_turn < 1:
            raise ValueError(f"max_steps_per_turn must be at least 1, not {self.max_steps_per_turn}")
        if self.result_cache_mb < 0:
            raise ValueError(f"result_cache_mb must be >= 0, not {self.result_cache_mb}")
        if self.query_timeout_s <= 0:
            raise ValueError(f"query_timeout_s must be positive, not {self.query_timeout_s}")
        self.reward = RewardConfig.from_preset(self.reward)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> EnvConfig:
        """Build from ``gym.make`` keywords, naming any unknown keyword and the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise TypeError(f"unknown MTSQL env argument(s) {unknown}; known: {sorted(known)}")
        return cls(**kwargs)
