"""``mtsql play`` through a real pseudo-terminal: a whole sample dialogue, commands, multi-line SQL, scorecard.

The command runs in a child process whose stdin/stdout are a pty (stdlib `pty`), so `input`, `readline`
line editing and the prompts behave as they do for a person at a terminal.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

import pytest

from mtsql_env.datasets import load_sample

pty = pytest.importorskip("pty")  # POSIX only

PROMPT = re.compile(r"\[turn (\d+)/(\d+), (\d+) steps left\] > ")


class Terminal:
    """A child process on a pty; `expect` reads until a pattern shows up (or fails after a timeout)."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "TERM": "dumb", "PYTHONIOENCODING": "utf-8", "COLUMNS": "120"}
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.output = ""
        self._seen = 0

    def expect(self, pattern: re.Pattern[str] | str, timeout: float = 30.0) -> re.Match[str]:
        pattern = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            match = pattern.search(self.output, self._seen)
            if match:
                self._seen = match.end()
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out waiting for {pattern.pattern!r}; output so far:\n{self.output[-3000:]}"
                )
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(
                        f"the process ended before {pattern.pattern!r}:\n{self.output[-3000:]}"
                    )
                self.output += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)


def test_a_whole_sample_dialogue_with_commands_and_the_scorecard() -> None:
    dialogue = next(d for d in load_sample("dev").dialogues if d.dialogue_id == "dev-0000")
    term = Terminal(
        [sys.executable, "-m", "mtsql_env.cli", "play", "--data-dir", "sample", "--dialogue", "dev-0000"]
    )
    try:
        assert PROMPT.search(term.output) is None
        assert term.expect(PROMPT).groups() == ("1", str(len(dialogue.turns)), "10")
        # commands are not steps: the prompt still says 10 steps left
        term.send(":help")
        term.expect("Commands (not counted as steps)")
        assert term.expect(PROMPT).group(3) == "10"
        term.send(":schema")
        term.expect("Table book(book_id number PRIMARY KEY")
        assert term.expect(PROMPT).group(3) == "10"
        # multi-line SQL: the open <propose> tag continues on the next line
        term.send("<propose>SELECT count(*)")
        term.expect("... ")
        term.send("FROM book</propose>")
        term.expect("Candidate set.")
        assert term.expect(PROMPT).group(3) == "9"
        for index, turn in enumerate(dialogue.turns):
            if index:
                term.send(f"<propose>{turn.query}</propose>")
                term.expect("Candidate set.")
                term.expect(PROMPT)
            term.send("<execute/>")
            term.expect("Execution ok")
            term.expect(PROMPT)
            term.send('<verify target="execution" verdict="pass"/>')
            term.expect(PROMPT)
            if index:  # a first turn has nothing to be coherent with
                term.send('<verify target="memory" verdict="pass"/>')
                term.expect(PROMPT)
            term.send("<answer/>")
            term.expect(re.compile(rf"\[turn {index + 1}: EX ✓  EM ✓  reward \+\d\.\d{{3}}\]"))
            if index == 0:
                term.expect(PROMPT)
                term.send(":history")
                term.expect(
                    "1. How many books does the library have?\n   SELECT count(*) FROM book\n   EX ✓  EM ✓"
                )
                assert term.expect(PROMPT).groups()[:1] == ("2",)
        term.expect("Episode over.")
        card = term.expect(re.compile(r"Scorecard: .*?Reward [\d.]+ = [^\n]+", re.DOTALL)).group(0)
    finally:
        code = term.close()
    assert code == 0
    assert f"Scorecard: {len(dialogue.turns)} of {len(dialogue.turns)} turns answered" in card
    rows = [line for line in card.splitlines() if re.match(r"\s+\d+\s+✓\s+✓\s+\d\.\d{3}\s", line)]
    assert len(rows) == len(dialogue.turns)
    assert "QM (EM over turns): 1.000" in card and "IM (every turn right): EM ✓  EX ✓" in card
    turns = len(dialogue.turns)
    assert (
        f"exec_match {turns:.3f}, exact_match {turns:.3f}, exec_verify {0.1 * turns:.3f}, coherence {0.1 * (turns - 1):.3f}, generation {0.8 * turns:.3f}"
        in card
    )


def test_quit_mid_dialogue_still_shows_the_scorecard() -> None:
    term = Terminal(
        [sys.executable, "-m", "mtsql_env.cli", "play", "--data-dir", "sample", "--dialogue", "dev-0000"]
    )
    try:
        term.expect(PROMPT)
        term.send("<answer>SELECT 1</answer>")
        term.expect(re.compile(r"\[turn 1: EX ✗  EM ✗"))
        term.expect(PROMPT)
        term.send(":nope")
        term.expect("Unknown command :nope; type :help")
        term.expect(PROMPT)
        term.send(":quit")
        term.expect("Scorecard: 1 of 6 turns answered")
        term.expect("IM: – (the dialogue was not finished)")
    finally:
        assert term.close() == 0
