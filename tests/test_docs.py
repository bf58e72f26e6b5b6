"""The docs tell the truth: every docstring example in the package runs (as sqlglot's tests/test_docs.py
does), every block of README.md and docs/ marked runnable runs, and no install hint names another project."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import pkgutil
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REAL_RELEASE

import mtsql_agents
import mtsql_env
import mtsql_trainers


def _modules() -> list[str]:
    names = []
    for package in (mtsql_env, mtsql_agents, mtsql_trainers):
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]
    return sorted(name for name in names if not name.endswith("__main__"))


@pytest.mark.parametrize("name", _modules())
def test_doctests(name: str) -> None:
    if name.startswith("mtsql_env.integrations."):  # each adapter needs its own framework, an optional extra
        try:
            module = importlib.import_module(name)
        except ImportError as err:
            pytest.skip(str(err))
    else:
        module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0, f"{failures} docstring example(s) failed in {name}"


# --- The runnable blocks of README.md and docs/ ---------------------------------------------------------
# A fenced block preceded by the line `<!-- runnable -->` is run here: python blocks in a subprocess, shell
# blocks with bash -euo pipefail; both in a scratch folder that links to the repository's top-level entries (so
# `benchmarks/...` resolves and `runs/...` is written there), with this venv's scripts first on PATH and a
# private MTSQL_CACHE_DIR. `<!-- runnable needs=realdata,torch -->` skips the block, with the reason, when the
# real CoSQL release or an importable module is missing.


REPO = Path(__file__).resolve().parents[1]
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MARKER = re.compile(r"^<!-- runnable(?:\s+needs=(?P<needs>[\w.,-]+))?\s*-->$")
SHELLS = {"bash", "sh", "shell"}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    code: str
    needs: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def runnable_blocks(paths: list[Path] = DOC_FILES) -> list[Block]:
    blocks = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("<!-- runnable"):
                continue
            match = MARKER.match(line.strip())
            assert match, f"{path.name}:{i + 1}: malformed marker {line!r}"
            fence = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            assert fence is not None and lines[fence].startswith("```"), (
                f"{path.name}:{i + 1}: no block follows"
            )
            end = next(j for j in range(fence + 1, len(lines)) if lines[j].startswith("```"))
            lang = lines[fence][3:].strip()
            assert lang in SHELLS | {"python"}, f"{path.name}:{fence + 1}: cannot run a {lang!r} block"
            needs = tuple(filter(None, (match.group("needs") or "").split(",")))
            blocks.append(Block(path, fence + 1, lang, "\n".join(lines[fence + 1 : end]) + "\n", needs))
    return blocks


BLOCKS = runnable_blocks()


def _missing(needs: tuple[str, ...]) -> list[str]:
    missing = []
    for need in needs:
        if need == "realdata":
            if not (REAL_RELEASE / "sql_state_tracking" / "cosql_dev.json").is_file():
                missing.append("the real CoSQL release (MTSQL_DATA_DIR)")
        elif importlib.util.find_spec(need) is None:
            missing.append(f"the {need} package")
    return missing


def test_docs_have_runnable_blocks() -> None:
    by_file = {b.path.name for b in BLOCKS}
    assert {"README.md", "environment.md", "rewards.md", "evaluation.md", "agents.md"} <= by_file
    assert all("<!-- usage-example" not in p.read_text(encoding="utf-8") for p in DOC_FILES)  # the old marker


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_runnable_block(block: Block, tmp_path: Path) -> None:
    missing = _missing(block.needs)
    if missing:
        pytest.skip(f"{block.id} needs {', '.join(missing)}")
    for entry in REPO.iterdir():
        if not entry.name.startswith(".") and entry.name != "runs":
            (tmp_path / entry.name).symlink_to(entry)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MTSQL_CACHE_DIR": str(tmp_path / ".cache"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "tests"), os.environ.get("PYTHONPATH")])),
    }
    argv = (
        [sys.executable, "-c", block.code]
        if block.lang == "python"
        else ["bash", "-euo", "pipefail", "-c", block.code]
    )
    done = subprocess.run(
        argv, check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, (
        f"{block.id} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )


def _text_files() -> list[Path]:
    skip = {".git", "build", "dist", "runs", "__pycache__", "node_modules"}
    files = []
    for path in REPO.rglob("*"):
        parts = set(path.relative_to(REPO).parts)
        if parts & skip or any(p.startswith(".venv") or p.endswith(".egg-info") for p in parts):
            continue
        if path.is_file() and path.suffix in {
            ".md",
            ".py",
            ".sh",
            ".cfg",
            ".toml",
            ".yaml",
            ".yml",
            ".txt",
            "",
        }:
            files.append(path)
    return files


def test_no_install_hint_names_the_other_mtsql() -> None:
    """`mtsql` on PyPI is an unrelated project: every hint must name `mtsql-gym` or the clone (`-e .`)."""
    name = "mtsql"
    patterns = [
        re.compile(rf"\b{name}\["),
        re.compile(rf"pip install\s+(?:-U\s+|--upgrade\s+)?[\"']?{name}(?![-\w])"),
    ]
    offenders = []
    for path in _text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in patterns:
            offenders += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not offenders, offenders


def test_docs_name_no_development_machine() -> None:
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for phrase in ("design.md", "../shared", "this project's 2-core machine", "shared/data"):
            assert phrase not in text, f"{path.name} mentions {phrase!r}"
