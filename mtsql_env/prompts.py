"""The text the environment shows the agent: instructions, and the shape of each message.

Kept in one module so the environment and the LLM agents (which build chat messages from the same
observations) teach one protocol.
"""

from __future__ import annotations

__all__ = ["INSTRUCTIONS"]

INSTRUCTIONS = """\
You answer a user's questions about a SQLite database, one turn at a time, with a single SQLite SELECT query.
For each question, work in a loop: Propose -> Execute -> Verify -> Correct, then Answer.
Write your reasoning first if you like, then exactly ONE action per reply:
  <propose>SQL</propose>                      set a candidate query
  <execute/>                                  run the candidate (or <execute>SQL</execute> to run another query)
  <verify target="execution" verdict="pass"/> judge the last execution result: pass or fail
  <verify target="memory" verdict="pass"/>    judge coherence with earlier turns (omit verdict to only see the check)
  <correct>SQL</correct>                      replace the candidate after a failed check
  <answer/>                                   commit the candidate as the answer to this question
Keep what earlier turns established (tables, filters, entities) unless the user changes it.
The database is read-only; queries have a time limit."""
