"""TRL 1.16's GRPOTrainer runs `AsyncMTSQLToolEnv`'s coroutine tools on its event loop, with the sync tools' rewards."""

from __future__ import annotations

import functools

import gymnasium as gym
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from test_grpo import BAD_SCRIPT, GOOD_SCRIPT, WRONG, small_config, tiny, tiny_path  # noqa: F401

from mtsql_trainers import grpo
from mtsql_trainers.environment import AsyncMTSQLToolEnv, make_environment_factory


def test_grpo_trains_with_async_tools(tiny, tmp_path, monkeypatch):  # noqa: F811
    model, tokenizer = tiny
    monkeypatch.setattr(
        grpo, "make_environment_factory", functools.partial(make_environment_factory, async_tools=True)
    )
    config = small_config(
        tmp_path, dialogue_ids=["train-0000"], turns=[0], max_rows=None, max_completion_length=2048
    )
    trainer = grpo.build_grpo_trainer(config, model, tokenizer=tokenizer)
    assert trainer._has_async_funcs  # TRL saw coroutine tools and started its event loop
    tool_tag = "<|im_start|>tool"

    def fake_generate(input_ids, attention_mask=None, **kwargs):  # the scripted policies of test_grpo
        rows = []
        for k, ids in enumerate(input_ids):
            text = tokenizer.decode(ids[attention_mask[k].bool()])
            step = text.count(tool_tag)
            script = BAD_SCRIPT if (f'"{WRONG}"' in text or (step == 0 and k % 2 == 1)) else GOOD_SCRIPT
            rows.append(
                torch.cat([ids, torch.tensor(tokenizer(script[min(step, len(script) - 1)])["input_ids"])])
            )
        width = max(len(r) for r in rows)
        return torch.stack(
            [torch.cat([r, torch.full((width - len(r),), tokenizer.pad_token_id)]) for r in rows]
        )

    trainer.model.generate = fake_generate
    trainer.train()
    totals = []  # what the env pays each script, stepped in process
    for script in (GOOD_SCRIPT, BAD_SCRIPT):
        env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", split="train", mode="turn")
        env.reset(options={"dialogue_id": "train-0000", "turn": 0})
        totals.append(sum(env.step(call.removesuffix("<|im_end|>"))[1] for call in script[:-1]))
    logs = [e for e in trainer.state.log_history if "loss" in e]
    assert len(logs) == 2
    for entry in logs:
        assert entry["rewards/AsyncMTSQLToolEnv/mean"] == pytest.approx(sum(totals) / 2, abs=1e-5)
        assert entry["tools/failure_frequency"] == 0
    assert all(isinstance(e, AsyncMTSQLToolEnv) for e in trainer.environments)
    assert sorted(e.get_reward() for e in trainer.environments) == pytest.approx(sorted(totals))
