"""`MTSQLEnv`: multi-turn Text-to-SQL as a long-horizon Gymnasium MDP."""

from __future__ import annotations

import logging
import numbers
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

from .actions import Action, ActionKind, ActionParseError, Target, parse_action
from .config import EnvConfig
from .datasets import load_dataset, load_sample
from .evaluation.evaluator import Evaluator, EvaluatorConfig
from .executor import ExecutionResult, ExecutorConfig, SQLiteExecutor
from .info import INFO_KEYS
from .memory import DialogueMemory, MemoryEntry
from .prompts import INSTRUCTIONS
from .records import Dataset, Dialogue
from .result_cache import ResultCache
from .rewards import TurnRewards, coherence_score, exec_verify_score
from .schema_text import render_schema
from .spaces import UnicodeText
from .sql import clause_f1

logger = logging.getLogger(__name__)

__all__ = ["MTSQLEnv", "INFO_KEYS", "TEXT_CHARSET", "MAX_OBSERVATION_CHARS", "MAX_ACTION_CHARS"]

#: Every Unicode character of the Basic Multilingual Plane except surrogates: wide enough for SQL,
#: prose and database values in any script. Rarer characters are shown as U+FFFD.
TEXT_CHARSET = "".join(chr(i) for i in range(0x10000) if not 0xD800 <= i <= 0xDFFF)
_CHARSET_SET = frozenset(TEXT_CHARSET)
MAX_OBSERVATION_CHARS = 65_536
MAX_ACTION_CHARS = 16_384


def _int_option(options: Mapping[str, Any], name: str) -> int:
    """A reset option that must be an integer (``True`` and ``1.7`` are refused, not coerced)."""
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # ValueError, not TypeError: every bad option is one kind of error for the caller
        raise ValueError(f"reset option {name} must be an integer, not {value!r}"[:200])  # noqa: TRY004
    return int(value)


def _fit_text(text: str, limit: int) -> str:
    """Cut to ``limit`` characters and replace characters outside `TEXT_CHARSET`."""
    if len(text) > limit:
        text = text[: limit - 20] + "\n[message cut]"
    if not _CHARSET_SET.issuperset(text):
        text = "".join(c if c in _CHARSET_SET else "\ufffd" for c in text)
    return text


@dataclass
class _TurnState:
    """What the agent has done so far in the current user turn."""

    candidate: str | None = None
    candidate_result: ExecutionResult | None = None  # execution of the current candidate, if run
    steps: int = 0


class _OrderError(Exception):
    """An action that is valid text but not allowed now; shown to the agent as a format error.

    Its messages name actions in words, never as complete tags, so feedback copied back is no action.
    """


class MTSQLEnv(gym.Env[str, str]):
    """Multi-turn Text-to-SQL over whole CoSQL / SParC dialogues.

    ## Description
    A user asks a sequence of related questions about one SQLite database. For each question the agent
    cycles **Propose → Execute → Verify → Correct** and then **Answers** with one SQL query; the next
    question follows. The agent talks to (i) the database, for execution feedback, and (ii) a persistent
    dialogue memory of earlier turns (questions, answered SQL, result previews), for coherence checks.
    This reproduces the MDP of MTSQL-R1 (arXiv 2510.12831).

    ## Action Space
    `Text`: a model's reply. Typed actions (`mtsql_env.actions.Action` or a dict) are accepted too.
    Five kinds, in the tag grammar (thinking may precede; the first action in a reply is taken):

    - `<propose>SQL</propose>`: set the candidate (only when there is none; else use correct)
    - `<execute/>` or `<execute>SQL</execute>`: run the candidate, or probe with another query
    - `<verify target="execution|memory" verdict="pass|fail"/>`: judge the last execution of the
      candidate, or its coherence with memory (the reply is the memory check); no verdict = just look
    - `<correct>SQL</correct>`: replace the candidate
    - `<answer/>` or `<answer>SQL</answer>`: commit the turn's SQL

    The same actions as JSON tool calls: `{"name": "execute", "arguments": {"sql": "..."}}`, bare or in
    `<tool_call>...</tool_call>` (schemas: `mtsql_env.actions.TOOL_SCHEMAS`). A reply with no valid
    action, or an action out of order, gets feedback saying why and counts as a format error; it never
    raises.

    ## Observation Space
    `Text` (every BMP character, up to 65,536 characters): the next message to the model. After reset:
    the instructions, the schema (typed columns, keys, sample rows), the dialogue so far and the
    question. After each step: the tool feedback (result rows, an error with its class, an empty result,
    a memory check), and after an answer the next question.

    ## Rewards
    Per user turn, preset `process` (default): `EX + EM + 0.1·R_execverify + 0.1·R_coherence +
    0.8·R_gen`; preset `outcome`: `EX + EM`; preset `process_guarded`: the process terms paid only in
    turns answered right, so they cannot be farmed (see `mtsql_env.rewards` and docs/safety.md).
    Components arrive densely, at the step where each arises, and sum to the formula over the turn;
    each is in `info`.

    ## Starting State
    `reset(seed=...)` picks a dialogue (mode `dialogue`) or a (dialogue, turn) pair (mode `turn`)
    with `self.np_random`. `options` may pick one: `{"dialogue_id": str}` or `{"index": int}`, plus
    `{"turn": int}` in turn mode.

        >>> import gymnasium as gym
        >>> env = gym.make("mtsql_env:MTSQL-CoSQL-v0", data_dir="sample")
        >>> obs, info = env.reset(options={"index": 0})
        >>> info["dataset"], info["db_id"], info["question"]
        ('sample', 'library_lending', 'How many books does the library have?')
        >>> obs, reward, terminated, truncated, info = env.step("<propose>SELECT count(*) FROM book</propose>")
        >>> obs, round(reward, 2)
        ('Candidate set. Execute it with <execute/>.', 0.8)

    ## Episode End
    - Termination: the agent answered the last turn of the dialogue (dialogue mode) or the turn (turn mode).
    - Truncation (turn mode): `max_steps_per_turn` steps without an answer; `info["truncation_reason"]`
      says so. In dialogue mode the step limit instead commits the candidate (or an empty answer) and
      moves to the next question, so a dialogue is always scored whole. The env owns this per-turn
      limit; a whole-episode limit is the `max_episode_steps` of `gym.make`.

    ## Arguments
    Every field of `mtsql_env.config.EnvConfig`, as a `gym.make` keyword, plus `render_mode`
    (`"ansi"` returns the transcript, `"human"` prints it).

    ## Information
    - `dataset`: where the data came from: `cosql`, `sparc` or `sample` (the bundled sample)
    - `split`, `mode`, `dialogue_id`, `db_id`: the episode's data
    - `turn_index` (0-based), `num_turns`, `question`: the current user turn
    - `steps_in_turn`: agent steps taken in this turn
    - `candidate_sql`: the current candidate, or None
    - `action`: the parsed action of this step as a tool-call dict (`{"name": ..., "arguments": ...}`), or `{}`
    - `execution`: the last execution's `status`, `error`, `message`, `columns`, `row_count`, `truncated`, or `{}`
    - `reward_components`: this step's weighted components (they sum to the step reward)
    - `turn_reward_components`: their running totals over the current turn
    - `format_error`: this step's format error message, or None; `format_errors`: count in the episode
    - `ignored_actions`: further actions in this step's reply that were not taken
    - `turn_result`: at an answer step, `{turn_index, sql, exact, exec, hardness, gold_error, forced}`, else `{}`

    Values keep one type from step to step (dicts stay dicts, possibly empty), so Gymnasium's vector envs can
    merge them.
    - `truncation_reason`: why the episode was truncated, or None
    - `gold_sql`: the current turn's gold SQL when `expose_gold=True`, else None

    Rewards, `turn_result` and `gold_sql` are computed from the gold: a policy must not see them. The
    runners give agents `mtsql_env.info.agent_info(info)` (`AGENT_INFO_KEYS`) instead of `info`.

    ## Guarantees
    Whatever the agent sends, `step` returns (no exception), a step that fails half-way is undone, and no
    database file changes; SQL nested deeper than `mtsql_env.sql.parsing.MAX_NESTING` brackets is run by
    SQLite and scored by the evaluator but counts as unparseable for the clause analysis. See
    docs/safety.md for every limit and attack class.

    ## Version History
    * v0: initial release.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self, render_mode: str | None = None, config: EnvConfig | None = None, **kwargs: Any
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}"
            )
        self.render_mode = render_mode
        self.config = config if config is not None else EnvConfig.from_kwargs(**kwargs)
        cfg = self.config
        if cfg.data_dir == "sample":
            self.dataset: Dataset = load_sample(cfg.split)
        else:
            self.dataset = load_dataset(
                cfg.benchmark,
                cfg.split,
                cfg.data_dir,
                skip_missing_databases=cfg.skip_missing_databases,
                fallback_to_sample=cfg.fallback_to_sample,
            )
        if not self.dataset.dialogues:
            raise ValueError(f"{self.dataset.source} {cfg.split} has no dialogues to play")
        self.observation_space = UnicodeText(MAX_OBSERVATION_CHARS, min_length=0, charset=TEXT_CHARSET)
        self.action_space = UnicodeText(MAX_ACTION_CHARS, min_length=0, charset=TEXT_CHARSET)
        self.reward_config = cfg.reward
        # One result cache for the agent's queries and the evaluator's: a candidate executed at `execute`
        # is not run again when it is scored at `answer`.
        results = ResultCache(int(cfg.result_cache_mb * 2**20)) if cfg.result_cache_mb > 0 else None
        executor_config = ExecutorConfig(timeout_s=cfg.query_timeout_s, max_rows=cfg.max_result_rows)
        self._executor = SQLiteExecutor(executor_config, cache=results)
        # Scoring fetches under the executor's byte cap (memory stays bounded), not its row cap: a few golds
        # return more rows than the agent is shown (15,169 in CoSQL dev), and EX compares results whole.
        self._evaluator = Evaluator(
            self._scoring_databases(),
            self.dataset.tables_path,
            EvaluatorConfig(
                strict=cfg.strict_eval, timeout_s=cfg.query_timeout_s, max_bytes=executor_config.max_bytes
            ),
            result_cache=results,
        )
        # Every query of one step (or reset) shares one budget of query_timeout_s: see _time_left.
        self._deadline = float("inf")
        # Episodes: whole dialogues, or every (dialogue, turn) pair.
        dialogues = self.dataset.dialogues
        if cfg.mode == "dialogue":
            self._episodes = [(i, 0) for i in range(len(dialogues))]
        else:
            self._episodes = [(i, t) for i, d in enumerate(dialogues) for t in range(len(d.turns))]
        self._dialogue_index = {d.dialogue_id: i for i, d in enumerate(dialogues)}
        self._schema_text: dict[str, str] = {}
        self._dialogue: Dialogue | None = None
        self._closed = False

    def _scoring_databases(self) -> Path:
        """Where EX runs: the dataset's databases, or the test suite (checked to cover every database)."""
        if self.config.test_suite is None:
            return Path(self.dataset.database_dir)
        suite = Path(self.config.test_suite).expanduser()
        db_ids = sorted({d.db_id for d in self.dataset.dialogues})
        missing = [d for d in db_ids if not (suite / d / f"{d}.sqlite").is_file()]
        if missing:
            raise ValueError(
                f"test_suite {suite} lacks {len(missing)} of the {len(db_ids)} databases ({', '.join(missing[:5])}"
                f"{', ...' if len(missing) > 5 else ''}): build it with `mtsql testsuite build` for this split"
            )
        return suite

    @property
    def num_episodes(self) -> int:
        """How many distinct episodes there are: dialogues, or (dialogue, turn) pairs in turn mode."""
        return len(self._episodes)

    # --- Gymnasium API ----------------------------------------------------------------------------

    def step(self, action: str | Action | Mapping[str, Any]) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._dialogue is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._done:
            logger.warning("step() called after the episode ended; call reset()")
            info = self._get_info(format_error="the episode has ended; call reset()")
            return self._observe("The episode has ended."), 0.0, True, False, info
        snapshot = self._snapshot()
        self._turn.steps += 1
        self._deadline = time.perf_counter() + self.config.query_timeout_s
        scores: dict[str, Any] = {}
        format_error = None
        parsed, ignored = None, 0
        turn_result = None
        feedback = ""
        try:
            try:
                if isinstance(action, str) and len(action) > MAX_ACTION_CHARS:
                    raise ActionParseError(f"the reply is longer than {MAX_ACTION_CHARS} characters")
                parsed, ignored = parse_action(action)
                limit = self.config.max_sql_chars
                if parsed.sql is not None and len(parsed.sql) > limit:
                    raise ActionParseError(f"the SQL is longer than max_sql_chars={limit}")
                feedback, scores, turn_result = self._apply(parsed)
            except (ActionParseError, _OrderError) as err:
                format_error = str(err)
                feedback = f"Format error: {format_error}"
            at_limit = turn_result is None and self._turn.steps >= self.config.max_steps_per_turn
            if at_limit and self.config.mode != "turn":
                # Dialogue mode: commit what there is, so the dialogue is scored whole. One reward step
                # for both (the step penalty is charged once).
                extra_feedback, extra_scores, turn_result = self._answer(
                    self._turn.candidate or "", forced=True
                )
                scores = {**scores, **extra_scores}
                feedback += f"\nStep limit reached: {extra_feedback}"
        except Exception as err:  # never let an agent's input crash the episode; undo what was half done
            logger.exception("step failed on action %r; the step is undone", self._action_text(action))
            self._restore(snapshot)
            self._turn.steps += 1
            scores, parsed, ignored, turn_result = {}, None, 0, None
            format_error = f"the action could not be carried out ({type(err).__name__}); try another one"
            feedback = f"Format error: {format_error}"
        if format_error is not None:
            self._format_errors += 1
        components = self._rewards.step(format_error=format_error is not None, **scores)
        terminated = truncated = False
        truncation_reason = None
        if turn_result is None and self._turn.steps >= self.config.max_steps_per_turn:
            truncated = True  # turn mode (dialogue mode committed a forced answer above)
            truncation_reason = f"no answer within max_steps_per_turn={self.config.max_steps_per_turn}"
            feedback += "\nStep limit reached without an answer."
        turn_components = dict(self._rewards.totals)
        if turn_result is not None:
            terminated = self._advance_turn()
            if not terminated:
                feedback += "\n" + self._turn_intro()
        self._done = terminated or truncated
        reward = float(sum(components.values()))
        self._transcript.append(f"> {self._action_text(action)}\n{feedback}")
        info = self._get_info(
            action=parsed,
            components=components,
            turn_components=turn_components,
            format_error=format_error,
            ignored=ignored,
            turn_result=turn_result,
            truncation_reason=truncation_reason,
        )
        if self.render_mode == "human":
            self.render()
        return self._observe(feedback), reward, terminated, truncated, info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self._deadline = time.perf_counter() + self.config.query_timeout_s
        dialogue_idx, turn_idx = self._choose_episode(
            {key: value for key, value in (options or {}).items() if value is not None}
        )
        self._dialogue = self.dataset.dialogues[dialogue_idx]
        self._db_path = os.path.abspath(self.dataset.db_path(self._dialogue.db_id))
        self._turn_index = turn_idx
        self._last_turn = turn_idx if self.config.mode == "turn" else len(self._dialogue.turns) - 1
        self._memory = DialogueMemory(self.dataset.schemas[self._dialogue.db_id])
        for t in range(turn_idx):  # turn mode: the given history fills the memory
            sql = self._history_sql(t)
            self._memory.add(self._memory_entry(t, sql, self._run(sql)))
        self._format_errors = 0
        self._done = False
        self._start_turn()
        header = (
            f"{INSTRUCTIONS}\n\n## Schema\n{self._schema(self._dialogue.db_id)}\n\n"
            f"## Dialogue so far\n{self._memory.render()}\n\n"
        )
        text = header + self._turn_intro()
        self._transcript = [text]
        if self.render_mode == "human":
            self.render()
        return self._observe(text), self._get_info()

    def render(self) -> str | None:
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; pass render_mode='ansi' or 'human' to gym.make"
            )
            return None
        text = "\n\n".join(getattr(self, "_transcript", []))
        if self.render_mode == "ansi":
            return text
        last = self._transcript[-1] + "\n\n" if getattr(self, "_transcript", None) else ""
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        sys.stdout.write(last.encode(encoding, errors="replace").decode(encoding))  # any terminal can show it
        return None

    def close(self) -> None:
        if not self._closed:
            self._executor.close()
            self._closed = True

    # --- Actions ----------------------------------------------------------------------------------

    def _apply(self, action: Action) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Carry out a parsed action: (feedback, reward scores for TurnRewards, turn result or None)."""
        turn = self._turn
        kind = action.kind
        if kind is ActionKind.PROPOSE:
            if turn.candidate is not None:
                raise _OrderError("there is already a candidate; replace it with a correct action")
            scores = {"generation": self._gen(action.sql)}  # scored before the state changes
            return self._set_candidate(action.sql, "Candidate set"), scores, None
        if kind is ActionKind.CORRECT:
            if turn.candidate is None:
                raise _OrderError("nothing to correct yet; start with a propose action")
            scores = {"generation": self._gen(action.sql)}
            return self._set_candidate(action.sql, "Candidate corrected"), scores, None
        if kind is ActionKind.EXECUTE:
            sql = action.sql or turn.candidate
            if sql is None:
                raise _OrderError(
                    "no candidate to execute; propose one first, or give the SQL inside the execute tag"
                )
            result = self._run(sql)
            self._last_execution = result
            if sql == turn.candidate:
                turn.candidate_result = result
                return self._execution_feedback(result), {}, None
            return "(probe, the candidate is unchanged) " + self._execution_feedback(result), {}, None
        if kind is ActionKind.VERIFY:
            return self._verify(action)
        return self._answer(action.sql or turn.candidate, forced=False, given=action.sql)

    def _verify(self, action: Action) -> tuple[str, dict[str, Any], None]:
        turn = self._turn
        if turn.candidate is None:
            raise _OrderError("nothing to verify yet; start with a propose action")
        verdict = action.verdict.value if action.verdict else None
        if action.target is Target.EXECUTION:
            result = turn.candidate_result
            if result is None:
                raise _OrderError("the candidate has not been executed; use <execute/> first")
            if verdict is None:
                return (
                    f"Execution check: the result is {result.status}. State a verdict: pass or fail.",
                    {},
                    None,
                )
            score = exec_verify_score(result.status, verdict)
            hint = " Correct the candidate, then execute it again." if verdict == "fail" else ""
            return f"Verdict on execution ({result.status}): {verdict}.{hint}", {"exec_verify": score}, None
        report = self._memory.check(turn.candidate, turn.candidate_result, self.config.feedback_max_chars)
        if verdict is None:
            return report, {}, None
        f1 = self._gen(turn.candidate)
        scores = {"coherence": None if f1 is None else coherence_score(f1, verdict)}
        return f"{report}\nVerdict on memory: {verdict}.", scores, None

    def _answer(self, sql: str | None, *, forced: bool, given: str | None = None):
        if sql is None:
            raise _OrderError(
                "no candidate to answer with; propose one first, or give the SQL inside the answer tag"
            )
        scores: dict[str, Any] = {}
        if given is not None and given != self._turn.candidate:
            scores["generation"] = self._gen(given)
        score = self._evaluator.score_turn(
            sql, self._gold_sql, self._dialogue.db_id, timeout_s=self._time_left()
        )
        scores["exec_match"] = float(score.exec or 0)
        scores["exact_match"] = float(score.exact or 0)
        scores["gold_error"] = score.gold_error is not None
        result = (
            self._turn.candidate_result
            if sql == self._turn.candidate and self._turn.candidate_result
            else None
        )
        self._memory.add(self._memory_entry(self._turn_index, sql, result or self._run(sql)))
        turn_result = {
            "turn_index": self._turn_index,
            "sql": sql,
            "exact": score.exact,
            "exec": score.exec,
            "hardness": score.hardness,
            "gold_error": score.gold_error,
            "forced": forced,
        }
        feedback = "Answer committed." if sql else "No candidate: an empty answer was committed."
        return feedback, scores, turn_result

    def _set_candidate(self, sql: str, what: str) -> str:
        self._turn.candidate = sql
        self._turn.candidate_result = None
        return f"{what}. Execute it with <execute/>."

    def _gen(self, sql: str) -> float | None:
        """Clause F1 of ``sql`` against the gold; None when no reward weight uses it (it costs a sqlglot parse)."""
        weights = self.reward_config
        if not (weights.generation or weights.coherence):
            return None
        return clause_f1(sql, self._gold_sql, self.dataset.schemas[self._dialogue.db_id])

    # --- Episode bookkeeping -------------------------------------------------------------------------

    def _snapshot(self) -> tuple[Any, ...]:
        """What a step may change, so a step that fails half-way can be undone (`_restore`)."""
        return (
            _TurnState(self._turn.candidate, self._turn.candidate_result, self._turn.steps),
            self._rewards.copy(),
            len(self._memory),
            self._last_execution,
            self._turn_index,
            self._format_errors,
            self._gold_sql,
        )

    def _restore(self, snapshot: tuple[Any, ...]) -> None:
        turn, rewards, memory_size, last_execution, turn_index, format_errors, gold_sql = snapshot
        self._turn, self._rewards, self._last_execution = turn, rewards, last_execution
        self._memory.truncate(memory_size)
        self._turn_index, self._format_errors, self._gold_sql = turn_index, format_errors, gold_sql

    def _choose_episode(self, options: Mapping[str, Any]) -> tuple[int, int]:
        unknown = set(options) - {"dialogue_id", "index", "turn"}
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}; use dialogue_id, index or turn")
        if "dialogue_id" in options:
            if not isinstance(options["dialogue_id"], str):
                kind = type(options["dialogue_id"]).__name__
                raise ValueError(f"reset option dialogue_id must be a string, not {kind}")
            if options["dialogue_id"] not in self._dialogue_index:
                raise ValueError(
                    f"no dialogue {options['dialogue_id']!r} in {self.dataset.source} {self.dataset.split}"
                )
            dialogue_idx = self._dialogue_index[options["dialogue_id"]]
        elif "index" in options:
            index = _int_option(options, "index")
            if not 0 <= index < len(self._episodes):
                raise ValueError(f"reset option index must be in [0, {len(self._episodes)}), not {index}")
            if "turn" not in options:
                return self._episodes[index]
            dialogue_idx = self._episodes[index][0]
        else:
            if "turn" in options:
                raise ValueError("option 'turn' needs 'dialogue_id' or 'index' too")
            return self._episodes[int(self.np_random.integers(len(self._episodes)))]
        if self.config.mode == "dialogue":
            if "turn" in options:
                raise ValueError("option 'turn' is for mode='turn'; dialogue mode always starts at turn 0")
            return dialogue_idx, 0
        num_turns = len(self.dataset.dialogues[dialogue_idx].turns)
        turn = _int_option(options, "turn") if "turn" in options else 0
        if not 0 <= turn < num_turns:
            raise ValueError(f"reset option turn must be in [0, {num_turns}) for this dialogue, not {turn}")
        return dialogue_idx, turn

    def _history_sql(self, turn_index: int) -> str:
        history = self.config.history
        if history == "gold":
            return self._dialogue.turns[turn_index].query
        answers = history.get(self._dialogue.dialogue_id)
        if answers is None or len(answers) <= turn_index:
            raise ValueError(
                f"history has no SQL for turn {turn_index} of dialogue {self._dialogue.dialogue_id}"
            )
        return answers[turn_index]

    def _start_turn(self) -> None:
        self._turn = _TurnState()
        self._rewards = TurnRewards(self.reward_config)
        self._gold_sql = self._dialogue.turns[self._turn_index].query
        self._last_execution: ExecutionResult | None = None

    def _advance_turn(self) -> bool:
        """Move to the next user turn; True when the episode is over."""
        if self._turn_index >= self._last_turn:
            return True
        self._turn_index += 1
        self._start_turn()
        return False

    def _turn_intro(self) -> str:
        turn = self._dialogue.turns[self._turn_index]
        return f"## Question (turn {self._turn_index + 1} of {len(self._dialogue.turns)})\n{turn.utterance}"

    # --- Execution, schema, memory ------------------------------------------------------------------

    def _time_left(self) -> float:
        """What is left of this step's (or reset's) query budget; at least 1 ms, so cached results still come."""
        return max(self._deadline - time.perf_counter(), 1e-3)

    def _run(self, sql: str) -> ExecutionResult:
        return self._executor.execute(self._db_path, sql, timeout_s=self._time_left())

    def _execution_feedback(self, result: ExecutionResult) -> str:
        cfg = self.config
        return f"Execution {result.status}: {result.preview(max_rows=cfg.feedback_max_rows, max_chars=cfg.feedback_max_chars)}"

    def _memory_entry(self, turn_index: int, sql: str, result: ExecutionResult) -> MemoryEntry:
        question = self._dialogue.turns[turn_index].utterance
        return MemoryEntry(turn_index, question, sql, result.preview(max_rows=3, max_chars=200))

    def _schema(self, db_id: str) -> str:
        if db_id not in self._schema_text:
            self._schema_text[db_id] = render_schema(
                self.dataset.schemas[db_id],
                self.dataset.db_path(db_id),
                self._executor,
                sample_rows=self.config.schema_sample_rows,
                max_chars=self.config.schema_max_chars,
            )
        return self._schema_text[db_id]

    # --- Observations and info ----------------------------------------------------------------------

    @staticmethod
    def _observe(text: str) -> str:
        return _fit_text(text, MAX_OBSERVATION_CHARS)

    @staticmethod
    def _action_text(action: Any) -> str:
        if isinstance(action, Action):
            return action.to_text()
        try:
            text = action if isinstance(action, str) else repr(action)
        except Exception:  # noqa: BLE001 - a mapping nested too deeply to repr
            text = f"<{type(action).__name__}>"
        return _fit_text(text[:500] + ("..." if len(text) > 500 else ""), 600)

    def _get_info(
        self,
        *,
        action: Action | None = None,
        components: dict[str, float] | None = None,
        turn_components: dict[str, float] | None = None,
        format_error: str | None = None,
        ignored: int = 0,
        turn_result: dict[str, Any] | None = None,
        truncation_reason: str | None = None,
    ) -> dict[str, Any]:
        dialogue = self._dialogue
        result = self._last_execution
        zero = dict.fromkeys(self._rewards.totals, 0.0)
        return {
            "dataset": self.dataset.source,
            "split": self.dataset.split,
            "mode": self.config.mode,
            "dialogue_id": dialogue.dialogue_id,
            "db_id": dialogue.db_id,
            "turn_index": self._turn_index,
            "num_turns": len(dialogue.turns),
            "question": dialogue.turns[self._turn_index].utterance,
            "steps_in_turn": self._turn.steps,
            "candidate_sql": self._turn.candidate,
            "action": {} if action is None else action.to_tool_call(),
            "execution": {}
            if result is None
            else {
                "status": result.status,
                "error": None if result.error is None else result.error.value,
                "message": result.message,
                "columns": list(result.columns),
                "row_count": len(result.rows),
                "truncated": result.truncated,
            },
            "reward_components": components if components is not None else zero,
            "turn_reward_components": turn_components
            if turn_components is not None
            else dict(self._rewards.totals),
            "format_error": format_error,
            "format_errors": self._format_errors,
            "ignored_actions": ignored,
            "turn_result": turn_result or {},
            "truncation_reason": truncation_reason,
            "gold_sql": self._gold_sql if self.config.expose_gold else None,
        }
