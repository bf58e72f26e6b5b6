"""`LLMAgent`: one prompt and reply layer for every generation backend.

The agent turns observations into chat messages, asks a `GenerationBackend` for the next assistant
message of every active episode in one call, and hands the reply text to the environment, which parses
it with `mtsql_env.actions` (the one parser) and counts a format error when it holds no valid action.

## Message layout
- ``system``: the action protocol, `mtsql_env.prompts.INSTRUCTIONS` (or ``system_prompt``); in native
  tool mode one more line asks for tool calls instead of tags.
- few-shot (``few_shot=True``): one worked two-turn example on a made-up database, as alternating
  ``user`` / ``assistant`` messages in the agent's action form (tags, or ``tool_calls`` + ``tool``
  messages). It ends on an assistant message, so roles keep alternating.
- ``user``: the first observation minus its leading instructions (which the system message holds): the
  schema, the dialogue so far and the first question.
- then, per step, the model's reply as an ``assistant`` message (verbatim, thinking included: the chat
  template decides whether to keep thinking in the history) and the environment's feedback (execution
  result, check, format error, next question) as a ``user`` message. In native tool mode, when the
  reply carried structured tool calls (OpenAI-compatible servers), the feedback is a ``tool`` message
  answering the first call, and every further call gets a ``tool`` message saying it was not run (chat
  APIs require an answer per call id).

## Reply policy (what the environment receives)
- Structured tool calls: each one as ``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` (the
  arguments string as the server sent it, so malformed JSON reaches the parser and becomes a counted
  format error); any text beside them is not acted on.
- Otherwise the reply text, unchanged. The parser skips ``<think>...</think>`` (an unclosed one hides
  everything after it), reads tags and JSON tool calls, strips code fences inside action bodies, and
  takes the **first** action of a reply (the rest are counted in ``info["ignored_actions"]``).
- Truncation (``finish_reason == "length"``): the text goes on unchanged; the agent never completes a
  cut action. A complete action before the cut still counts; a cut tag such as ``<propose>SELECT ...``
  is a format error ("the propose tag is not closed"), which is the honest signal to the model and to the
  run's statistics. `AgentStep.truncated` records it.

## What the agent records
After every `act` / `act_batch`, ``agent.last_generations`` holds one `AgentStep` per acted episode
(its slot, the `Generation` with token counts, ids and logprobs when the backend gives them, the action
text sent, the parsed first action or the parse error, and the backend call's wall time);
``agent.stats`` accumulates calls, steps, tokens and generation seconds over the agent's life.
``agent.conversation(slot)`` is a copy of an episode's messages.

## Episodes and slots
`reset` / `act` serve one episode (slot 0), as `mtsql_agents.runner.run_episode` drives them. For a
vector env, ``reset(obs, info, slot=i)`` starts the episode of slot ``i`` and
``act_batch(observations, infos, slots=[...])`` acts for the listed slots in one backend call
(`mtsql_agents.vector_runner.run_vector` does this).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mtsql_env.actions import TOOL_SCHEMAS, Action, ActionParseError, parse_actions
from mtsql_env.prompts import INSTRUCTIONS

from .backends.base import Generation, GenerationBackend, GenerationConfig, Message
from .base import Agent

logger = logging.getLogger(__name__)

__all__ = [
    "AgentStep",
    "LLMAgent",
    "NATIVE_TOOLS_NOTE",
    "build_initial_messages",
    "few_shot_messages",
    "reply_to_action",
    "split_first_observation",
]

#: Appended to the system prompt in native tool mode.
NATIVE_TOOLS_NOTE = "Use the provided tools (propose, execute, verify, correct, answer) for actions: call exactly one tool per reply."
#: Feedback for tool calls after the first in one reply (the environment runs only the first).
NOT_RUN_FEEDBACK = "Not run: only the first action of a reply is taken."

# The worked example: the opening user message, then (action, feedback) steps. The feedback mirrors the
# environment's wording; the last feedback is not shown (the example ends on the assistant's answer).
_EXAMPLE_OPENING = """\
Example dialogue (a different database):
## Schema
Database: concert_singer
Table singer(singer_id number PRIMARY KEY, name text, country text, age number)
  e.g. (1, 'Joe Sharp', 'Netherlands', 52)

## Dialogue so far
(no earlier turns)

## Question (turn 1 of 2)
How many singers are older than 40?"""
_EXAMPLE_STEPS: tuple[tuple[Action, str], ...] = (
    (
        Action("propose", sql="SELECT count(*) FROM singer WHERE age > 40"),
        "Candidate set. Execute it with <execute/>.",
    ),
    (Action("execute"), "Execution ok: count(*)\n3\n(1 rows)"),
    (Action("verify", target="execution", verdict="pass"), "Verdict on execution (ok): pass."),
    (Action("answer"), "Answer committed.\n## Question (turn 2 of 2)\nWhat are their names?"),
    (
        Action("propose", sql="SELECT name FROM singer WHERE age > 40"),
        "Candidate set. Execute it with <execute/>.",
    ),
    (Action("execute"), "Execution ok: name\nJoe Sharp\nRose White\nJohn Nizinik\n(3 rows)"),
    (
        Action("verify", target="memory", verdict="pass"),
        "Memory check. Against turn 1 (SELECT count(*) FROM singer WHERE age > 40): tables: keeps [singer]; "
        "keeps filters [age > 40]; changes select [count(*)] -> [name]\nExecution sanity: ok: 3 rows\n"
        "Verdict on memory: pass.",
    ),
    (Action("answer"), ""),
)


def split_first_observation(observation: str) -> tuple[str | None, str]:
    """Split the first observation into (its leading instructions or None, the rest).

    Example:
        >>> split_first_observation(INSTRUCTIONS + "\\n\\n## Schema\\n...")[1]
        '## Schema\\n...'
        >>> split_first_observation("## Question\\nHi")
        (None, '## Question\\nHi')
    """
    if observation.startswith(INSTRUCTIONS):
        return INSTRUCTIONS, observation[len(INSTRUCTIONS) :].lstrip("\n")
    return None, observation


def _tool_call_message(action: Action, call_id: str) -> dict[str, Any]:
    call = action.to_tool_call()
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
    }


def few_shot_messages(*, native_tools: bool = False) -> list[Message]:
    """The worked example as messages: tags, or tool calls and tool messages in native tool mode."""
    messages: list[Message] = [{"role": "user", "content": _EXAMPLE_OPENING}]
    for step, (action, feedback) in enumerate(_EXAMPLE_STEPS):
        if native_tools:
            call_id = f"example_{step}"
            messages.append(
                {"role": "assistant", "content": "", "tool_calls": [_tool_call_message(action, call_id)]}
            )
            if feedback:
                messages.append(
                    {"role": "tool", "tool_call_id": call_id, "name": action.kind.value, "content": feedback}
                )
        else:
            messages.append({"role": "assistant", "content": action.to_text()})
            if feedback:
                messages.append({"role": "user", "content": feedback})
    return messages


def build_initial_messages(
    observation: str, *, system_prompt: str | None = None, few_shot: bool = False, native_tools: bool = False
) -> list[Message]:
    """The conversation at the start of an episode (see the module docstring for the layout)."""
    _, rest = split_first_observation(observation)
    system = system_prompt if system_prompt is not None else INSTRUCTIONS
    if native_tools:
        system = f"{system}\n{NATIVE_TOOLS_NOTE}"
    messages: list[Message] = [{"role": "system", "content": system}]
    if few_shot:
        messages += few_shot_messages(native_tools=native_tools)
    messages.append({"role": "user", "content": rest})
    return messages


def reply_to_action(generation: Generation) -> str:
    """The text the environment receives for a reply (structured tool calls first, else the text).

    Example:
        >>> reply_to_action(Generation(text="I think so. <answer/>"))
        'I think so. <answer/>'
        >>> call = {"id": "1", "type": "function", "function": {"name": "execute", "arguments": "{}"}}
        >>> reply_to_action(Generation(text="", tool_calls=[call]))
        '<tool_call>{"name": "execute", "arguments": "{}"}</tool_call>'
    """
    if generation.tool_calls:
        parts = []
        for call in generation.tool_calls:
            function = call.get("function", call)
            payload = {"name": function.get("name"), "arguments": function.get("arguments", {})}
            parts.append(f"<tool_call>{json.dumps(payload)}</tool_call>")
        return "\n".join(parts)
    return generation.text


@dataclass
class AgentStep:
    """What the agent did for one episode in one `act_batch` call (read by runners and recorders)."""

    slot: int
    generation: Generation
    action_text: str  # what the environment received
    action: dict[str, Any] | None  # the first parsed action as a tool call, or None
    parse_error: str | None  # why no action parsed, or None
    num_actions: int  # actions found in the reply (the environment takes the first)
    latency_s: float  # wall time of the backend call this step was part of
    batch_size: int  # episodes served by that call

    @property
    def truncated(self) -> bool:
        """True when the reply was cut at ``max_new_tokens``."""
        return self.generation.truncated


@dataclass
class _Episode:
    messages: list[Message]
    awaiting_feedback: bool = False  # the last message is the model's reply
    tool_calls: list[tuple[str, str]] = field(
        default_factory=list
    )  # (id, name) of structured calls in that reply


class LLMAgent(Agent):
    """A chat model behind any `GenerationBackend`, speaking the mtsql action protocol.

    Args:
        backend: generates replies (`TransformersBackend`, `OpenAIBackend`, vLLM, ...).
        generation_config: sampling settings (``n`` must be 1); default greedy, 512 new tokens.
        few_shot: put the worked example between the system prompt and the task.
        native_tools: pass `mtsql_env.actions.TOOL_SCHEMAS` to the backend and use tool messages.
        system_prompt: replaces `mtsql_env.prompts.INSTRUCTIONS` as the system message.
        name: the agent's name in run results (default ``llm-<backend name>``).
    """

    supports_slots = True  # one history per slot: `run_vector` batches all slots in one call

    def __init__(
        self,
        backend: GenerationBackend,
        generation_config: GenerationConfig | None = None,
        *,
        few_shot: bool = False,
        native_tools: bool = False,
        system_prompt: str | None = None,
        name: str | None = None,
    ) -> None:
        self.backend = backend
        self.generation_config = generation_config or GenerationConfig()
        if self.generation_config.n != 1:
            raise ValueError(
                f"LLMAgent acts on one reply per step; set generation_config.n=1, not {self.generation_config.n}"
            )
        self.few_shot = few_shot
        self.native_tools = native_tools
        self.system_prompt = system_prompt
        self.name = name or f"llm-{getattr(backend, 'name', type(backend).__name__)}"
        self.last_generations: list[AgentStep] = []
        self.stats: dict[str, float] = {
            "calls": 0,
            "steps": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "generate_s": 0.0,
        }
        self._episodes: dict[int, _Episode] = {}
        self._calls = 0

    # --- Agent interface ----------------------------------------------------------------------------

    def reset(self, observation: str, info: dict[str, Any] | None = None, *, slot: int = 0) -> None:
        """Start the episode of ``slot`` from its first observation."""
        messages = build_initial_messages(
            observation,
            system_prompt=self.system_prompt,
            few_shot=self.few_shot,
            native_tools=self.native_tools,
        )
        self._episodes[slot] = _Episode(messages)

    def act(self, observation: str, info: dict[str, Any] | None = None, *, slot: int = 0) -> str:
        """The next action (as text) for one episode."""
        return self.act_batch([observation], [info or {}], slots=[slot])[0]

    def act_batch(
        self,
        observations: Sequence[str],
        infos: Sequence[dict[str, Any]],
        *,
        slots: Sequence[int] | None = None,
    ) -> list[str]:
        """One action per listed episode, from one backend call.

        ``observations[k]`` is what slot ``slots[k]`` last received: its first observation right after
        `reset` (already in the messages), else the feedback to its previous action.
        """
        slots = list(range(len(observations))) if slots is None else list(slots)
        if len(slots) != len(observations):
            raise ValueError(f"{len(observations)} observations for {len(slots)} slots")
        for slot, observation in zip(slots, observations):
            if slot not in self._episodes:
                raise RuntimeError(
                    f"slot {slot} has no episode; call reset(observation, info, slot={slot}) first"
                )
            self._add_feedback(self._episodes[slot], observation)
        conversations = [self._episodes[slot].messages for slot in slots]
        tools = list(TOOL_SCHEMAS) if self.native_tools else None
        start = time.perf_counter()
        generations = self.backend.generate(conversations, self.generation_config, tools=tools)
        latency = time.perf_counter() - start
        if len(generations) != len(slots):
            raise RuntimeError(
                f"backend {self.name} returned {len(generations)} generations for {len(slots)} conversations"
            )
        self._calls += 1
        actions, steps = [], []
        for slot, generation in zip(slots, generations):
            action_text = self._add_reply(self._episodes[slot], generation)
            steps.append(self._record(slot, generation, action_text, latency, len(slots)))
            actions.append(action_text)
        self.last_generations = steps
        self.stats["calls"] += 1
        self.stats["steps"] += len(steps)
        self.stats["prompt_tokens"] += sum(s.generation.prompt_tokens or 0 for s in steps)
        self.stats["completion_tokens"] += sum(s.generation.completion_tokens or 0 for s in steps)
        self.stats["generate_s"] += latency
        return actions

    def conversation(self, slot: int = 0) -> list[Message]:
        """A copy of the messages of ``slot``'s episode so far."""
        return [dict(message) for message in self._episodes[slot].messages]

    # --- Messages -----------------------------------------------------------------------------------

    def _add_feedback(self, episode: _Episode, observation: str) -> None:
        if not episode.awaiting_feedback:
            return  # the first observation, already in the messages
        for k, (call_id, name) in enumerate(episode.tool_calls):
            content = observation if k == 0 else NOT_RUN_FEEDBACK
            episode.messages.append(
                {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}
            )
        if not episode.tool_calls:
            episode.messages.append({"role": "user", "content": observation})
        episode.awaiting_feedback = False
        episode.tool_calls = []

    def _add_reply(self, episode: _Episode, generation: Generation) -> str:
        message: Message = {"role": "assistant", "content": generation.text}
        if self.native_tools and generation.tool_calls:
            calls = []
            for k, call in enumerate(generation.tool_calls):
                function = call.get("function", call)
                call_id = call.get("id") or f"call_{self._calls}_{k}"
                calls.append({"id": call_id, "type": "function", "function": dict(function)})
            message["tool_calls"] = calls
            episode.tool_calls = [(c["id"], str(c["function"].get("name"))) for c in calls]
        episode.messages.append(message)
        episode.awaiting_feedback = True
        return reply_to_action(generation)

    @staticmethod
    def _record(slot: int, generation: Generation, action_text: str, latency: float, batch: int) -> AgentStep:
        try:
            actions = parse_actions(action_text)
        except ActionParseError as err:
            return AgentStep(slot, generation, action_text, None, str(err), 0, latency, batch)
        return AgentStep(
            slot, generation, action_text, actions[0].to_tool_call(), None, len(actions), latency, batch
        )
