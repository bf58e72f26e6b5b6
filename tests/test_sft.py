"""The self-taught SFT warm start end to end on CPU: real env, bundled sample data, a tiny model built here.

The tiny model is untrained: sampled with `LLMAgent` it writes junk and solves nothing (asserted below), so
the training tests use trajectories written by the scripted `NoisyCorrectingAgent` (an oracle that makes a
mistake and repairs it through execute/verify/correct), through the same sample -> select -> build path.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from mtsql_agents import NoisyCorrectingAgent  # noqa: E402
from mtsql_agents.tiny import CHAT_TEMPLATE, build_tiny_model  # noqa: E402
from mtsql_env.actions import parse_action  # noqa: E402
from mtsql_env.prompts import INSTRUCTIONS  # noqa: E402
from mtsql_trainers.selection import action_signature, select_trajectories  # noqa: E402
from mtsql_trainers.sft import (  # noqa: E402
    build_dataset,
    ensure_generation_template,
    list_items,
    load_samples,
    make_envs,
    make_sampler,
    make_trainer,
    sample_trajectories,
    train_on_dataset,
    train_sft,
)
from mtsql_trainers.sft_config import SelfTaughtConfig, SFTConfig  # noqa: E402

END = "<|im_end|>"


def quick_args(output_dir: Path, **overrides) -> SFTConfig:
    """SFT arguments shrunk for a CPU test."""
    settings = dict(
        output_dir=str(output_dir),
        use_cpu=True,  # no accelerator in CI
        bf16=False,  # bf16 is ~25x slower on these CPUs
        activation_checkpointing=False,  # nothing to save memory on with a 45k-parameter model
        report_to="none",
        save_strategy="no",  # only the final model is saved (by train_on_dataset)
        per_device_train_batch_size=2,  # two trajectories per optimiser step
        max_steps=2,  # the minimum that shows more than one optimiser step
        learning_rate=3e-3,  # a tiny random model needs a large step to move in a few updates
        lr_scheduler_type="constant",  # same step size throughout, so the loss trend is not the schedule's
        logging_steps=1,  # log every step's loss
        seed=0,
        data_seed=0,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    settings.update(overrides)
    return SFTConfig(**settings)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


def noisy_samples(native_tools: bool = False, items: int = 8, num_samples: int = 3):
    config = SelfTaughtConfig(
        data_dir="sample", num_samples=num_samples, max_items=items, native_tools=native_tools
    )
    envs = make_envs(config, expose_gold=True)
    try:
        agent = NoisyCorrectingAgent(error_rate=0.6, seed=1)
        return sample_trajectories(
            envs, agent, list_items(envs[0], items), num_samples=num_samples, native_tools=native_tools
        )
    finally:
        envs[0].close()


@pytest.fixture(scope="module")
def noisy_dataset():
    return build_dataset(select_trajectories(noisy_samples()))


# --- Sampling ----------------------------------------------------------------------------------------


@pytest.mark.slow  # ~10 s of CPU, slower on a busy machine
def test_tiny_llm_agent_sampling_records_its_own_conversation(tiny_model: Path, tmp_path: Path) -> None:
    config = SelfTaughtConfig(
        model_name_or_path=str(tiny_model),
        data_dir="sample",
        num_samples=2,
        max_items=1,
        max_new_tokens=12,  # junk either way; short replies keep the test fast
        max_steps_per_turn=2,
        run_dir=str(tmp_path),
    )
    agent = make_sampler(config)
    envs = make_envs(config, 2)  # both samples side by side, one backend call per step
    samples = sample_trajectories(envs, agent, list_items(envs[0], 1), num_samples=2, seed=0)
    assert [t.sample_index for t in samples] == [0, 1]
    for t in samples:
        roles = [m["role"] for m in t.messages]
        assert roles[:2] == ["system", "user"] and roles[-1] == "assistant"
        assert roles.count("assistant") == len(t.actions) == 2  # truncated after max_steps_per_turn
        assert t.truncated and t.sampler.startswith("llm-") and t.exec is None
        assert t.actions == ["format_error"] * 2  # junk is never a valid action
    # the untrained tiny model cannot write a valid action, let alone a correct answer
    assert not any(t.correct for t in samples)
    assert select_trajectories(samples) == []
    # same seed, same trajectories
    again = sample_trajectories(envs, agent, list_items(envs[0], 1), num_samples=2, seed=0)
    assert [t.messages for t in again] == [t.messages for t in samples]


def test_scripted_samples_are_rendered_like_the_llm_agent_writes() -> None:
    samples = noisy_samples(items=4, num_samples=2)
    assert len(samples) == 8
    assert any(t.sqls and len(set(t.sqls)) > 1 for t in samples)  # some mistakes were corrected
    for t in samples:
        assert t.messages[0] == {"role": "system", "content": INSTRUCTIONS}
        assert not t.messages[1]["content"].startswith(INSTRUCTIONS)
        assert t.messages[1]["content"].startswith("## Schema")
        assistant = [m for m in t.messages if m["role"] == "assistant"]
        parsed = [parse_action(m["content"])[0].to_tool_call() for m in assistant]
        assert [action_signature(a) for a in parsed] == t.actions  # messages and recorded actions agree
        assert t.actions[-1] == "answer" and t.correct and t.hardness in ("easy", "medium", "hard", "extra")
        assert t.tools is None


def test_native_tool_samples_use_tool_calls_and_tool_messages() -> None:
    samples = noisy_samples(native_tools=True, items=2, num_samples=2)
    t = samples[0]
    from mtsql_trainers.environment import tool_schemas

    # a scripted teacher's trajectories show the tools as GRPO's environment mode renders them (TRL's order)
    assert t.tools is not None and json.loads(t.tools) == tool_schemas()
    assert [tool["function"]["name"] for tool in tool_schemas()] == [
        "answer",
        "correct",
        "execute",
        "propose",
        "verify",
    ]
    calls = [m for m in t.messages if m["role"] == "assistant"]
    tools = [m for m in t.messages if m["role"] == "tool"]
    assert all(m["tool_calls"] and m["content"] == "" for m in calls)
    assert len(tools) == len(calls) - 1  # every call answered, except the final answer
    assert [m["tool_call_id"] for m in tools] == [m["tool_calls"][0]["id"] for m in calls[:-1]]
    dataset = build_dataset(samples)
    assert "tools" in dataset.column_names


# --- Dataset and masking -----------------------------------------------------------------------------


def test_dataset_saves_and_loads(noisy_dataset, tmp_path: Path) -> None:
    import datasets

    assert {"messages", "item_id", "hardness", "steps"} <= set(noisy_dataset.column_names)
    noisy_dataset.save_to_disk(str(tmp_path / "ds"))
    noisy_dataset.to_json(str(tmp_path / "ds.jsonl"), lines=True)
    assert datasets.load_from_disk(str(tmp_path / "ds"))["messages"] == noisy_dataset["messages"]
    lines = (tmp_path / "ds.jsonl").read_text().splitlines()
    assert len(lines) == len(noisy_dataset)
    assert json.loads(lines[0])["messages"][2]["role"] == "assistant"


def expected_assistant_text(messages) -> str:
    """What the tiny ChatML template renders inside the generation markers, message by message."""
    out = []
    for m in messages:
        if m["role"] != "assistant":
            continue
        calls = "".join(
            f'<tool_call>{{"name": "{c["function"]["name"]}", "arguments": {c["function"]["arguments"]}}}</tool_call>'
            for c in m.get("tool_calls") or []
        )
        out.append((m["content"] or "") + calls + END)
    return "".join(out)


@pytest.mark.parametrize("native_tools", [False, True], ids=["tags", "tool-calls"])
def test_labels_are_masked_exactly_outside_assistant_messages(
    tiny_model: Path, tmp_path: Path, native_tools
) -> None:
    from transformers import AutoTokenizer

    dataset = build_dataset(
        select_trajectories(noisy_samples(native_tools=native_tools, items=3, num_samples=2))
    )
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    trainer = make_trainer(dataset, str(tiny_model), quick_args(tmp_path), tokenizer=tokenizer)
    tokenized = trainer.train_dataset
    assert len(tokenized) == len(dataset)
    for row, messages in zip(tokenized, dataset["messages"]):
        ids = torch.tensor(row["input_ids"])
        labels = torch.tensor(row["labels"])
        kept = labels != -100
        assert torch.equal(labels[kept], ids[kept])  # labels are the tokens themselves where kept
        # the trained tokens are exactly the assistant messages (and their end-of-turn token) ...
        assert tokenizer.decode(ids[kept]) == expected_assistant_text(messages)
        # ... and everything else (system rules, schema, questions, tool feedback, role headers) is masked
        masked = tokenizer.decode(ids[~kept])
        for m in messages:
            if m["role"] != "assistant":
                assert m["content"] in masked
        assert masked.count("<|im_start|>assistant") == sum(m["role"] == "assistant" for m in messages)


def test_missing_generation_markers_are_supplied(tiny_model: Path) -> None:
    from transformers import AutoTokenizer
    from trl.chat_template_utils import qwen3_chat_template

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    assert ensure_generation_template(tokenizer) == "model" and tokenizer.chat_template == CHAT_TEMPLATE
    plain = re.sub(r"\{% (end)?generation %\}", "", CHAT_TEMPLATE)
    tokenizer.chat_template = plain
    with pytest.warns(UserWarning, match="generation"):
        assert ensure_generation_template(tokenizer) == "chatml"
    assert tokenizer.chat_template == CHAT_TEMPLATE
    tokenizer.chat_template = qwen3_chat_template  # a template TRL has a training version of
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: TRL's own patch is used
        assert ensure_generation_template(tokenizer) == "trl"
    assert "generation" in tokenizer.chat_template


# --- Training ----------------------------------------------------------------------------------------


def mean_assistant_loss(model, tokenized) -> float:
    """Mean next-token loss over the assistant tokens of every example (no dropout, no grad)."""
    model.eval()
    losses = []
    with torch.no_grad():
        for row in tokenized:
            ids = torch.tensor([row["input_ids"]])
            labels = torch.tensor([row["labels"]])
            losses.append(model(input_ids=ids, labels=labels).loss.item())
    return sum(losses) / len(losses)


@pytest.mark.slow
def test_sft_lowers_the_loss_on_its_trajectories(tiny_model: Path, noisy_dataset, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    args = quick_args(tmp_path / "model", max_steps=8)  # about one pass over the selected trajectories
    result = train_on_dataset(noisy_dataset, str(tiny_model), args)
    tokenized = result["trainer"].train_dataset
    before = mean_assistant_loss(AutoModelForCausalLM.from_pretrained(tiny_model), tokenized)
    trained = AutoModelForCausalLM.from_pretrained(tmp_path / "model")
    after = mean_assistant_loss(trained, tokenized)
    assert result["global_step"] == 8
    logged = [entry["loss"] for entry in result["log_history"] if "loss" in entry]
    assert len(logged) == 8
    assert after < before - 1.0, (before, after)  # measured 7.34 -> 5.30; random starts near ln(vocab) ~ 7
    assert logged[-1] < logged[0]


@pytest.mark.slow
def test_train_sft_rounds_drop_solved_items_and_each_stage_runs_alone(
    tiny_model: Path, tmp_path: Path
) -> None:
    # The no-correct noisy teacher answers its first attempt: some items stay unsolved after round 0.
    config = SelfTaughtConfig(
        model_name_or_path=str(tiny_model),
        sampler="noisy-no-correct",
        data_dir="sample",
        num_samples=2,
        max_items=8,
        rounds=2,
        run_dir=str(tmp_path / "run"),
    )
    result = train_sft(config, quick_args(tmp_path / "ignored", per_device_train_batch_size=1))
    first, second = result.rounds
    round0 = tmp_path / "run" / "round_0"
    samples0 = load_samples(round0 / "samples.jsonl")
    unsolved = [
        i
        for i in json.loads((round0 / "items.json").read_text())
        if not any(t.correct for t in samples0 if t.item_id == i)
    ]
    assert first.items == 8 and first.samples == 16 and 0 < first.solved_items < 8
    assert json.loads((tmp_path / "run" / "round_1" / "items.json").read_text()) == unsolved
    assert second.items == len(unsolved)
    for stats in result.rounds:
        folder = tmp_path / "run" / f"round_{stats.round}"
        assert (folder / "selected.jsonl").exists() and (folder / "dataset.jsonl").exists()
        if stats.selected:
            assert stats.global_step == 2 and (folder / "model" / "config.json").exists()
    assert result.model_dir is not None and result.history and all("round" in e for e in result.history)
    assert not (tmp_path / "ignored").exists()  # each round writes its model in its own folder

    # Stages one by one, for round 0 of a fresh run, give the same files as the full loop.
    alone = SelfTaughtConfig(**{**config.__dict__, "run_dir": str(tmp_path / "alone"), "rounds": 1})
    for stage in ("sample", "select", "build"):
        train_sft(SelfTaughtConfig(**{**alone.__dict__, "stage": stage}))
    folder = tmp_path / "alone" / "round_0"
    assert (folder / "selected.jsonl").read_text() == (round0 / "selected.jsonl").read_text()
    assert (folder / "dataset.jsonl").read_text() == (round0 / "dataset.jsonl").read_text()


def test_a_round_with_nothing_selected_trains_nothing(tmp_path: Path) -> None:
    # The no-correct teacher cut off after 2 steps never answers: every sample is wrong, nothing is kept.
    config = SelfTaughtConfig(
        sampler="noisy-no-correct",
        data_dir="sample",
        num_samples=2,
        max_items=2,
        max_steps_per_turn=2,
        rounds=1,
        run_dir=str(tmp_path),
    )
    result = train_sft(config, quick_args(tmp_path / "unused"))
    (stats,) = result.rounds
    assert (stats.samples, stats.correct_samples, stats.selected) == (4, 0, 0)
    assert stats.model_dir is None and result.model_dir is None
    assert not (tmp_path / "round_0" / "model").exists()
