"""Reward presets and the per-turn bookkeeping that delivers them densely.

The two presets are the MTSQL-R1 formulas (design.md §1), per user turn:

- ``outcome``: ``EX + EM`` at the answer;
- ``process``: ``EX + EM + 0.1·R_execverify + 0.1·R_coherence + 0.8·R_gen``, where

  - R_execverify is the mean, over execution verdicts, of `exec_verify_score` (verdict *fail* on an
    error scores 1 and on an empty result 0.1; *pass* on a non-empty result scores 1; anything else 0);
  - R_coherence is the mean, over memory verdicts, of `coherence_score`: the clause-level F1 of the
    checked SQL against the gold when the verdict is *pass*, ``1 − F1`` when it is *fail*;
  - R_gen is the mean clause-level F1 of every SQL the agent proposed in the turn (propose, correct,
    and an answer that carries its own SQL).

Every component is delivered at the step where it arises. A mean changes whenever a new element
arrives, so the step reward is the change of the weighted mean; the changes telescope, and the sum of a
turn's step rewards equals the formula exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = [
    "COMPONENTS",
    "RewardConfig",
    "TurnRewards",
    "coherence_score",
    "exec_verify_score",
]

#: Names of the reward components, as they appear in ``info["reward_components"]``.
COMPONENTS = (
    "exec_match",
    "exact_match",
    "exec_verify",
    "coherence",
    "generation",
    "step_penalty",
    "format_penalty",
)


@dataclass
class RewardConfig:
    """Weights of each reward component; use `RewardConfig.outcome()` or `.process()` for the presets."""

    # Parameters that control the outcome reward (given at the answer)
    exec_match: float = field(default=1.0, metadata={"help": "Weight of EX (execution match, 0/1)."})
    exact_match: float = field(default=1.0, metadata={"help": "Weight of EM (exact set match, 0/1)."})
    # Parameters that control the process reward
    exec_verify: float = field(
        default=0.0, metadata={"help": "Weight of R_execverify (mean score of execution verdicts)."}
    )
    coherence: float = field(
        default=0.0, metadata={"help": "Weight of R_coherence (mean score of memory verdicts)."}
    )
    generation: float = field(
        default=0.0, metadata={"help": "Weight of R_gen (mean clause F1 of the turn's proposals)."}
    )
    # Shaping penalties, off in both presets
    step_penalty: float = field(
        default=0.0, metadata={"help": "Subtracted at every agent step (>= 0). Off in the presets."}
    )
    format_penalty: float = field(
        default=0.0, metadata={"help": "Subtracted at every format error (>= 0). Off in the presets."}
    )

    def __post_init__(self) -> None:
        for name in ("step_penalty", "format_penalty"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} is subtracted, so give it as a non-negative number, not {getattr(self, name)}")

    @classmethod
    def outcome(cls) -> RewardConfig:
        """``EX + EM`` at the answer."""
        return cls()

    @classmethod
    def process(cls) -> RewardConfig:
        """``EX + EM + 0.1·R_execverify + 0.1·R_coherence + 0.8·R_gen``."""
        return cls(exec_verify=0.1, coherence=0.1, generation=0.8)

    @classmethod
    def from_preset(cls, preset: str | RewardConfig | dict) -> RewardConfig:
        """Build from a preset name, a dict of weights, or return a config unchanged."""
        if isinstance(preset, RewardConfig):
            return preset
        if isinstance(preset, dict):
            return cls(**preset)
        presets = {"outcome": cls.outcome, "process": cls.process}
        if preset not in presets:
            raise ValueError(f"unknown reward preset {preset!r}; use 'outcome', 'process' or a dict of weights")
        return presets[preset]()

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def exec_verify_score(status: str, verdict: str) -> float:
    """Score of one verdict on execution feedback classed ``error``, ``empty`` or ``ok``.

    Example:
        >>> exec_verify_score("error", "fail"), exec_verify_score("empty", "fail"), exec_verify_score("ok", "pass")
        (1.0, 0.1, 1.0)
        >>> exec_verify_score("empty", "pass"), exec_verify_score("ok", "fail")
        (0.0, 0.0)
    """
    if verdict == "fail":
        return {"error": 1.0, "empty": 0.1}.get(status, 0.0)
    return 1.0 if status == "ok" else 0.0


def coherence_score(f1: float, verdict: str) -> float:
    """Score of one memory verdict: the checked SQL's clause F1 for *pass*, ``1 − F1`` for *fail*.

    Example:
        >>> coherence_score(0.75, "pass"), coherence_score(0.75, "fail")
        (0.75, 0.25)
    """
    return f1 if verdict == "pass" else 1.0 - f1


class _RunningMean:
    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    @property
    def value(self) -> float:
        return self.total / self.count if self.count else 0.0

    def add(self, score: float) -> float:
        """Add a score; return how much the mean moved."""
        before = self.value
        self.total += score
        self.count += 1
        return self.value - before


class TurnRewards:
    """Accumulates one turn's reward components and hands out dense, weighted step rewards."""

    def __init__(self, weights: RewardConfig) -> None:
        self.weights = weights
        self._means = {name: _RunningMean() for name in ("exec_verify", "coherence", "generation")}
        self.totals = dict.fromkeys(COMPONENTS, 0.0)

    def step(
        self,
        *,
        exec_verify: float | None = None,
        coherence: float | None = None,
        generation: float | None = None,
        exec_match: float | None = None,
        exact_match: float | None = None,
        format_error: bool = False,
    ) -> dict[str, float]:
        """Record what one step produced; return its weighted components (they sum to the step reward)."""
        weights = self.weights
        components = dict.fromkeys(COMPONENTS, 0.0)
        for name, score in (("exec_verify", exec_verify), ("coherence", coherence), ("generation", generation)):
            if score is not None:
                components[name] = getattr(weights, name) * self._means[name].add(score)
        if exec_match is not None:
            components["exec_match"] = weights.exec_match * exec_match
        if exact_match is not None:
            components["exact_match"] = weights.exact_match * exact_match
        if weights.step_penalty:
            components["step_penalty"] = -weights.step_penalty
        if format_error:
            components["format_penalty"] = -weights.format_penalty
        for name, value in components.items():
            self.totals[name] += value
        return components

    def raw_means(self) -> dict[str, float]:
        """The unweighted R_execverify, R_coherence and R_gen of the turn so far."""
        return {name: mean.value for name, mean in self._means.items()}
