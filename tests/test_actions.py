"""The action grammar: typed, tag and tool-call forms, and the error messages a model sees."""

from __future__ import annotations

import json

import pytest

from mtsql_env.actions import (
    Action,
    ActionKind,
    ActionParseError,
    Target,
    Verdict,
    parse_action,
    parse_actions,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I think so. <propose>SELECT 1</propose>", Action("propose", sql="SELECT 1")),
        ("<propose>\n```sql\nSELECT 2\n```\n</propose>", Action("propose", sql="SELECT 2")),
        ("<execute/>", Action("execute")),
        ("<EXECUTE>SELECT 3</EXECUTE>", Action("execute", sql="SELECT 3")),
        ('<verify target="memory" verdict="fail"/>', Action("verify", target="memory", verdict="fail")),
        ("<verify target='execution'>pass</verify>", Action("verify", target="execution", verdict="pass")),
        ("<verify/>", Action("verify", target="execution")),
        ("<correct>SELECT 4</correct>", Action("correct", sql="SELECT 4")),
        ("<answer/>", Action("answer")),
        (
            '<tool_call>{"name": "answer", "arguments": {"sql": "SELECT 5"}}</tool_call>',
            Action("answer", sql="SELECT 5"),
        ),
        (
            '{"type": "function", "function": {"name": "verify", "arguments": "{\\"target\\": \\"memory\\"}"}}',
            Action("verify", target="memory"),
        ),
        ("<think>maybe <answer/></think> <execute/>", Action("execute")),
    ],
)
def test_text_forms(text: str, expected: Action) -> None:
    assert parse_action(text)[0] == expected


def test_first_action_wins_and_the_rest_are_counted() -> None:
    action, ignored = parse_action("<propose>SELECT 1</propose> then <execute/> and <answer/>")
    assert action.kind is ActionKind.PROPOSE and ignored == 2


def test_typed_and_dict_forms_and_round_trips() -> None:
    action = Action("verify", target=Target.MEMORY, verdict=Verdict.PASS)
    assert parse_action(action) == (action, 0)
    assert parse_action({"kind": "verify", "target": "memory", "verdict": "pass"})[0] == action
    assert parse_action(action.to_text())[0] == action
    assert parse_action(json.dumps(action.to_tool_call()))[0] == action


@pytest.mark.parametrize(
    "call",
    [
        {"name": "execute", "arguments": {"sql": "SELECT 1"}},
        {"name": "execute", "arguments": '{"sql": "SELECT 1"}'},  # OpenAI sends arguments as a JSON string
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "execute", "arguments": '{"sql": "SELECT 1"}'},
        },
    ],
)
def test_a_tool_call_dict_is_accepted_like_its_json(call: dict) -> None:
    assert parse_action(call)[0] == parse_action(json.dumps(call))[0] == Action("execute", sql="SELECT 1")


def test_a_bad_tool_call_dict_is_a_parse_error() -> None:
    with pytest.raises(ActionParseError, match="unknown kind"):
        parse_action({"name": "drop", "arguments": {}})
    with pytest.raises(ActionParseError, match="malformed JSON"):
        parse_action({"name": "execute", "arguments": '{"sql": '})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no action found"),
        ("SELECT 1", "no action found"),
        ("<propose>SELECT 1", "propose tag is not closed"),
        ("<correct></correct>", "needs a SQL query"),
        ('<verify target="db"/>', "unknown target"),
        ('<verify verdict="maybe"/>', "unknown verdict"),
        ('<tool_call>{"name": "execute", "arguments": {"sql": </tool_call>', "malformed JSON"),
        ('{"name": "drop", "arguments": {}}', "unknown kind"),
        ('{"name": "execute", "arguments": {"sql": 5}}', "sql must be a string"),
        ("<answer x='1'/>", "takes no attributes"),
    ],
)
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ActionParseError, match=message):
        parse_action(text)


@pytest.mark.parametrize("text", ["", "<answer>SELECT 1", "<execute>SELECT 1", "<propose>", "nothing"])
def test_error_messages_copied_back_are_not_actions(text: str) -> None:
    # A model that echoes the feedback it got must not thereby send an action.
    with pytest.raises(ActionParseError) as first:
        parse_actions(text)
    with pytest.raises(ActionParseError):
        parse_actions(str(first.value))
