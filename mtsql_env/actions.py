"""The agent's actions, and how text written by a model becomes one.

An action is one of five kinds (`ActionKind`). It reaches the environment in one of three equivalent
forms, so a script, a chat model and a tool-calling API can all drive it:

1. typed: an `Action`, a dict such as ``{"kind": "execute", "sql": "SELECT ..."}``, or a tool-call dict
   (``{"name": ..., "arguments": {...} or a JSON string}``, bare or OpenAI's ``{"function": {...}}``);
2. the tag grammar, with free text (thinking) allowed before the action::

       <propose>SELECT name FROM singer</propose>
       <execute>SELECT count(*) FROM singer</execute>     (empty body: run the candidate)
       <verify target="execution" verdict="pass"/>        (target: execution | memory;
       <verify target="memory">fail</verify>               verdict: pass | fail | omitted = just look)
       <correct>SELECT name FROM singer WHERE age > 30</correct>
       <answer/>                                          (or <answer>SQL</answer>)

3. a JSON tool call, bare or inside ``<tool_call>...</tool_call>``, in either common shape::

       {"name": "execute", "arguments": {"sql": "SELECT ..."}}
       {"type": "function", "function": {"name": "verify", "arguments": "{\\"target\\": \\"memory\\"}"}}

Rule for a reply holding several actions: the **first** one is taken and the rest are ignored (the
count is reported in ``info["ignored_actions"]``), so an agent cannot smuggle a whole loop into one step.
Text inside ``<think>...</think>`` is never parsed. Anything that yields no valid action raises
`ActionParseError`, which the environment turns into feedback and a counted format error.
"""

from __future__ import annotations

import bisect
import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Action",
    "ActionKind",
    "ActionParseError",
    "Target",
    "Verdict",
    "parse_action",
    "parse_actions",
    "TOOL_SCHEMAS",
]


class ActionKind(str, enum.Enum):
    PROPOSE = "propose"
    EXECUTE = "execute"
    VERIFY = "verify"
    CORRECT = "correct"
    ANSWER = "answer"


class Target(str, enum.Enum):
    EXECUTION = "execution"
    MEMORY = "memory"


class Verdict(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"


class ActionParseError(ValueError):
    """Raised when a text or dict holds no valid action; the message is shown to the agent."""


@dataclass(frozen=True)
class Action:
    """One typed action.

    ``sql`` is required for propose and correct, optional for execute and answer (default: the current
    candidate), unused for verify. ``target`` and ``verdict`` belong to verify; a verify without a
    verdict only looks at the check and earns no verdict reward.
    """

    kind: ActionKind
    sql: str | None = None
    target: Target | None = None
    verdict: Verdict | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _enum(ActionKind, self.kind, "kind"))
        if self.sql is not None and not isinstance(self.sql, str):
            raise ActionParseError("sql must be a string")
        sql = scrub_surrogates(self.sql).strip() if self.sql is not None else None
        object.__setattr__(self, "sql", sql or None)
        if self.kind in (ActionKind.PROPOSE, ActionKind.CORRECT) and not self.sql:
            raise ActionParseError(f"{self.kind.value} needs a SQL query")
        if self.kind is ActionKind.VERIFY:
            object.__setattr__(self, "target", _enum(Target, self.target or "execution", "target"))
            if self.verdict is not None:
                object.__setattr__(self, "verdict", _enum(Verdict, self.verdict, "verdict"))
        elif self.target is not None or self.verdict is not None:
            raise ActionParseError(f"{self.kind.value} takes no target or verdict")

    def to_text(self) -> str:
        """Render in the tag grammar (what a model should write for this action).

        Example:
            >>> Action("verify", target="memory", verdict="pass").to_text()
            '<verify target="memory" verdict="pass"/>'
            >>> Action("execute", sql="SELECT 1").to_text()
            '<execute>SELECT 1</execute>'
        """
        if self.kind is ActionKind.VERIFY:
            verdict = f' verdict="{self.verdict.value}"' if self.verdict else ""
            return f'<verify target="{self.target.value}"{verdict}/>'
        if self.sql is None:
            return f"<{self.kind.value}/>"
        return f"<{self.kind.value}>{self.sql}</{self.kind.value}>"

    def to_tool_call(self) -> dict[str, Any]:
        """Render as a JSON tool call ``{"name": ..., "arguments": {...}}``."""
        arguments: dict[str, Any] = {}
        if self.sql is not None:
            arguments["sql"] = self.sql
        if self.kind is ActionKind.VERIFY:
            arguments["target"] = self.target.value
            if self.verdict is not None:
                arguments["verdict"] = self.verdict.value
        return {"name": self.kind.value, "arguments": arguments}


def _enum(cls: type[enum.Enum], value: Any, what: str) -> Any:
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls(value.strip().lower())
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in cls)
    if not isinstance(value, str):
        raise ActionParseError(f"{what} must be a string, one of: {allowed}")
    raise ActionParseError(f"unknown {what} {value[:40]!r}; expected one of: {allowed}")


# --- Text parsing --------------------------------------------------------------------------------

_KINDS = "|".join(kind.value for kind in ActionKind)
# Every pattern below runs in linear time on any text (replies are untrusted): lazy bodies end at a
# fixed literal, possessive quantifiers never give back what they took, and the two searches that
# could rescan the rest of the text for every open tag (a tag's closing tag, a trailing fence) are
# done without a regex. tests/test_hardening_env.py times the worst shapes.
_THINK_RE = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_TOOL_CALL_RE = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL | re.IGNORECASE)
# The head of one action tag: `<kind attrs/>` (self-closing) or `<kind attrs>` (a body follows).
_TAG_HEAD_RE = re.compile(rf"<(?P<kind>{_KINDS})\b(?P<attrs>[^<>]*?)(?P<end>/>|>)", re.IGNORECASE)
_TAG_CLOSE_RE = re.compile(rf"</(?P<kind>{_KINDS})\s*+>", re.IGNORECASE)
_OPEN_TAG_RE = re.compile(rf"<({_KINDS})\b", re.IGNORECASE)
_ATTR_RE = re.compile(r"""\b(\w++)\s*+=\s*+(?:"([^"]*+)"|'([^']*+)'|(\w++))""")
_OPEN_FENCE_RE = re.compile(r"```[\w-]*+")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class _Tag:
    """One complete action tag found in a reply."""

    start: int
    end: int
    kind: str
    attrs: str
    body: str | None


def _find_tags(text: str) -> list[_Tag]:
    """Every complete action tag, left to right and not overlapping, in O(n log n).

    A tag with a body ends at the first closing tag of its kind after it; an opening tag with none is
    skipped. The closing tags are indexed once, so unclosed tags never rescan the rest of the text.
    """
    closes: dict[str, list[tuple[int, int]]] = {}
    for match in _TAG_CLOSE_RE.finditer(text):
        closes.setdefault(match.group("kind").lower(), []).append((match.start(), match.end()))
    starts = {kind: [start for start, _ in spans] for kind, spans in closes.items()}
    tags: list[_Tag] = []
    position = 0
    while (head := _TAG_HEAD_RE.search(text, position)) is not None:
        kind = head.group("kind").lower()
        if head.group("end") == "/>":
            tags.append(_Tag(head.start(), head.end(), kind, head.group("attrs"), None))
            position = head.end()
            continue
        index = bisect.bisect_left(starts.get(kind, []), head.end())
        if index == len(starts.get(kind, [])):
            position = head.start() + 1  # unclosed: look for a tag further on
            continue
        close_start, close_end = closes[kind][index]
        tags.append(_Tag(head.start(), close_end, kind, head.group("attrs"), text[head.end() : close_start]))
        position = close_end
    return tags


def _strip_fence(text: str) -> str:
    """Drop a Markdown code fence around ``text`` (```sql ... ```) and surrounding whitespace."""
    text = text.strip()
    opening = _OPEN_FENCE_RE.match(text)
    if opening:
        text = text[opening.end() :].lstrip()
    if text.endswith("```"):
        text = text[:-3].rstrip()
    return text


def scrub_surrogates(text: str) -> str:
    """Replace lone surrogates (not encodable as UTF-8: SQLite, JSON files and terminals reject them)."""
    return _SURROGATE_RE.sub("\ufffd", text)


def parse_actions(text: str) -> list[Action]:
    """Every action in a model's reply, in order (tag grammar and JSON tool calls).

    Example:
        >>> [a.kind.value for a in parse_actions("I will run it. <execute/> then <answer/>")]
        ['execute', 'answer']

    Raises:
        ActionParseError: when the text holds no valid action; the message says what was wrong.
    """
    if not isinstance(text, str):
        raise ActionParseError(f"expected text, got {type(text).__name__}")
    visible = _THINK_RE.sub(" ", scrub_surrogates(text))
    found: list[tuple[int, Action]] = []
    problems: list[str] = []
    for match in _TOOL_CALL_RE.finditer(visible):
        try:
            found.append((match.start(), _action_from_tool_call(_load_json(match.group(1)))))
        except ActionParseError as err:
            problems.append(f"tool call: {err}")
    for tag in _find_tags(visible):
        try:
            found.append((tag.start, _action_from_tag(tag)))
        except ActionParseError as err:
            problems.append(f"<{tag.kind}>: {err}")
    if not found and not problems:
        bare = visible.strip()
        if bare.startswith("{"):
            try:
                return [_action_from_tool_call(_load_json(bare))]
            except ActionParseError as err:
                problems.append(f"tool call: {err}")
    if found:
        return [action for _, action in sorted(found, key=lambda pair: pair[0])]
    if problems:
        raise ActionParseError("; ".join(problems))
    # The messages hold no complete tag: a model that copies feedback back must not produce an action.
    unclosed = _OPEN_TAG_RE.search(visible)
    if unclosed:
        raise ActionParseError(
            f"the {unclosed.group(1).lower()} tag is not closed: end it with its closing tag, or use the "
            "self-closing form"
        )
    raise ActionParseError(
        "no action found: end your reply with exactly one action tag (propose, execute, verify, correct or "
        "answer), written as the instructions show"
    )


def parse_action(action: Action | Mapping[str, Any] | str) -> tuple[Action, int]:
    """Turn any accepted form into one `Action`; also return how many further actions were ignored.

    Example:
        >>> parse_action('<verify target="memory" verdict="fail"/>')
        (Action(kind=<ActionKind.VERIFY: 'verify'>, sql=None, target=<Target.MEMORY: 'memory'>, verdict=<Verdict.FAIL: 'fail'>), 0)
        >>> parse_action({"kind": "propose", "sql": "SELECT 1"})[0].sql
        'SELECT 1'
        >>> parse_action({"name": "execute", "arguments": '{"sql": "SELECT 2"}'})[0].sql  # an OpenAI tool call
        'SELECT 2'
    """
    if isinstance(action, Action):
        return action, 0
    if isinstance(action, Mapping):
        if "kind" not in action and ("name" in action or "function" in action):  # the tool-call shape
            return _action_from_tool_call(action), 0
        return _action_from_mapping(action), 0
    actions = parse_actions(action)
    return actions[0], len(actions) - 1


def _action_from_tag(tag: _Tag) -> Action:
    # findall gives "" for the quoting styles not used: single-quoted and bare values were read as "".
    attrs = {key.lower(): next((v for v in values if v), "") for key, *values in _ATTR_RE.findall(tag.attrs)}
    body = _strip_fence(tag.body or "")
    kind = tag.kind
    if kind == ActionKind.VERIFY.value:
        return Action(kind, target=attrs.get("target"), verdict=attrs.get("verdict") or body or None)
    if attrs:
        raise ActionParseError(f"<{kind}> takes no attributes")
    return Action(kind, sql=body)


def _load_json(text: str) -> Any:
    text = _strip_fence(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ActionParseError(f"malformed JSON ({err.msg} at position {err.pos})") from None
    except RecursionError:
        raise ActionParseError("malformed JSON (nested too deeply)") from None
    except ValueError as err:  # e.g. an integer longer than Python's int parsing limit
        raise ActionParseError(f"malformed JSON ({str(err)[:80]})") from None


def _action_from_tool_call(call: Any) -> Action:
    if not isinstance(call, Mapping):
        raise ActionParseError("a tool call must be a JSON object")
    if isinstance(call.get("function"), Mapping):  # OpenAI shape
        call = call["function"]
    name = call.get("name")
    arguments = call.get("arguments", call.get("parameters", {}))
    if isinstance(arguments, str):
        arguments = _load_json(arguments) if arguments.strip() else {}
    if not isinstance(arguments, Mapping):
        raise ActionParseError("tool call arguments must be a JSON object")
    return _action_from_mapping({"kind": name, **arguments})


def _action_from_mapping(mapping: Mapping[str, Any]) -> Action:
    unknown = set(mapping) - {"kind", "sql", "target", "verdict"}
    if unknown:
        raise ActionParseError(f"unknown action fields: {', '.join(sorted(map(str, unknown)))}")
    if mapping.get("kind") is None:
        raise ActionParseError("the action has no kind (name)")
    sql = mapping.get("sql")
    if sql is not None and not isinstance(sql, str):
        raise ActionParseError("sql must be a string")
    return Action(mapping["kind"], sql=sql, target=mapping.get("target"), verdict=mapping.get("verdict"))


# --- Tool-call form, for chat APIs with native tool calling ---------------------------------------

_SQL_PARAM = {"type": "string", "description": "A single SQLite SELECT query."}

#: OpenAI-style function schemas for the five actions.
TOOL_SCHEMAS: tuple[dict[str, Any], ...] = (
    {
        "type": "function",
        "function": {
            "name": "propose",
            "description": "Propose a candidate SQL query for the current question.",
            "parameters": {"type": "object", "properties": {"sql": _SQL_PARAM}, "required": ["sql"]},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "execute",
            "description": "Execute the candidate (or the given SQL) on the database and see the result.",
            "parameters": {"type": "object", "properties": {"sql": _SQL_PARAM}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "verify",
            "description": (
                "Check the candidate against its execution result or against the dialogue memory, and "
                "state a verdict (pass or fail); without a verdict you only see the check."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "target": {"type": "string", "enum": ["execution", "memory"]},
                    "verdict": {"type": "string", "enum": ["pass", "fail"]},
                },
                "required": ["target"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "correct",
            "description": "Replace the candidate with a corrected SQL query.",
            "parameters": {"type": "object", "properties": {"sql": _SQL_PARAM}, "required": ["sql"]},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "answer",
            "description": "Commit the candidate (or the given SQL) as the answer to the current question.",
            "parameters": {"type": "object", "properties": {"sql": _SQL_PARAM}},
        },
    },
)
