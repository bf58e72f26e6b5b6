#!/usr/bin/env bash
# The README's test command (CI runs exactly this): make .venv if needed, install the package with every
# extra the tests exercise, then run the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned in the same command so pip takes the CPU build, not a multi-GB CUDA one.
.venv/bin/python -m pip install -q "torch==2.13.0" -e ".[test,train,openai,plots]"
.venv/bin/python -m pytest -q "$@"
