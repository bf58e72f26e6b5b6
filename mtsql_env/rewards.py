"""Reward presets and the per-turn bookkeeping that delivers them densely.

The two presets are the MTSQL-R1 formulas (arXiv 2510.12831), per user turn:

- ``outcome``: ``EX + EM`` at the answer;
- ``process``: ``EX + EM + 0.1·R_execverify + 0.1·R_coherence + 0.8·R_gen``, where

  - R_execverify is the mean, over execution verdicts, of `exec_verify_score` (verdict *fail* on an
    error scores 1 and on an empty result 0.1; *pass* on a non-empty result scores 1; anything else 0);
  - R_coherence is the mean, over memory verdicts, of `coherence_score`: the clause-level F1 of the
    checked SQL against the gold when the verdict is *pass*, ``1 − F1`` when it is *fail*;
  - R_gen is the mean clause-level F1 of every SQL the agent proposed in the turn (propose, correct,
    and an answer that carries its own SQL).

**The paper's ``process`` preset can be farmed without ever being right.** Its verification scores
reward *recognising* a bad query, and a query the agent made bad on purpose is easy to recognise:
propose junk SQL (R_gen 0), judge its execution *fail* (it errors: R_execverify 1), judge it against
memory *fail* (F1 0, so R_coherence ``1 − 0 = 1``), answer anything. That is ``0.1 + 0.1 = 0.200`` per
turn with EX = EM = 0, on every turn. ``process`` keeps this floor (it is the published formula; see
docs/safety.md). The preset ``process_guarded`` removes it:

- ``process_guarded``: ``EX + EM + g·(0.1·R_execverify + 0.1·R_coherence + 0.8·R_gen)`` with the gate
  ``g = 1`` when the turn's answer is right (EX or EM) and ``0`` otherwise. A turn whose gold SQL
  itself fails (a known annotation error: nobody can be right) keeps the gate open, so ``g`` never
  punishes the data's mistakes.

The process terms become a bonus for *how* a correct answer was reached (proposals close to the gold
from the start, honest verdicts, a repaired mistake that was caught), so among correct turns it still
ranks good process above flailing, and it can never pay a turn that ends wrong: an agent that is never
right earns 0 per turn, and the oracle (always right) earns exactly what ``process`` pays it. Gated
terms are held back and paid at the answer step (a turn cut off without an answer forfeits them), so
they are less dense than under ``process``.

Every component is delivered at the step where it arises (under ``process_guarded``, the gated ones at
the answer). A mean changes whenever a new element
arrives, so the step reward is the change of the weighted mean; the changes telescope, and the sum of a
turn's step rewards equals the formula exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = [
    "COMPONENTS",
    "PRESETS",
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
#: The process terms, gated by ``RewardConfig.gate_process``.
PROCESS_TERMS = ("exec_verify", "coherence", "generation")
#: Names accepted by `RewardConfig.from_preset`.
PRESETS = ("outcome", "process", "process_guarded")


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
    gate_process: bool = field(
        default=False,
        metadata={
            "help": "Pay R_execverify, R_coherence and R_gen only in turns answered right (EX or EM), at the "
            "answer: they cannot be farmed by a blind agent (preset process_guarded)."
        },
    )
    # Shaping penalties, off in the presets
    step_penalty: float = field(
        default=0.0, metadata={"help": "Subtracted at every agent step (>= 0). Off in the presets."}
    )
    format_penalty: float = field(
        default=0.0, metadata={"help": "Subtracted at every format error (>= 0). Off in the presets."}
    )

    def __post_init__(self) -> None:
        for name in ("step_penalty", "format_penalty"):
            if getattr(self, name) < 0:
                raise ValueError(
                    f"{name} is subtracted, so give it as a non-negative number, not {getattr(self, name)}"
                )

    @classmethod
    def outcome(cls) -> RewardConfig:
        """``EX + EM`` at the answer."""
        return cls()

    @classmethod
    def process(cls) -> RewardConfig:
        """``EX + EM + 0.1·R_execverify + 0.1·R_coherence + 0.8·R_gen``."""
        return cls(exec_verify=0.1, coherence=0.1, generation=0.8)

    @classmethod
    def process_guarded(cls) -> RewardConfig:
        """``EX + EM + g·(0.1·R_execverify + 0.1·R_coherence + 0.8·R_gen)``, ``g`` = the turn is right."""
        return cls(exec_verify=0.1, coherence=0.1, generation=0.8, gate_process=True)

    @classmethod
    def from_preset(cls, preset: str | RewardConfig | dict) -> RewardConfig:
        """Build from a preset name, a dict of weights, or return a config unchanged."""
        if isinstance(preset, RewardConfig):
            return preset
        if isinstance(preset, dict):
            return cls(**preset)
        presets = {"outcome": cls.outcome, "process": cls.process, "process_guarded": cls.process_guarded}
        if preset not in presets:
            names = ", ".join(repr(name) for name in PRESETS)
            raise ValueError(f"unknown reward preset {preset!r}; use {names} or a dict of weights")
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

    def copy(self) -> _RunningMean:
        twin = _RunningMean()
        twin.total, twin.count = self.total, self.count
        return twin

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
        self._means = {name: _RunningMean() for name in PROCESS_TERMS}
        self.totals = dict.fromkeys(COMPONENTS, 0.0)
        self._held = dict.fromkeys(PROCESS_TERMS, 0.0)  # gated terms earned, not yet paid

    def step(
        self,
        *,
        exec_verify: float | None = None,
        coherence: float | None = None,
        generation: float | None = None,
        exec_match: float | None = None,
        exact_match: float | None = None,
        gold_error: bool = False,
        format_error: bool = False,
    ) -> dict[str, float]:
        """Record what one step produced; return its weighted components (they sum to the step reward)."""
        weights = self.weights
        components = dict.fromkeys(COMPONENTS, 0.0)
        for name, score in (
            ("exec_verify", exec_verify),
            ("coherence", coherence),
            ("generation", generation),
        ):
            if score is not None:
                components[name] = getattr(weights, name) * self._means[name].add(score)
        if weights.gate_process:  # hold the process terms until the answer shows whether they are earned
            for name in PROCESS_TERMS:
                self._held[name] += components[name]
                components[name] = 0.0
            if exec_match is not None or exact_match is not None:
                right = bool(exec_match) or bool(exact_match) or gold_error
                for name in PROCESS_TERMS:
                    components[name] = self._held[name] if right else 0.0
                    self._held[name] = 0.0
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

    def copy(self) -> TurnRewards:
        """An independent copy of the turn so far (the env restores one when a step fails half-way)."""
        twin = TurnRewards.__new__(TurnRewards)
        twin.weights = self.weights
        twin._means = {name: mean.copy() for name, mean in self._means.items()}
        twin.totals, twin._held = dict(self.totals), dict(self._held)
        return twin

    def raw_means(self) -> dict[str, float]:
        """The unweighted R_execverify, R_coherence and R_gen of the turn so far."""
        return {name: mean.value for name, mean in self._means.items()}
