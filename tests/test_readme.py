"""The README tells the truth and stays a newcomer's page: its example and main command run, CI runs its test
command, it is short, and the tables it moved to docs/ stay in step with the code."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from mtsql_env.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"


def test_readme_is_short_and_links_every_docs_page() -> None:
    assert len(README.splitlines()) < 150
    pages = {p.name for p in DOCS.glob("*.md")} | {
        "training.md", "data.md", "safety.md", "serving.md", "adapters.md", "testsuite.md",
    }  # fmt: skip
    for page in pages:
        assert f"(docs/{page}" in README, f"README does not link docs/{page}"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert all(f"({page})" in index for page in pages - {"index.md"})


def test_readme_names_every_command() -> None:
    from mtsql_env.cli import COMMAND_MODULES

    for command in {*COMMAND_MODULES, "serve", "testsuite"}:
        assert f"| `mtsql {command}` |" in README, command


def test_usage_example_runs() -> None:
    section = README.split("## The environment in ten lines", 1)[1]
    block = section.split("<!-- runnable -->\n```python", 1)[1].split("```", 1)[0]
    assert len([line for line in block.strip().splitlines() if line.strip()]) <= 12
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    printed = out.getvalue()
    assert "Execution ok" in printed and "'exact': 1" in printed and "'exec': 1" in printed


def test_ci_runs_the_readme_test_command_in_full_mode() -> None:
    command = "bash scripts/test.sh"
    assert f"```bash\n{command}\n```" in README
    assert re.search(rf"^{re.escape(command)} --full$", (REPO / ".ci" / "run").read_text(), re.MULTILINE)


def test_readme_main_command_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    quick_start = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert quick_start.strip().startswith(
        'python3 -m venv .venv && .venv/bin/pip install -q -e ".[plots]" && '
    )
    mtsql_args = quick_start.split(".venv/bin/mtsql ", 1)[1].split()
    mtsql_args[mtsql_args.index("--out") + 1] = str(tmp_path / "run")  # not into the checkout
    assert main([*mtsql_args, "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "bundled SAMPLE dataset" in printed
    assert all(name in printed for name in ("oracle", "previous-turn", "noisy"))
    assert (tmp_path / "run" / "report.md").is_file()


def test_strict_fixes_table_lists_every_fix() -> None:
    from mtsql_env.evaluation.exact_match import STRICT_FIXES
    from mtsql_env.evaluation.exec_match import EXEC_STRICT_FIXES

    table = (DOCS / "evaluation.md").read_text(encoding="utf-8")
    for name in {**STRICT_FIXES, **EXEC_STRICT_FIXES}:
        assert f"| `{name}` |" in table, f"strict fix {name} is not in docs/evaluation.md"


def test_arguments_section_lists_every_env_keyword() -> None:
    from dataclasses import fields

    from mtsql_env import EnvConfig

    page = (DOCS / "environment.md").read_text(encoding="utf-8")
    arguments = page.split("## Arguments", 1)[1].split("\n## ", 1)[0]
    for field in fields(EnvConfig):
        if field.name != "benchmark":  # set by the env id, not a keyword users pass
            assert f"`{field.name}`" in arguments, (
                f"EnvConfig.{field.name} is not in docs/environment.md's Arguments"
            )
