"""Across processes: the real `accelerate launch --num_processes 2 --cpu` (gloo) runs mtsql's GRPO and PPO
for 2 optimiser steps each through the environment (examples/distributed_cpu.py), each process on its own
envs and its own shard of the data. Slow: two processes, each importing torch/TRL and training twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")
pytest.importorskip("accelerate")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_accelerate_launch_two_cpu_processes_run_grpo_and_ppo_on_distinct_shards(tmp_path):
    command = [
        sys.executable, "-m", "accelerate.commands.launch",
        # --multi_gpu picks the torchrun launcher (one process each); with no GPU the processes run on CPU
        # and join a gloo group. (--cpu would pick the single-process launcher, or mpirun with a hostfile.)
        "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", "29731",
        str(ROOT / "examples" / "distributed_cpu.py"), "--output_dir", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    reports = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    for rank, report in enumerate(reports):
        assert report["rank"] == rank and report["world_size"] == 2
        assert report["backend"] == "gloo"
        assert report["grpo_steps"] == 2 and report["ppo_steps"] == 2
        assert report["grpo_rows"] and report["ppo_episodes"]
    # each process trained on its own shard: no training row or episode reached both
    assert not set(reports[0]["grpo_rows"]) & set(reports[1]["grpo_rows"])
    assert not set(reports[0]["ppo_episodes"]) & set(reports[1]["ppo_episodes"])
