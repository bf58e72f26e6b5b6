"""`MTSQLToolEnv`: the mtsql environment in the shape TRL's ``GRPOTrainer(environment_factory=...)`` expects.

TRL's contract (trl 1.16, ``GRPOTrainer`` docstring): the factory is called with no argument and returns one
object per concurrent rollout (instances are pooled and reused); ``reset(**row)`` gets the dataset row and
returns ``None`` or text appended to the last user message; every other public method is a tool, described
to the model from its type hints and Google-style docstring; an optional ``get_reward() -> float`` scores
the finished rollout. So this class has exactly five public methods besides those two: ``propose``,
``execute``, ``verify``, ``correct`` and ``answer`` — the env's action kinds. Everything else is private
or an attribute (a public helper method would be shown to the model as a sixth tool).

Each tool call is one ``env.step`` with a typed action (a dict the env parses); the tool returns the env's
feedback text. Bad arguments (an unknown verify target, non-text SQL) are the env's format errors. A call that breaks the protocol (verify before execute, a second propose, ...) returns the
env's format-error feedback, as it would for a text action. ``get_reward`` is the sum of the env's step
rewards, i.e. the preset's turn total (``process`` or ``outcome``); the components behind it stay in
`MTSQLToolEnv.components` for logging (`mtsql_trainers.grpo.component_reward_funcs`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable
from typing import Any, Literal

from mtsql_env.rewards import COMPONENTS

logger = logging.getLogger(__name__)

__all__ = [
    "ENDED_FEEDBACK",
    "TOOL_NAMES",
    "AsyncMTSQLToolEnv",
    "MTSQLToolEnv",
    "make_environment_factory",
    "scripted_tool_conversation",
    "tool_schemas",
]

#: The tool methods, in the env's action order.
TOOL_NAMES = ("propose", "execute", "verify", "correct", "answer")

#: What a tool returns once the rollout's episode is over (the env is not stepped again).
ENDED_FEEDBACK = "The turn is over: no further tool calls are needed."


class MTSQLToolEnv:
    """One rollout's environment: a turn-mode (or dialogue-mode) `mtsql_env.MTSQLEnv` behind tool methods.

    Args:
        env_id: registered id, ``"MTSQL-CoSQL-v0"`` or ``"MTSQL-SParC-v0"``.
        **env_kwargs: ``gym.make`` keywords (``data_dir``, ``split``, ``mode``, ``reward``, ...).

    Attributes (read by reward-logging functions after a rollout):
        reward: the sum of the env's rewards so far (what `get_reward` returns).
        components: the weighted reward components summed over the rollout (they add up to ``reward``).
        turn_results: ``info["turn_result"]`` of every answered turn.
        steps, format_errors, calls_after_end: counts over the rollout.
        done: the episode ended (answer in turn mode, last answer in dialogue mode, or truncation).
    """

    def __init__(self, env_id: str = "MTSQL-CoSQL-v0", **env_kwargs: Any) -> None:
        import gymnasium as gym

        import mtsql_env  # noqa: F401 - registers the ids

        env_kwargs.setdefault("mode", "turn")
        self._env = gym.make(env_id, **env_kwargs)
        self._clear()

    # --- TRL's contract ----------------------------------------------------------------------------

    def reset(self, **row: Any) -> str | None:
        """Start the episode a dataset row names (``dialogue_id``, and ``turn`` in turn mode).

        Returns None when the row carries its ``prompt`` (built from this same observation by
        `mtsql_trainers.datasets`), else the first observation, which TRL appends to the prompt.
        A row with neither ``dialogue_id`` nor ``index`` gets a random episode from ``seed`` (if any).
        """
        options: dict[str, Any] = {}
        if row.get("dialogue_id") is not None:
            options["dialogue_id"] = row["dialogue_id"]
            if row.get("turn") is not None and self._env.unwrapped.config.mode == "turn":
                options["turn"] = int(row["turn"])
        elif row.get("index") is not None:
            options["index"] = int(row["index"])
        observation, info = self._env.reset(seed=row.get("seed"), options=options)
        self._clear()
        self.info = info
        return None if row.get("prompt") else observation

    def get_reward(self) -> float:
        """The rollout's reward under the env's preset: the sum of its step rewards."""
        return self.reward

    # --- Tools (the env's actions) -----------------------------------------------------------------

    def propose(self, sql: str) -> str:
        """Set the candidate SQL query for the current question (only when there is no candidate yet).

        Args:
            sql: One SQLite SELECT query answering the current question.

        Returns:
            Confirmation, or why the action was not allowed.
        """
        return self._step({"kind": "propose", "sql": sql})

    def execute(self, sql: str | None = None) -> str:
        """Run the candidate query (or another query, as a probe) on the database and show the result.

        Args:
            sql: A query to probe with; omit it to run the current candidate.

        Returns:
            The result rows, an error with its class, or an empty result.
        """
        return self._step({"kind": "execute", "sql": sql})

    def verify(
        self, target: Literal["execution", "memory"], verdict: Literal["pass", "fail"] | None = None
    ) -> str:
        """Check the candidate: its last execution, or its coherence with the earlier turns of the dialogue.

        Args:
            target: "execution" to judge the last execution result, "memory" to compare with earlier turns.
            verdict: Your judgement, "pass" or "fail"; omit it to only see the check.

        Returns:
            The check (for memory: what the candidate keeps, drops or changes) and the recorded verdict.
        """
        return self._step({"kind": "verify", "target": target, "verdict": verdict})

    def correct(self, sql: str) -> str:
        """Replace the candidate query after a failed check.

        Args:
            sql: The corrected SQLite SELECT query.

        Returns:
            Confirmation, or why the action was not allowed.
        """
        return self._step({"kind": "correct", "sql": sql})

    def answer(self, sql: str | None = None) -> str:
        """Commit the answer to the current question; this ends the turn.

        Args:
            sql: The final query; omit it to commit the current candidate.

        Returns:
            Confirmation (and, when the dialogue goes on, the next question).
        """
        return self._step({"kind": "answer", "sql": sql})

    # --- Internals ---------------------------------------------------------------------------------

    def _clear(self) -> None:
        self.reward = 0.0
        self.components = dict.fromkeys(COMPONENTS, 0.0)
        self.turn_results: list[dict[str, Any]] = []
        self.steps = 0
        self.format_errors = 0
        self.calls_after_end = 0
        self.done = False
        self.truncated = False
        self.info: dict[str, Any] = {}

    def _step(self, action: dict[str, Any]) -> str:
        # A dict, not an `Action`: the env parses it, so bad arguments (an unknown target, SQL that is not
        # text) become the env's format-error feedback and count, as they would in a text reply.
        if self.done:
            self.calls_after_end += 1
            return ENDED_FEEDBACK
        observation, reward, terminated, truncated, info = self._env.step(action)
        self.steps += 1
        self.reward += float(reward)
        for name, value in info["reward_components"].items():
            self.components[name] = self.components.get(name, 0.0) + float(value)
        self.format_errors += info["format_error"] is not None
        if info["turn_result"]:
            self.turn_results.append(info["turn_result"])
        self.done = bool(terminated or truncated)
        self.truncated = bool(truncated)
        self.info = info
        return observation

    def _close(self) -> None:
        self._env.close()


def tool_schemas() -> list[dict[str, Any]]:
    """The JSON schemas TRL shows the model for `MTSQLToolEnv`'s tools, in its order (by name: TRL lists an
    environment's methods with `inspect.getmembers`), from their type hints and docstrings.

    A warm start written with these (`mtsql_trainers.sft`, scripted teachers in native tool mode) trains on
    the very prompt GRPO's environment mode renders. They word the tools differently from
    `mtsql_env.actions.TOOL_SCHEMAS`, which the LLM agents use.
    """
    from transformers.utils import get_json_schema

    return [get_json_schema(getattr(MTSQLToolEnv, name)) for name in sorted(TOOL_NAMES)]


def scripted_tool_conversation(
    row: dict[str, Any], calls: list[tuple[str, dict[str, Any]]], env: MTSQLToolEnv
) -> tuple[list[dict[str, Any]], list[float]]:
    """Play scripted tool calls on ``env`` for a training row, as TRL's tool loop would record them.

    The conversation is the row's ``prompt`` followed, per call, by the assistant's tool call and the
    ``tool`` message with the env's feedback: with ``tools=tool_schemas()`` it is an SFT example whose prompt
    and replies are the ones GRPO's environment mode renders (a warm start for a policy that must learn the
    protocol first). Calls after the episode ended get `ENDED_FEEDBACK`, as in TRL's loop.

    Args:
        row: a training row (`mtsql_trainers.datasets.turn_rows`), with its ``prompt``.
        calls: ``(tool name, arguments)`` pairs, e.g. ``[("propose", {"sql": ...}), ("answer", {})]``.
        env: the environment to play them on (reset here with the row).

    Returns:
        The messages, and the env's reward after each call.
    """
    env.reset(**row)
    messages = [dict(m) for m in row["prompt"]]
    rewards: list[float] = []
    for index, (name, arguments) in enumerate(calls):
        if name not in TOOL_NAMES:
            raise ValueError(f"unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}")
        before = env.reward
        feedback = getattr(env, name)(**arguments)
        rewards.append(env.reward - before)
        function = {"name": name, "arguments": json.dumps(arguments)}  # text: a dataset keeps it as is
        call = {"id": f"call_{index}", "type": "function", "function": function}
        messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        messages.append({"role": "tool", "name": name, "content": feedback})
    return messages, rewards


def _in_thread(tool: Callable[..., str]) -> Callable[..., Any]:
    """The coroutine twin of a sync tool: same name, signature and docstring (so the same tool schema)."""

    @functools.wraps(tool)
    async def run(self: AsyncMTSQLToolEnv, *args: Any, **kwargs: Any) -> str:
        async with self._step_lock:  # one env: calls gathered together still step in the order they came
            return await asyncio.to_thread(tool, self, *args, **kwargs)

    return run


class AsyncMTSQLToolEnv(MTSQLToolEnv):
    """`MTSQLToolEnv` whose tools are coroutines that run the env's step (and its SQL) in a worker thread.

    TRL runs async tools on its event loop with ``asyncio.gather``; in TRL 1.16 ``_tool_call_loop`` gathers
    the calls of *one* completion only, and goes through the batch's completions one after another. A
    completion's calls are steps of one env, which must stay in order, so there they do not overlap; what
    this class buys there is a free event loop. Code that gathers across rollouts (``asyncio.gather`` over
    many envs' tools, TRL's async GRPO harness) gets their SQL running in parallel.
    """

    def __init__(self, env_id: str = "MTSQL-CoSQL-v0", **env_kwargs: Any) -> None:
        super().__init__(env_id, **env_kwargs)
        self._step_lock = asyncio.Lock()

    propose = _in_thread(MTSQLToolEnv.propose)
    execute = _in_thread(MTSQLToolEnv.execute)
    verify = _in_thread(MTSQLToolEnv.verify)
    correct = _in_thread(MTSQLToolEnv.correct)
    answer = _in_thread(MTSQLToolEnv.answer)


def make_environment_factory(
    env_id: str = "MTSQL-CoSQL-v0", *, async_tools: bool = False, **env_kwargs: Any
) -> Callable[[], MTSQLToolEnv]:
    """A zero-argument factory for ``GRPOTrainer(environment_factory=...)``; each call builds one env.

    ``async_tools=True`` builds `AsyncMTSQLToolEnv` (coroutine tools that run their SQL in a thread).

    Example:
        >>> factory = make_environment_factory(data_dir="sample", split="train")
        >>> env = factory()
        >>> env.reset(dialogue_id="train-0000", turn=0).splitlines()[-1]
        'Show all branch names and their cities.'
        >>> env.propose("SELECT name, city FROM branch")
        'Candidate set. Execute it with <execute/>.'
        >>> env.answer(), env.get_reward(), env.done
        ('Answer committed.', 2.8, True)
    """
    return functools.partial(AsyncMTSQLToolEnv if async_tools else MTSQLToolEnv, env_id, **env_kwargs)
