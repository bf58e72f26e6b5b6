"""GRPO through TRL's GRPOTrainer on the real environment, with a tiny model built in the test (no downloads)."""

from __future__ import annotations

import json
import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")
pytest.importorskip("transformers")

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

from mtsql_trainers.environment import MTSQLToolEnv, make_environment_factory  # noqa: E402
from mtsql_trainers.grpo import build_grpo_trainer, component_reward_funcs, ensure_tool_parsing, train_grpo  # noqa: E402
from mtsql_trainers.grpo_config import MTSQLGRPOConfig  # noqa: E402

GOLD = "SELECT name, city FROM branch"  # gold of sample train-0000, turn 0
WRONG = "SELECT name FROM branch"


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    from mtsql_agents.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny")))


@pytest.fixture()
def tiny(tiny_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    return AutoModelForCausalLM.from_pretrained(tiny_path), AutoTokenizer.from_pretrained(tiny_path)


def small_config(tmp_path, **overrides) -> MTSQLGRPOConfig:
    settings = dict(
        output_dir=str(tmp_path),
        data_dir="sample",  # the bundled sample: no downloads
        split="train",
        max_rows=2,  # two training rows (dialogue turns)
        num_generations=2,  # smallest GRPO group
        per_device_train_batch_size=2,  # one group per optimiser step
        max_completion_length=16,  # the tiny model writes junk: keep it short
        max_steps=2,  # two optimiser steps
        learning_rate=1e-2,  # large, so a step visibly moves a 45k-parameter model
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,  # TRL defaults to bf16, ~25x slower on CPU
        gradient_checkpointing=False,
        seed=0,
    )
    settings.update(overrides)
    return MTSQLGRPOConfig(**settings)


class TestConfig:
    def test_defaults_follow_the_recipe(self, tmp_path):
        config = MTSQLGRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none")
        assert (config.num_generations, config.learning_rate, config.beta) == (5, 1e-6, 0.0)
        assert config.max_tool_calling_iterations == config.max_steps_per_turn
        assert config.env_make_kwargs()["mode"] == "turn"

    def test_rejects_bad_values(self, tmp_path):
        common = dict(output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none")
        with pytest.raises(ValueError, match="curriculum"):
            MTSQLGRPOConfig(curriculum="random", **common)
        with pytest.raises(ValueError, match="env_kwargs"):
            MTSQLGRPOConfig(env_kwargs='{"split": "dev"}', **common)
        assert MTSQLGRPOConfig(env_kwargs='{"feedback_max_chars": 50}', **common).env_kwargs == {
            "feedback_max_chars": 50
        }


class TestEnvironment:
    def test_tools_are_exactly_the_actions(self):
        import inspect

        env = make_environment_factory(data_dir="sample", split="train")()
        public = {
            n for n, _ in inspect.getmembers(type(env), predicate=inspect.isfunction) if not n.startswith("_")
        }
        assert public == {"reset", "get_reward", "propose", "execute", "verify", "correct", "answer"}

    def test_reward_is_the_env_total(self):
        import gymnasium as gym

        env = MTSQLToolEnv(data_dir="sample", split="train", mode="turn")
        assert env.reset(dialogue_id="train-0000", turn=0, prompt=[{"role": "user", "content": "x"}]) is None
        env.propose(WRONG)
        env.verify("nonsense")  # a bad argument is the env's format error, not an exception
        env.correct(GOLD)
        env.execute()
        env.verify("execution", "pass")
        env.answer()
        # The same actions straight on the env, summed.
        ref = gym.make("MTSQL-CoSQL-v0", data_dir="sample", split="train", mode="turn")
        ref.reset(options={"dialogue_id": "train-0000", "turn": 0})
        actions = [
            {"kind": "propose", "sql": WRONG},
            {"kind": "verify", "target": "nonsense"},
            {"kind": "correct", "sql": GOLD},
            {"kind": "execute"},
            {"kind": "verify", "target": "execution", "verdict": "pass"},
            {"kind": "answer"},
        ]
        total = sum(ref.step(a)[1] for a in actions)
        assert env.get_reward() == pytest.approx(total)
        assert env.format_errors == 1 and env.done and env.turn_results[0]["exact"] == 1
        assert sum(env.components.values()) == pytest.approx(total)
        assert (
            env.answer() == "The turn is over: no further tool calls are needed." and env.calls_after_end == 1
        )


def test_component_funcs_read_envs_and_log_metrics():
    env = MTSQLToolEnv(data_dir="sample", split="train", mode="turn")
    env.reset(dialogue_id="train-0000", turn=0)
    env.propose(GOLD)
    env.answer()
    logged = {}
    funcs = component_reward_funcs("process")
    values = {f.__name__: f(environments=[env], log_metric=logged.__setitem__)[0] for f in funcs}
    assert values["exec_match"] == 1.0 and values["answered"] == 1.0
    assert sum(v for k, v in values.items() if k != "answered") == pytest.approx(env.get_reward())
    assert logged == {"env/steps": 2.0, "env/format_errors": 0.0, "env/truncated": 0.0}


def test_tiny_template_gets_a_tool_parser(tiny):
    from trl.chat_template_utils import parse_response

    _, tokenizer = tiny
    ensure_tool_parsing(tokenizer)
    prefix = tokenizer.apply_chat_template(
        [{"role": "user", "content": "q"}], add_generation_prompt=True, tokenize=False
    )
    ids = tokenizer(
        f'<tool_call>{{"name": "answer", "arguments": {{"sql": "{GOLD}"}}}}</tool_call><|im_end|>'
    )["input_ids"]
    prefix_ids = tokenizer(prefix)["input_ids"]
    parsed = parse_response(tokenizer, ids, prefix=prefix_ids)
    assert parsed["tool_calls"][0]["function"] == {"name": "answer", "arguments": {"sql": GOLD}}


def test_train_junk_model_end_to_end(tiny, tmp_path):
    """The untrained model writes junk (rarely a tool call): training still runs and logs through TRL."""
    model, tokenizer = tiny
    result = train_grpo(small_config(tmp_path), model, tokenizer=tokenizer)
    steps = [e for e in result.log_history if "loss" in e]
    assert len(steps) == 2
    for entry in steps:
        for key in (
            "rewards/MTSQLToolEnv/mean",
            "rewards/exec_match/mean",
            "rewards/answered/mean",
            "env/steps",
        ):
            assert key in entry
        assert entry["reward"] == pytest.approx(
            entry["rewards/MTSQLToolEnv/mean"]
        )  # components have weight 0


def _tool_call(name: str, **arguments) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call><|im_end|>"


# Two scripted policies: the first rollout of each group checks and answers the gold, the second
# proposes a wrong query and answers it. Each generation call is answered from what the prompt holds.
GOOD_SCRIPT = [
    _tool_call("propose", sql=GOLD),
    _tool_call("execute"),
    _tool_call("verify", target="execution", verdict="pass"),
    _tool_call("answer"),
    "Done.<|im_end|>",
]
BAD_SCRIPT = [_tool_call("propose", sql=WRONG), _tool_call("answer"), "Done.<|im_end|>"]


def test_train_multi_turn_tool_calls(tiny, tmp_path):
    """Patched generation emits known tool calls: the env runs them and GRPO's reward is the env's."""
    import gymnasium as gym

    model, tokenizer = tiny
    config = small_config(
        tmp_path,
        dialogue_ids=["train-0000"],
        turns=[0],
        max_rows=None,
        max_completion_length=2048,  # the whole multi-turn completion, tool results included
    )
    trainer = build_grpo_trainer(config, model, tokenizer=tokenizer)
    tool_tag = "<|im_start|>tool"
    seen_calls: list[str] = []

    def fake_generate(input_ids, attention_mask=None, **kwargs):
        rows = []
        for k, ids in enumerate(input_ids):
            text = tokenizer.decode(ids[attention_mask[k].bool()])
            step = text.count(tool_tag)
            script = BAD_SCRIPT if (f'"{WRONG}"' in text or (step == 0 and k % 2 == 1)) else GOOD_SCRIPT
            completion = script[min(step, len(script) - 1)]
            seen_calls.append(completion)
            rows.append(torch.cat([ids, torch.tensor(tokenizer(completion)["input_ids"])]))
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id
        return torch.stack([torch.cat([r, torch.full((width - len(r),), pad)]) for r in rows])

    trainer.model.generate = fake_generate
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()

    # What the env should pay each script, from the env itself.
    def env_total(script):
        env = gym.make("MTSQL-CoSQL-v0", data_dir="sample", split="train", mode="turn")
        env.reset(options={"dialogue_id": "train-0000", "turn": 0})
        return sum(env.step(call.removesuffix("<|im_end|>"))[1] for call in script[:-1])

    good, bad = env_total(GOOD_SCRIPT), env_total(BAD_SCRIPT)
    assert good > bad
    logs = [e for e in trainer.state.log_history if "loss" in e]
    assert len(logs) == 2
    for entry in logs:
        assert entry["rewards/MTSQLToolEnv/mean"] == pytest.approx((good + bad) / 2, abs=1e-5)
        assert entry["rewards/exec_match/mean"] == pytest.approx(0.5)
        assert entry["tools/call_frequency"] == pytest.approx((4 + 2) / 2)
    envs = trainer.environments  # the last batch's rollouts
    assert sorted(e.steps for e in envs) == [2, 4]
    assert sorted(e.get_reward() for e in envs) == pytest.approx(sorted([bad, good]))
    assert any(c.startswith('<tool_call>{"name": "verify"') for c in seen_calls)
    changed = [n for n, p in trainer.model.named_parameters() if not torch.equal(p, before[n])]
    assert changed, "no parameter changed"


@pytest.mark.slow
def test_grpo_raises_two_choice_reward(tiny, tmp_path):
    """Learning, not just running: GRPO lifts the env's mean reward on the two-choice task (trainers/tasks.py)."""
    from datasets import Dataset
    from trl import GRPOTrainer

    from mtsql_trainers.tasks import TwoChoiceEnv, score_choices, two_choice_dataset

    model, tokenizer = tiny
    items = two_choice_dataset("train", n=8)
    env = TwoChoiceEnv(items)

    def two_choice_reward(completions, item, **kwargs):
        """The real env's EX + EM for the chosen candidate (0 for a reply that chooses nothing)."""
        return score_choices([c[0]["content"] for c in completions], [items[i] for i in item], env)

    config = MTSQLGRPOConfig(
        output_dir=str(tmp_path),
        num_generations=8,  # groups of 8 replies per item
        per_device_train_batch_size=16,  # two items per step
        max_completion_length=2,  # the first character decides the choice
        max_steps=20,  # a couple dozen steps (the reward rises from ~0 to ~1 by step 15 with seed 0)
        learning_rate=3e-2,  # large: a random 45k-parameter model, few steps
        temperature=1.0,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        gradient_checkpointing=False,
        disable_tqdm=True,
        seed=0,
    )
    trainer = GRPOTrainer(
        model,
        reward_funcs=two_choice_reward,
        args=config,
        train_dataset=Dataset.from_list([it.to_row() for it in items]),
        processing_class=tokenizer,
    )
    trainer.train()
    rewards = [e["reward"] for e in trainer.state.log_history if "reward" in e]
    assert len(rewards) == 20
    first, last = sum(rewards[:5]) / 5, sum(rewards[-5:]) / 5
    # A random policy rarely starts with A or B (reward ~0); choosing at all is worth ~1 on average.
    assert last > first + 0.5, rewards


@pytest.mark.slow  # 15-35 s on 2 busy cores (transformers generation, reply by reply)
def test_rollout_func_path_masks_env_tokens(tiny, tmp_path):
    """rollout_mode='rollout_func': token-level rollouts (trainers/rollout.py) with env_mask, 2 optimiser steps."""
    model, tokenizer = tiny

    def token_checksum(completion_ids, **kwargs):
        """A stand-in reward with spread (the junk model earns 0 from the env), so parameters move."""
        return [float(sum(ids) % 5) for ids in completion_ids]

    config = small_config(
        tmp_path,
        rollout_mode="rollout_func",
        max_completion_length=96,  # replies plus environment feedback
        max_reply_tokens=8,  # per reply
        max_steps_per_turn=3,
        temperature=1.0,
        reward_weights=[1.0],  # for token_checksum; the env reward is added with weight 1, components with 0
    )
    trainer = build_grpo_trainer(config, model, tokenizer=tokenizer, reward_funcs=[token_checksum])
    prompts = [row["prompt"] for row in trainer.train_dataset.select([0, 0])]
    trainer.model.train()
    out = trainer.rollout_func(prompts, trainer)
    assert trainer.model.training  # the rollout's eval mode is undone (TRL logs by the model's mode)
    for completion, mask, logprobs, summary in zip(
        out["completion_ids"], out["env_mask"], out["logprobs"], out["mtsql_summary"]
    ):
        assert len(completion) == len(mask) == len(logprobs) <= config.max_completion_length
        assert mask[0] == 1 and 0 in mask  # the model speaks first, then the environment answers
        env_text = tokenizer.decode([t for t, m in zip(completion, mask) if m == 0])
        assert "Format error" in env_text or "Candidate" in env_text or "Execution" in env_text
        assert summary["steps"] >= 1
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    logs = [e for e in trainer.state.log_history if "loss" in e]
    assert len(logs) == 2 and all("rewards/env_reward/mean" in e and "env/steps" in e for e in logs)
    assert any(not torch.equal(p, before[n]) for n, p in trainer.model.named_parameters())
