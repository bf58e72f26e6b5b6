#!/usr/bin/env bash
# Build the wheel and check that it installs THIS project in a fresh venv (PyPI's `mtsql` is another one):
# `pip install dist/*.whl[plots]`, then `mtsql --help` and the README's quick start on the bundled sample,
# run outside the checkout so nothing is imported from the source tree. Part of `scripts/test.sh --full`.
# About 30 s with a warm pip cache (the dependencies are downloaded once).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="${PYTHON:-python3}"
"$python" -m pip wheel -q --no-deps -w "$work/dist" "$repo"
wheel="$(ls "$work"/dist/mtsql_gym-*.whl)"
echo "built $(basename "$wheel")"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel[plots]"
cd "$work"
"$work/venv/bin/mtsql" --help | head -3
"$work/venv/bin/python" -c "import importlib.metadata as m; print('installed', m.distribution('mtsql-gym').name, m.version('mtsql-gym'))"
"$work/venv/bin/mtsql" bench --env MTSQL-CoSQL-v0 --data-dir sample --agent oracle --agent previous-turn \
    --agent noisy --agent noisy-no-correct --out "$work/runs/sample" --no-progress | tail -10
test -s "$work/runs/sample/report.md" && test -s "$work/runs/sample/plots/accuracy_by_turn.png"
echo "wheel check ok"
