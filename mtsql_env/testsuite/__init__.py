"""Test suites for execution match: database variants on which each gold differs from its near misses.

Execution match on a single database rewards wrong queries that happen to return the gold's rows there
(``SELECT 1 WHERE 0`` when the gold is empty, a dropped filter that filtered nothing). A test suite
(Zhong, Yu and Klein, EMNLP 2020) adds random variants of each database, distilled so that every gold is
told apart from its one-edit neighbours on at least one of them; a prediction then scores EX only if it
matches the gold on every database of the suite. This package is a clean-room implementation from the
paper's description: :mod:`.neighbours` (near misses), :mod:`.generate` (constrained random databases),
:mod:`.distill` (greedy selection) and :mod:`.build` (the folder ``mtsql evaluate --db`` reads).
"""

from mtsql_env.testsuite.build import SuiteConfig, SuiteReport, build_suite

__all__ = ["SuiteConfig", "SuiteReport", "build_suite"]
