"""The self-taught SFT warm start of MTSQL-R1 (arXiv 2510.12831): sample, select, build, train, drop
solved items, repeat.

One round, four stages, each a function and each runnable alone (``mtsql train sft --stage ...``):

1. **sample** (`sample_trajectories`): N turn-mode episodes (gold history) per training item with any
   `mtsql_agents.Agent`; an `LLMAgent` (transformers, vLLM or OpenAI-compatible backend) plays all N
   side by side, one backend call per step, and its own message history is recorded
   (`LLMAgent.conversation`); a scripted agent's actions are rendered as the LLM agent would write them
   (tag grammar, or tool calls in native tool mode), after the same system and user messages.
2. **select** (`mtsql_trainers.selection`): keep EX- and EM-correct trajectories, few per item, by difficulty.
3. **build** (`build_dataset`): a conversational Hugging Face dataset (``messages`` with system, user,
   assistant and tool roles; a ``tools`` column in native tool mode), saved to disk and as JSONL.
4. **train** (`train_on_dataset`): TRL's `SFTTrainer` with ``assistant_only_loss=True``; when the model's
   chat template has no ``{% generation %}`` markers, `ensure_generation_template` supplies one.

`train_sft(config, training_args)` runs stages for one round or all rounds; items that any sample solved
are dropped before the next round, and from round 1 on the ``policy`` sampler is the model the previous
round trained. Every round writes ``run_dir/round_<r>/``: ``items.json``, ``samples.jsonl``,
``selected.jsonl``, ``dataset/`` and ``dataset.jsonl``, ``model/``.

Heavy libraries (torch, transformers, TRL, datasets) are imported inside the functions that need them.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtsql_env import install_hint
from mtsql_env.actions import TOOL_SCHEMAS, ActionParseError, parse_action
from mtsql_env.info import agent_info

from .environment import tool_schemas
from .selection import SampledTrajectory, action_signature, select_trajectories
from .sft_config import TINY_MODEL, SelfTaughtConfig

if TYPE_CHECKING:
    import datasets
    import gymnasium as gym

    from mtsql_agents import Agent

logger = logging.getLogger(__name__)

__all__ = [
    "RoundStats",
    "SFTResult",
    "build_dataset",
    "ensure_generation_template",
    "item_options",
    "list_items",
    "load_samples",
    "make_envs",
    "make_trainer",
    "make_sampler",
    "run_stage",
    "sample_trajectories",
    "save_samples",
    "train_on_dataset",
    "train_sft",
]

_SQL_KINDS = ("propose", "correct", "answer")
_TRAIN_COLUMNS = ("messages", "tools")


# --- Items and environments -------------------------------------------------------------------------


def list_items(env: gym.Env, max_items: int | None = None) -> list[str]:
    """Every (dialogue, turn) of the env's split as ``"<dialogue_id>#<turn>"``, in data order."""
    dialogues = env.unwrapped.dataset.dialogues
    items = [f"{d.dialogue_id}#{t}" for d in dialogues for t in range(len(d.turns))]
    return items if max_items is None else items[:max_items]


def item_options(item_id: str) -> dict[str, Any]:
    """The ``reset`` options that start an item's episode.

    Example:
        >>> item_options("dlg#7#2")
        {'dialogue_id': 'dlg#7', 'turn': 2}
    """
    dialogue_id, turn = item_id.rsplit("#", 1)
    return {"dialogue_id": dialogue_id, "turn": int(turn)}


def make_envs(config: SelfTaughtConfig, count: int = 1, *, expose_gold: bool = False) -> list[gym.Env]:
    """``count`` turn-mode environments (gold history) over the config's split."""
    import gymnasium as gym

    import mtsql_env  # noqa: F401 - registers the ids

    return [
        gym.make(
            config.env_id,
            data_dir=config.data_dir,
            split=config.split,
            mode="turn",
            history="gold",
            max_steps_per_turn=config.max_steps_per_turn,
            expose_gold=expose_gold,
            **(config.env_kwargs or {}),
        )
        for _ in range(count)
    ]


# --- Stage 1: sample ------------------------------------------------------------------------------


def _derive_seed(*parts: Any) -> int:
    """A stable 31-bit seed from any parts (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:4], "big") & 0x7FFFFFFF


def _render_action(action: Any, step: int, native_tools: bool) -> dict[str, Any]:
    """A scripted agent's action as the assistant message an LLM agent would have written."""
    try:
        parsed, _ = parse_action(action)
    except ActionParseError:
        return {
            "role": "assistant",
            "content": action if isinstance(action, str) else json.dumps(action, default=str),
        }
    if isinstance(action, str):  # a text action is already what a model writes
        return {"role": "assistant", "content": action}
    if not native_tools:
        return {"role": "assistant", "content": parsed.to_text()}
    call = parsed.to_tool_call()
    function = {"name": call["name"], "arguments": json.dumps(call["arguments"])}
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": f"call_{step}", "type": "function", "function": function}],
    }


@dataclass
class _Episode:
    """What one sampled episode did, step by step."""

    item_id: str
    sample_index: int
    messages: list[dict[str, Any]] = field(default_factory=list)  # scripted agents only
    actions: list[str] = field(default_factory=list)
    sqls: list[str] = field(default_factory=list)
    format_errors: int = 0
    reward: float = 0.0
    result: dict[str, Any] | None = None
    truncated: bool = False

    def record(self, info: dict[str, Any], reward: float) -> None:
        action = info.get("action")
        self.actions.append(action_signature(action))
        if action and action.get("name") in _SQL_KINDS and (action.get("arguments") or {}).get("sql"):
            self.sqls.append(action["arguments"]["sql"])
        self.format_errors += info.get("format_error") is not None
        self.reward += float(reward)

    def finish(
        self,
        messages: list[dict[str, Any]],
        info: dict[str, Any],
        round_index: int,
        sampler: str,
        tools: str | None,
    ) -> SampledTrajectory:
        dialogue_id, turn = self.item_id.rsplit("#", 1)
        result = self.result or {}
        return SampledTrajectory(
            item_id=self.item_id,
            sample_index=self.sample_index,
            messages=messages,
            actions=self.actions,
            sqls=self.sqls,
            answer_sql=result.get("sql"),
            exec=result.get("exec"),
            exact=result.get("exact"),
            hardness=result.get("hardness"),
            gold_error=result.get("gold_error"),
            dialogue_id=dialogue_id,
            turn=int(turn),
            db_id=str(info.get("db_id") or ""),
            format_errors=self.format_errors,
            truncated=self.truncated,
            reward=self.reward,
            round=round_index,
            sampler=sampler,
            tools=tools,
        )


def _set_step_seed(agent: Agent, seed: int | None) -> None:
    """Give an LLM agent's sampling config a fresh seed (each backend call is then reproducible)."""
    config = getattr(agent, "generation_config", None)
    if (
        seed is not None
        and config is not None
        and dataclasses.is_dataclass(config)
        and hasattr(config, "seed")
    ):
        agent.generation_config = dataclasses.replace(config, seed=seed)


def sample_trajectories(
    envs: gym.Env | Sequence[gym.Env],
    agent: Agent,
    items: Sequence[str],
    *,
    num_samples: int,
    round_index: int = 0,
    seed: int | None = None,
    native_tools: bool = False,
    few_shot: bool = False,
    progress: bool = False,
) -> list[SampledTrajectory]:
    """Play ``num_samples`` turn-mode episodes of every item with ``agent`` and record them.

    Agents that keep one history per slot (``supports_slots``, e.g. `LLMAgent`) play up to ``len(envs)``
    samples of an item side by side, one ``act_batch`` call per step; other agents play them one by one
    on ``envs[0]``. ``native_tools`` and ``few_shot`` shape the messages recorded for scripted agents (an
    LLM agent's own settings shape its messages) and should match the LLM agent that will be trained.

    Returns:
        One `SampledTrajectory` per episode, item by item, samples in order.
    """
    from tqdm.auto import tqdm

    from mtsql_agents.llm import build_initial_messages

    envs = [envs] if not isinstance(envs, Sequence) else list(envs)
    batched = bool(getattr(agent, "supports_slots", False))
    width = len(envs) if batched else 1
    sampler = getattr(agent, "name", type(agent).__name__)
    llm_native = bool(getattr(agent, "native_tools", native_tools))
    # an LLM agent's own tool list; a scripted teacher's trajectories get the one GRPO's tool env shows
    scripted = not hasattr(agent, "native_tools")
    tools = json.dumps(tool_schemas() if scripted else list(TOOL_SCHEMAS)) if llm_native else None
    out: list[SampledTrajectory] = []
    for item_number, item in enumerate(tqdm(items, desc=f"sample round {round_index}", disable=not progress)):
        options = item_options(item)

        def shown(info: dict[str, Any]) -> dict[str, Any]:  # what a policy may see (issue 9)
            return agent_info(info, with_gold=agent.needs_gold)

        for start in range(0, num_samples, width):
            slots = list(range(min(width, num_samples - start)))
            episodes = {k: _Episode(item, start + k) for k in slots}
            observations: dict[int, str] = {}
            infos: dict[int, dict[str, Any]] = {}
            for k in slots:
                observations[k], infos[k] = envs[k].reset(options=options)
                if batched:
                    agent.reset(observations[k], shown(infos[k]), slot=k)
                else:
                    agent.reset(observations[k], shown(infos[k]))
                    episodes[k].messages = build_initial_messages(
                        observations[k], few_shot=few_shot, native_tools=native_tools
                    )
            active = list(slots)
            step = 0
            while active:
                if seed is not None:
                    _set_step_seed(agent, _derive_seed(seed, round_index, item_number, start, step))
                if batched:
                    actions = agent.act_batch(
                        [observations[k] for k in active], [shown(infos[k]) for k in active], slots=active
                    )
                else:
                    actions = [agent.act(observations[active[0]], shown(infos[active[0]]))]
                still_active = []
                for k, action in zip(active, actions):
                    episode = episodes[k]
                    if not batched:
                        episode.messages.append(_render_action(action, step, native_tools))
                    observation, reward, terminated, truncated, info = envs[k].step(action)
                    episode.record(info, reward)
                    if info.get("turn_result"):
                        episode.result = info["turn_result"]
                    if terminated or truncated:
                        episode.truncated = bool(truncated)
                        messages = agent.conversation(k) if batched else episode.messages
                        out.append(episode.finish(messages, info, round_index, sampler, tools))
                        continue
                    if not batched:
                        last = episode.messages[-1]
                        if last.get("tool_calls"):
                            call = last["tool_calls"][0]
                            feedback = {
                                "role": "tool",
                                "tool_call_id": call["id"],
                                "name": call["function"]["name"],
                            }
                            episode.messages.append({**feedback, "content": observation})
                        else:
                            episode.messages.append({"role": "user", "content": observation})
                    observations[k], infos[k] = observation, info
                    still_active.append(k)
                active = still_active
                step += 1
    order = {item: position for position, item in enumerate(items)}
    out.sort(key=lambda t: (order[t.item_id], t.sample_index))
    solved = sum(t.correct for t in out)
    logger.info(
        "round %d: sampled %d trajectories of %d items, %d correct", round_index, len(out), len(items), solved
    )
    return out


def save_samples(trajectories: Sequence[SampledTrajectory], path: str | Path) -> Path:
    """Write trajectories as JSONL (one per line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for trajectory in trajectories:
            handle.write(json.dumps(trajectory.to_dict(), ensure_ascii=False) + "\n")
    return path


def load_samples(path: str | Path) -> list[SampledTrajectory]:
    """Read trajectories written by `save_samples`."""
    with Path(path).open(encoding="utf-8") as handle:
        return [SampledTrajectory.from_dict(json.loads(line)) for line in handle if line.strip()]


# --- Stage 3: build -------------------------------------------------------------------------------


def _clean_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message with only the keys chat templates read; tool-call arguments as JSON strings."""
    out: dict[str, Any] = {"role": message["role"], "content": message.get("content") or ""}
    if message.get("tool_calls"):
        calls = []
        for call in message["tool_calls"]:
            function = dict(call.get("function", call))
            if not isinstance(function.get("arguments"), str):
                function["arguments"] = json.dumps(function.get("arguments") or {})
            calls.append(
                {
                    "id": str(call.get("id") or ""),
                    "type": "function",
                    "function": {"name": str(function.get("name")), "arguments": function["arguments"]},
                }
            )
        out["tool_calls"] = calls
    if message["role"] == "tool":
        out["tool_call_id"] = str(message.get("tool_call_id") or "")
        out["name"] = str(message.get("name") or "")
    return out


def build_dataset(trajectories: Sequence[SampledTrajectory]) -> datasets.Dataset:
    """A conversational dataset: ``messages`` (system/user/assistant/tool), ``tools`` when any had tools, metadata.

    The metadata columns (``item_id``, ``sample_index``, ``round``, ``hardness``, ``steps``) are for
    analysis; `train_on_dataset` passes only ``messages`` (and ``tools``) to the trainer.
    """
    try:
        import datasets
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError("building the SFT dataset needs `datasets`: " + install_hint("train")) from err

    with_tools = any(t.tools for t in trajectories)
    rows = []
    for t in trajectories:
        row = {
            "messages": [_clean_message(m) for m in t.messages],
            "item_id": t.item_id,
            "sample_index": t.sample_index,
            "round": t.round,
            "hardness": t.hardness,
            "steps": t.length[0],
        }
        if with_tools:
            row["tools"] = t.tools or json.dumps(tool_schemas())
        rows.append(row)
    if not rows:
        return datasets.Dataset.from_dict(
            {"messages": [], "item_id": [], "sample_index": [], "round": [], "hardness": [], "steps": []}
        )
    return datasets.Dataset.from_list(rows)


# --- Stage 4: train -------------------------------------------------------------------------------


def ensure_generation_template(tokenizer: Any) -> str:
    """Make sure the chat template marks assistant turns with ``{% generation %}`` (assistant-only loss needs it).

    Keeps a template that has the markers; else takes TRL's training version of the model's own template
    when TRL knows it (Qwen3, Llama 3, ...); else installs `mtsql_agents.tiny.CHAT_TEMPLATE` (ChatML with
    markers, tools and tool messages) and warns: the model then trains and, once saved with this tokenizer,
    samples in ChatML, which suits ChatML models (Qwen, SmolLM2) and is a format change for others.

    Returns:
        Where the template came from: ``"model"``, ``"trl"`` or ``"chatml"``.
    """
    from trl.chat_template_utils import (
        get_training_chat_template,
        has_generation_markers,
    )

    from mtsql_agents.tiny import CHAT_TEMPLATE

    template = tokenizer.chat_template
    if template and has_generation_markers(template):
        return "model"
    if template:
        try:
            patched = get_training_chat_template(tokenizer)
        except ValueError:
            patched = None
        if patched:
            tokenizer.chat_template = patched
            logger.info(
                "chat template: using TRL's training version of the model's template (generation markers)"
            )
            return "trl"
    warnings.warn(
        "the tokenizer's chat template has no {% generation %} markers and TRL has no training version of it; "
        "using mtsql's ChatML template with markers (mtsql_agents.tiny.CHAT_TEMPLATE). Check that the model "
        "knows <|im_start|>/<|im_end|>, or pass a tokenizer whose template has the markers.",
        UserWarning,
        stacklevel=2,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return "chatml"


def make_trainer(dataset: datasets.Dataset, model: Any, training_args: Any, *, tokenizer: Any = None) -> Any:
    """TRL's `SFTTrainer` over the conversations, with a chat template fit for assistant-only loss.

    ``model`` is a folder, Hub id or loaded model; the tokenizer is loaded from it unless given. Only the
    ``messages`` (and ``tools``) columns reach the trainer. After construction ``trainer.train_dataset``
    holds the tokenized ``input_ids`` and the ``labels`` (-100 outside assistant messages).
    """
    try:
        from transformers import AutoTokenizer
        from trl import SFTTrainer
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError(
            "the SFT training stage needs torch, transformers and TRL: " + install_hint("train")
        ) from err

    if len(dataset) == 0:
        raise ValueError("the SFT dataset is empty: no sampled trajectory was correct (see the select stage)")
    if tokenizer is None:
        source = model if isinstance(model, (str, Path)) else getattr(model, "name_or_path", None)
        if not source:
            raise ValueError("pass a tokenizer: the model object does not say where it was loaded from")
        tokenizer = AutoTokenizer.from_pretrained(str(source))
    if training_args.assistant_only_loss:
        ensure_generation_template(tokenizer)
    columns = [c for c in _TRAIN_COLUMNS if c in dataset.column_names]
    trainer = SFTTrainer(
        model=str(model) if isinstance(model, Path) else model,
        args=training_args,
        train_dataset=dataset.select_columns(columns),
        processing_class=tokenizer,
    )
    _warn_on_truncation(trainer.train_dataset, training_args.max_length)
    return trainer


def train_on_dataset(
    dataset: datasets.Dataset, model: Any, training_args: Any, *, tokenizer: Any = None
) -> dict[str, Any]:
    """Fine-tune ``model`` on the conversations (`make_trainer`), then save model and tokenizer to ``output_dir``.

    ``training_args`` is an `mtsql_trainers.sft_config.SFTConfig` (or TRL's). Returns ``{"output_dir",
    "log_history", "train_loss", "global_step", "trainer"}`` (``log_history`` is the trainer's list of
    logged dicts, ``loss`` entries included).
    """
    trainer = make_trainer(dataset, model, training_args, tokenizer=tokenizer)
    output = trainer.train()
    trainer.save_model(training_args.output_dir)  # the tokenizer too, with the template it was trained with
    return {
        "output_dir": training_args.output_dir,
        "log_history": list(trainer.state.log_history),
        "train_loss": float(output.training_loss),
        "global_step": int(trainer.state.global_step),
        "trainer": trainer,
    }


def _warn_on_truncation(dataset: Any, max_length: int | None) -> None:
    if max_length is None or "input_ids" not in dataset.column_names:
        return
    longest = max((len(ids) for ids in dataset["input_ids"]), default=0)
    if longest >= max_length:
        logger.warning(
            "some trajectories reach max_length=%d tokens and are cut at the end; raise max_length",
            max_length,
        )


# --- Rounds ---------------------------------------------------------------------------------------


@dataclass
class RoundStats:
    """What one round did."""

    round: int
    items: int = 0
    samples: int = 0
    correct_samples: int = 0
    env_steps: int = 0  # over every sampled trajectory (one action per step)
    reward_mean: float | None = None  # the env's mean reward of the sampled trajectories
    solved_items: int = 0
    selected: int = 0
    model_dir: str | None = None
    train_loss: float | None = None
    global_step: int = 0
    log_history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SFTResult:
    """What `train_sft` returns: per-round statistics, the run folder and the last trained model."""

    output_dir: str
    rounds: list[RoundStats] = field(default_factory=list)
    model_dir: str | None = None

    @property
    def history(self) -> list[dict[str, Any]]:
        """Every logged training entry of every round, each tagged with its round."""
        return [{"round": r.round, **entry} for r in self.rounds for entry in r.log_history]

    def summary(self) -> dict[str, Any]:
        """What the run did, in the keys every trainer's result shares (`mtsql train` prints them); the
        rewards are those of the sampled trajectories (first and last round), the loss the SFT loss."""
        losses = [entry["loss"] for entry in self.history if "loss" in entry]
        grads = [entry["grad_norm"] for entry in self.history if "grad_norm" in entry]
        rewards = [r.reward_mean for r in self.rounds if r.reward_mean is not None]
        return {
            "optimizer_steps": sum(r.global_step for r in self.rounds),
            "rollouts": sum(r.samples for r in self.rounds),
            "tool_calls": sum(r.env_steps for r in self.rounds),
            "env_steps": sum(r.env_steps for r in self.rounds),
            "correct_samples": sum(r.correct_samples for r in self.rounds),
            "reward_first": rewards[0] if rewards else None,
            "reward_last": rewards[-1] if rewards else None,
            "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None,
            "grad_norm_mean": sum(grads) / len(grads) if grads else None,
            "model_dir": self.model_dir,
        }


def _round_dir(config: SelfTaughtConfig, round_index: int) -> Path:
    return Path(config.run_dir) / f"round_{round_index}"


def _base_model(config: SelfTaughtConfig) -> str:
    """The starting model; builds the tiny test model when asked for it."""
    if config.model_name_or_path != TINY_MODEL:
        return config.model_name_or_path
    folder = Path(config.run_dir) / "tiny_model"
    if not (folder / "config.json").exists():
        from mtsql_agents.tiny import build_tiny_model

        build_tiny_model(folder)
    return str(folder)


def _policy_model(config: SelfTaughtConfig, round_index: int, *, for_training: bool) -> str:
    """The model that samples round r, or that round r trains from: the latest one an earlier round trained.

    With ``restart_from_base`` training always starts from the base model; before any round has trained
    (or when no round selected anything), the base model is used.
    """
    if not (for_training and config.restart_from_base):
        for earlier in range(round_index - 1, -1, -1):
            folder = _round_dir(config, earlier) / "model"
            if (folder / "config.json").exists():
                return str(folder)
    return _base_model(config)


def make_sampler(config: SelfTaughtConfig, round_index: int = 0) -> Agent:
    """The agent that samples round ``round_index`` (see `SelfTaughtConfig.sampler`)."""
    from mtsql_agents import make_agent

    if config.scripted_sampler:
        return make_agent(config.sampler)
    from mtsql_agents.backends import GenerationConfig
    from mtsql_agents.llm import LLMAgent

    generation = GenerationConfig(
        temperature=config.temperature, top_p=config.top_p, max_new_tokens=config.max_new_tokens
    )
    if config.sampler == "openai":
        from mtsql_agents.backends import OpenAIBackend

        backend = OpenAIBackend(config.sampler_model or config.model_name_or_path, config.sampler_base_url)
    else:
        from mtsql_agents.backends import TransformersBackend

        backend = TransformersBackend(_policy_model(config, round_index, for_training=False))
    return LLMAgent(backend, generation, few_shot=config.few_shot, native_tools=config.native_tools)


def _round_items(config: SelfTaughtConfig, round_index: int) -> list[str]:
    """Round 0: the split's items; later: the previous round's items that no sample solved (and that can be scored)."""
    if round_index == 0:
        env = make_envs(config)[0]
        try:
            return list_items(env, config.max_items)
        finally:
            env.close()
    previous = _round_dir(config, round_index - 1)
    items = json.loads((previous / "items.json").read_text())
    samples = load_samples(previous / "samples.jsonl")
    drop = {t.item_id for t in samples if t.correct or t.gold_error}
    return [item for item in items if item not in drop]


def _stage_sample(
    config: SelfTaughtConfig, round_index: int, agent: Agent | None
) -> tuple[list[str], list[SampledTrajectory]]:
    folder = _round_dir(config, round_index)
    folder.mkdir(parents=True, exist_ok=True)
    items = _round_items(config, round_index)
    (folder / "items.json").write_text(json.dumps(items))
    if not items:
        save_samples([], folder / "samples.jsonl")
        return items, []
    agent = agent if agent is not None else make_sampler(config, round_index)
    batched = bool(getattr(agent, "supports_slots", False))
    envs = make_envs(
        config,
        min(config.sampling_batch_size, config.num_samples) if batched else 1,
        expose_gold=agent.needs_gold,
    )
    try:
        samples = sample_trajectories(
            envs,
            agent,
            items,
            num_samples=config.num_samples,
            round_index=round_index,
            seed=config.sampling_seed,
            native_tools=config.native_tools,
            few_shot=config.few_shot,
        )
    finally:
        for env in envs:
            env.close()
    save_samples(samples, folder / "samples.jsonl")
    return items, samples


def _stage_select(config: SelfTaughtConfig, round_index: int) -> list[SampledTrajectory]:
    folder = _round_dir(config, round_index)
    selected = select_trajectories(
        load_samples(folder / "samples.jsonl"),
        max_easy=config.max_easy_keep,
        max_other=config.max_other_keep,
        easy_hardness=config.easy_hardness,
    )
    save_samples(selected, folder / "selected.jsonl")
    return selected


def _stage_build(config: SelfTaughtConfig, round_index: int) -> datasets.Dataset:
    rounds = range(round_index + 1) if config.accumulate else [round_index]
    selected = [t for r in rounds for t in load_samples(_round_dir(config, r) / "selected.jsonl")]
    dataset = build_dataset(selected)
    folder = _round_dir(config, round_index)
    dataset.save_to_disk(str(folder / "dataset"))
    dataset.to_json(str(folder / "dataset.jsonl"), lines=True)
    logger.info("round %d: dataset of %d trajectories in %s", round_index, len(dataset), folder / "dataset")
    return dataset


def _stage_train(config: SelfTaughtConfig, round_index: int, training_args: Any) -> dict[str, Any] | None:
    import datasets

    folder = _round_dir(config, round_index)
    if (
        not (folder / "dataset.jsonl").read_text(encoding="utf-8").strip()
    ):  # (an empty saved dataset cannot be loaded)
        logger.warning("round %d: no trajectory was selected; nothing to train on", round_index)
        return None
    dataset = datasets.load_from_disk(str(folder / "dataset"))
    args = _round_args(training_args, folder / "model")
    return train_on_dataset(dataset, _policy_model(config, round_index, for_training=True), args)


def _round_args(training_args: Any, output_dir: Path) -> Any:
    """A copy of the SFT arguments writing to this round's model folder."""
    if training_args is None:
        from .sft_config import SFTConfig

        return SFTConfig(output_dir=str(output_dir))
    args = copy.deepcopy(training_args)
    args.output_dir = str(output_dir)
    return args


def run_stage(
    config: SelfTaughtConfig,
    stage: str,
    round_index: int,
    training_args: Any = None,
    *,
    agent: Agent | None = None,
    stats: RoundStats | None = None,
) -> RoundStats:
    """Run one stage of one round, reading what the earlier stages wrote in ``run_dir/round_<r>/``."""
    stats = stats if stats is not None else RoundStats(round_index)
    if stage == "sample":
        items, samples = _stage_sample(config, round_index, agent)
        stats.items, stats.samples = len(items), len(samples)
        stats.correct_samples = sum(t.correct for t in samples)
        stats.env_steps = sum(len(t.actions) for t in samples)
        stats.reward_mean = sum(t.reward for t in samples) / len(samples) if samples else None
        stats.solved_items = len({t.item_id for t in samples if t.correct})
    elif stage == "select":
        stats.selected = len(_stage_select(config, round_index))
    elif stage == "build":
        _stage_build(config, round_index)
    elif stage == "train":
        trained = _stage_train(config, round_index, training_args)
        if trained is not None:
            stats.model_dir = trained["output_dir"]
            stats.train_loss = trained["train_loss"]
            stats.global_step = trained["global_step"]
            stats.log_history = trained["log_history"]
    else:
        raise ValueError(f"unknown stage {stage!r}; stages: sample, select, build, train")
    return stats


def train_sft(
    config: SelfTaughtConfig | None = None, training_args: Any = None, *, agent: Agent | None = None
) -> SFTResult:
    """Run the self-taught warm start: ``config.stage`` of round ``config.round_index``, or every round.

    Args:
        config: the loop (sampling, selection, rounds); default `SelfTaughtConfig()`.
        training_args: `mtsql_trainers.sft_config.SFTConfig` for the train stage (its ``output_dir`` is
            replaced by ``run_dir/round_<r>/model`` each round); default ``SFTConfig()``.
        agent: samples every round instead of the configured sampler (e.g. a ready `LLMAgent` or a
            scripted teacher); it is not updated between rounds.

    Returns:
        `SFTResult` with per-round statistics (items, samples, correct, selected, loss history).
    """
    config = config if config is not None else SelfTaughtConfig()
    result = SFTResult(output_dir=str(config.run_dir))
    if config.stage != "all":
        stats = run_stage(config, config.stage, config.round_index, training_args, agent=agent)
        result.rounds.append(stats)
        result.model_dir = stats.model_dir
        return result
    for round_index in range(config.rounds):
        stats = RoundStats(round_index)
        run_stage(config, "sample", round_index, agent=agent, stats=stats)
        result.rounds.append(stats)
        if stats.items == 0:
            logger.info("round %d: every item is solved (or unscorable); stopping", round_index)
            break
        for stage in ("select", "build", "train"):
            run_stage(config, stage, round_index, training_args, stats=stats)
        result.model_dir = stats.model_dir or result.model_dir
        logger.info(
            "round %d: %d items, %d/%d correct samples, %d items solved, %d selected, loss %s",
            round_index,
            stats.items,
            stats.correct_samples,
            stats.samples,
            stats.solved_items,
            stats.selected,
            stats.train_loss,
        )
    return result


def tiny_warm_start(
    folder: str | Path,
    *,
    data_dir: str | None = "sample",
    split: str = "train",
    max_items: int = 2,
    env_kwargs: dict[str, Any] | None = None,
    max_steps: int = 40,
    seed: int = 0,
) -> Path:
    """A tiny model that has learned the tool-call protocol on a few items: the start of the CPU quick runs.

    Builds the tiny model (``hidden_size=64``, the vLLM-compatible size) in ``folder/base``, has the oracle
    teacher play the first ``max_items`` turns of ``split`` with native tool calls (the tool descriptions
    GRPO's environment mode shows, `mtsql_trainers.environment.tool_schemas`), and fine-tunes on them with
    this module's SFT for ``max_steps`` steps. The model then calls the tools on those same turns, often
    right and sometimes not when sampled: enough reward, and reward spread, for a GRPO run to show life.
    It has learned the turns by heart, not SQL. Reused when ``folder/model`` exists.

    Returns:
        The fine-tuned model's folder.
    """
    from mtsql_agents.tiny import TinyModelConfig, build_tiny_model

    from .sft_config import SFTConfig

    folder = Path(folder)
    model_dir = folder / "round_0" / "model"
    if (model_dir / "config.json").exists():
        return model_dir
    sizes = TinyModelConfig(
        hidden_size=64, intermediate_size=128, num_attention_heads=2, num_key_value_heads=1
    )
    base = build_tiny_model(folder / "base", seed=seed, config=sizes)
    config = SelfTaughtConfig(
        model_name_or_path=str(base),
        sampler="oracle",
        native_tools=True,
        data_dir=data_dir,
        split=split,
        max_items=max_items,
        env_kwargs=env_kwargs,
        num_samples=1,
        rounds=1,
        run_dir=str(folder),
    )
    args = SFTConfig(
        output_dir=str(model_dir),
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        per_device_train_batch_size=2,
        max_steps=max_steps,
        learning_rate=3e-3,
        lr_scheduler_type="constant",
        logging_steps=10,
        save_strategy="no",
        report_to="none",
        seed=seed,
    )
    logger.info(
        "warm start: teaching the tiny model the tool protocol on %d turns (%d steps)", max_items, max_steps
    )
    result = train_sft(config, args)
    return Path(result.model_dir)
