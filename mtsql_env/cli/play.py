"""``mtsql play``: a person plays a dialogue at the terminal, typing the agent's actions.

After each answer it shows the turn's EX/EM and reward; at the end (or at ``:quit``) a scorecard: per turn,
QM, IM and the reward by component. Lines starting with ``:`` are commands, not steps (``:help``,
``:schema``, ``:history``, ``:quit``). An action whose tag is still open at the end of a line (``<propose>``
then SQL over several lines) continues on the next lines until it is closed; a line ending in ``\\`` also
continues. On a terminal, stdlib `readline` gives line editing and the history of earlier lines.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .run import add_env_arguments, make_env

HELP = """\
Actions (one per line, or continued over lines until the tag closes):
  <propose>SQL</propose>   <execute/>   <execute>SQL</execute>   <correct>SQL</correct>   <answer/>
  <verify target="execution" verdict="pass"/>   <verify target="memory" verdict="fail"/>
Commands (not counted as steps):
  :help     this text            :schema   the database schema
  :history  the turns so far     :quit     stop and show the scorecard"""

_OPEN_TAG = re.compile(r"<(propose|execute|correct|answer)>", re.IGNORECASE)


def _section(observation: str, title: str) -> str:
    """The body of a ``## title`` section of the first observation."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", observation, re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else ""


def _incomplete(text: str) -> bool:
    """True while an action tag is open (multi-line SQL) or the line ends with a backslash."""
    if text.endswith("\\"):
        return True
    return any(f"</{m.group(1).lower()}>" not in text[m.end() :].lower() for m in _OPEN_TAG.finditer(text))


def _can_print(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _mark(value: int | None) -> str:
    """✓ / ✗ / – (no verdict: the gold failed), or plain words where the terminal cannot show them."""
    fancy = _can_print("✓✗–")
    if value is None:
        return "–" if fancy else "n/a"
    if fancy:
        return "✓" if value else "✗"
    return "yes" if value else "no"


@dataclass
class Scorecard:
    """What the player's answers scored, turn by turn."""

    num_turns: int
    turns: list[dict[str, Any]] = field(default_factory=list)

    def add(self, question: str, turn_result: dict[str, Any], components: dict[str, float]) -> dict[str, Any]:
        row = {
            "turn": turn_result["turn_index"] + 1,
            "question": question,
            "sql": turn_result["sql"],
            "exec": turn_result["exec"],
            "exact": turn_result["exact"],
            "forced": turn_result.get("forced", False),
            "reward": sum(components.values()),
            "components": dict(components),
        }
        self.turns.append(row)
        return row

    def history(self) -> str:
        if not self.turns:
            return "No answered turns yet."
        return "\n".join(
            f"{t['turn']}. {t['question']}\n   {' '.join(t['sql'].split()) or '(empty answer)'}\n"
            f"   EX {_mark(t['exec'])}  EM {_mark(t['exact'])}  reward {t['reward']:+.3f}"
            for t in self.turns
        )

    def render(self) -> str:
        lines = [f"Scorecard: {len(self.turns)} of {self.num_turns} turns answered", ""]
        lines.append(f"{'turn':>4}  {'EX':^3} {'EM':^3} {'reward':>7}  question")
        for t in self.turns:
            question = t["question"] if len(t["question"]) <= 60 else t["question"][:57] + "..."
            forced = " (step limit)" if t["forced"] else ""
            lines.append(
                f"{t['turn']:>4}  {_mark(t['exec']):^3} {_mark(t['exact']):^3} {t['reward']:>7.3f}  {question}{forced}"
            )
        scored = [t for t in self.turns if t["exact"] is not None]
        if scored:
            qm = sum(t["exact"] for t in scored) / len(scored)
            ex = sum(t["exec"] for t in scored) / len(scored)
            lines += ["", f"QM (EM over turns): {qm:.3f}   EX over turns: {ex:.3f}"]
        if len(self.turns) == self.num_turns and scored:
            im_em = all(t["exact"] for t in scored)
            im_ex = all(t["exec"] for t in scored)
            lines.append(f"IM (every turn right): EM {_mark(im_em)}  EX {_mark(im_ex)}")
        else:
            lines.append(f"IM: {_mark(None)} (the dialogue was not finished)")
        totals: dict[str, float] = {}
        for t in self.turns:
            for name, value in t["components"].items():
                totals[name] = totals.get(name, 0.0) + value
        if totals:
            parts = ", ".join(f"{name} {value:.3f}" for name, value in totals.items() if value)
            lines.append(f"Reward {sum(totals.values()):.3f} = {parts or '0'}")
        return "\n".join(lines)


def _enable_line_editing() -> None:
    """Arrow keys, editing and the history of earlier lines for `input` on a terminal (stdlib readline)."""
    if not sys.stdin.isatty():
        return
    try:
        import readline  # noqa: F401 - importing it is what turns line editing on for input()
    except ImportError:  # not on every platform (Windows); play still works, without editing
        pass


def _read_action(ask: Callable[[str], str], prompt: str) -> str:
    """One line, or several while an action tag is open; EOFError at the end of input."""
    text = ask(prompt).strip()
    while not text.startswith(":") and _incomplete(text):
        more = ask("... ").strip()
        text = (text.removesuffix("\\")) + "\n" + more
        if not more:
            break
    return text


def play(args: argparse.Namespace) -> int:
    _enable_line_editing()
    env = make_env(args)
    try:
        options = {"dialogue_id": args.dialogue} if args.dialogue else None
        observation, info = env.reset(seed=args.seed, options=options)
        schema = _section(observation, "Schema")
        max_steps = env.unwrapped.config.max_steps_per_turn
        card = Scorecard(info["num_turns"])
        print(observation)
        print(f"\n{HELP}\n")
        while True:
            steps_left = max_steps - info["steps_in_turn"]
            prompt = f"[turn {info['turn_index'] + 1}/{info['num_turns']}, {steps_left} steps left] > "
            try:
                line = _read_action(input, prompt)
            except EOFError:
                print()
                break
            command = line.lower()
            if command in (":quit", ":q", "quit", "exit"):
                break
            if command == ":help":
                print(HELP)
                continue
            if command == ":schema":
                print(schema)
                continue
            if command == ":history":
                print(card.history())
                continue
            if command.startswith(":"):
                print(f"Unknown command {line.split()[0]}; type :help")
                continue
            if not line:
                continue
            question = info["question"]
            observation, reward, terminated, truncated, info = env.step(line)
            result = info["turn_result"]
            if result:  # the score goes between "Answer committed." and the next question
                row = card.add(question, result, info["turn_reward_components"])
                feedback, _, next_question = observation.partition("\n## Question")
                print(feedback)
                print(
                    f"[turn {row['turn']}: EX {_mark(row['exec'])}  EM {_mark(row['exact'])}  reward {row['reward']:+.3f}]"
                )
                if next_question:
                    print("\n## Question" + next_question)
            else:
                print(observation)
                print(f"[reward {reward:+.3f}]")
            if terminated or truncated:
                print("Episode over.")
                break
    finally:
        env.close()
    print()
    print(card.render())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "play",
        help="play a dialogue yourself by typing actions",
        description="Play a dialogue at the terminal: type the agent's actions; :help lists the commands.",
    )
    add_env_arguments(parser)
    parser.add_argument("--dialogue", help="dialogue id to play, e.g. dev-0000 (default: chosen by --seed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=play)
