"""``mtsql bench``: run agents over a split and write everything needed to compare and re-score them.

    mtsql bench --env MTSQL-CoSQL-v0 --agent oracle --agent previous-turn --agent hf:PATH \\
                --agent openai:MODEL@URL --out DIR [--data-dir D] [--split dev] [--episodes N] \\
                [--num-envs K] [--skip-missing-databases]

Every agent plays the same dialogues (dialogue mode: its own answers are the history, as QM/IM need).
Built-in agents run one episode after another; agents that batch (``supports_slots``, the LLM agents)
run on a synchronous vector env of ``--num-envs`` sub-envs with one generation batch per step.

What lands in DIR (see `mtsql_agents.report` for the summary fields):

- ``gold.txt``: the gold of the played dialogues in the official format (``SQL<TAB>db_id``, a blank line
  after each interaction); the same file serves every agent;
- ``<agent>/pred.txt``: the agent's answers in the official prediction format, same order (an empty answer
  is written as ``EMPTY_PREDICTION``), so ``mtsql evaluate`` or the official script can re-score it;
- ``<agent>/items.jsonl``: one line per turn (interaction, turn, exact, exec, hardness, steps, corrections,
  format errors, tokens, times, reward components, gold and predicted SQL);
- ``<agent>/trajectories.jsonl``: every episode step by step (`mtsql_agents.trajectory`);
- ``summary.json``, ``report.md`` and ``plots/*.png``.

Heavy imports (gymnasium, the agents, matplotlib, torch) stay inside the handler.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .run import add_env_arguments, make_env

if TYPE_CHECKING:
    from mtsql_agents.base import Agent
    from mtsql_agents.trajectory import Trajectory

logger = logging.getLogger(__name__)

__all__ = ["AgentSpec", "parse_agent_spec", "build_agent", "register", "run_bench"]

_SPEC_HELP = (
    "a built-in agent (oracle, previous-turn, noisy, noisy-no-correct, farmer), hf:PATH (a local Hugging Face model "
    "folder, transformers backend) or openai:MODEL@URL (an OpenAI-compatible server; @URL optional)"
)


@dataclass(frozen=True)
class AgentSpec:
    """A parsed ``--agent`` value: ``kind`` is ``builtin``, ``hf`` or ``openai``."""

    kind: str
    target: str  # built-in name, model path, or model name
    url: str | None = None

    @property
    def display_name(self) -> str:
        if self.kind == "builtin":
            return self.target
        if self.kind == "hf":
            return f"hf:{Path(self.target.rstrip('/')).name or self.target}"
        return f"openai:{self.target}"


def parse_agent_spec(spec: str) -> AgentSpec:
    """Parse one ``--agent`` value; the one place that knows the spec forms.

    Example:
        >>> parse_agent_spec("oracle")
        AgentSpec(kind='builtin', target='oracle', url=None)
        >>> parse_agent_spec("openai:Qwen/Qwen3-4B@http://localhost:8000/v1")
        AgentSpec(kind='openai', target='Qwen/Qwen3-4B', url='http://localhost:8000/v1')
        >>> parse_agent_spec("hf:/models/tiny").display_name
        'hf:tiny'

    Args:
        spec: the value given on the command line.

    Returns:
        The parsed spec.

    Raises:
        ValueError: an unknown built-in name or a malformed ``hf:`` / ``openai:`` spec; the message lists
            the accepted forms.
    """
    from mtsql_agents import BUILTIN_AGENTS

    spec = spec.strip()
    if spec in BUILTIN_AGENTS:
        return AgentSpec("builtin", spec)
    kind, sep, rest = spec.partition(":")
    if sep and kind == "hf" and rest:
        return AgentSpec("hf", rest)
    if sep and kind == "openai" and rest:
        model, _, url = rest.partition("@")
        if model:
            return AgentSpec("openai", model, url or None)
    raise ValueError(f"unknown agent {spec!r}: expected {_SPEC_HELP}")


def build_agent(spec: AgentSpec, args: argparse.Namespace | None = None) -> Agent:
    """Build the agent a spec names (LLM agents use ``--max-new-tokens``, ``--temperature``, ``--few-shot``)."""
    from mtsql_agents import make_agent

    if spec.kind == "builtin":
        return make_agent(spec.target)
    from mtsql_agents.backends import GenerationConfig
    from mtsql_agents.llm import LLMAgent

    config = GenerationConfig(
        max_new_tokens=getattr(args, "max_new_tokens", 256), temperature=getattr(args, "temperature", 0.0)
    )
    few_shot = bool(getattr(args, "few_shot", False))
    if spec.kind == "hf":
        from mtsql_agents.backends import TransformersBackend

        if not Path(spec.target).exists():
            raise ValueError(f"hf:{spec.target}: no such model folder")
        backend = TransformersBackend(spec.target, max_batch_size=getattr(args, "num_envs", None))
    else:
        from mtsql_agents.backends import OpenAIBackend

        backend = OpenAIBackend(spec.target, spec.url)
    return LLMAgent(backend, config, few_shot=few_shot, name=spec.display_name)


def _slug(name: str, taken: set[str]) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "agent"
    unique, n = slug, 2
    while unique in taken:
        unique, n = f"{slug}-{n}", n + 1
    taken.add(unique)
    return unique


# --- running ------------------------------------------------------------------------------------------


def _play(
    args: argparse.Namespace, agent: Agent, episodes: int | None
) -> tuple[list[Trajectory], Any, float, bool]:
    """Play the agent; return (trajectories by episode index, the env's dataset, wall seconds, batched)."""
    from mtsql_agents import run_agent
    from mtsql_agents.trajectory import RecordEpisodes, TrajectoryRecorder

    recorder = TrajectoryRecorder()
    batched = bool(getattr(agent, "supports_slots", False)) and args.num_envs > 1
    overrides: dict[str, Any] = {"expose_gold": agent.needs_gold}
    if args.max_steps_per_turn is not None:
        overrides["max_steps_per_turn"] = args.max_steps_per_turn
    if args.test_suite is not None:
        overrides["test_suite"] = args.test_suite
    start = time.perf_counter()
    if not batched:
        env = make_env(args, **overrides)
        try:
            run_agent(env, agent, episodes, progress=not args.no_progress, recorder=recorder)
            dataset = env.unwrapped.dataset
        finally:
            env.close()
    else:
        import gymnasium as gym

        from mtsql_agents.vector_runner import run_vector

        def factory(slot: int):
            return lambda: RecordEpisodes(make_env(args, **overrides), recorder, agent, slot)

        envs = gym.vector.SyncVectorEnv([factory(slot) for slot in range(args.num_envs)])
        try:
            run_vector(envs, agent, episodes, progress=not args.no_progress)
            dataset = envs.envs[0].unwrapped.dataset
        finally:
            envs.close()
    wall = time.perf_counter() - start
    # Keep the episodes the runner chose (by index); a vector env's autoresets play others, unrecorded or not.
    by_index: dict[int, Trajectory] = {}
    for trajectory in recorder.trajectories:
        index = (trajectory.options or {}).get("index")
        if index is not None and index not in by_index:
            by_index[index] = trajectory
    return [by_index[i] for i in sorted(by_index)], dataset, wall, batched


def turn_items(trajectories: list[Trajectory], dataset: Any) -> list[dict[str, Any]]:
    """One record per user turn (the ``items.jsonl`` lines), in episode then turn order.

    ``interaction`` is the episode's position in the gold file, so these records line up with what
    ``mtsql evaluate --per-item`` writes for the same files.
    """
    from mtsql_env.rewards import COMPONENTS

    items = []
    for interaction, trajectory in enumerate(trajectories):
        dialogue = dataset.dialogues[trajectory.options["index"]]
        if dialogue.dialogue_id != trajectory.dialogue_id:
            raise RuntimeError(
                f"episode {trajectory.options} played {trajectory.dialogue_id}, not {dialogue.dialogue_id}"
            )
        steps_by_turn: dict[int, list] = {}
        for step in trajectory.steps:
            steps_by_turn.setdefault(step.turn_index, []).append(step)
        for turn in dialogue.turns:
            steps = steps_by_turn.get(turn.index, [])
            result = next((s.turn_result for s in steps if s.turn_result), None)
            if result is None:
                raise RuntimeError(
                    f"{trajectory.dialogue_id} turn {turn.index} has no answer (was the episode cut?)"
                )
            item = {
                "interaction": interaction,
                "dialogue_id": trajectory.dialogue_id,
                "db_id": trajectory.db_id,
                "turn": turn.index,
                "question": turn.utterance,
                "gold": turn.query,
                "pred": result["sql"],
                "exact": result["exact"],
                "exec": result["exec"],
                "hardness": result["hardness"],
                "gold_error": result["gold_error"],
                "forced": result["forced"],
                "steps": len(steps),
                "corrections": sum(s.is_correction for s in steps),
                "format_errors": sum(s.format_error is not None for s in steps),
                "prompt_tokens": sum((s.generation or {}).get("prompt_tokens") or 0 for s in steps),
                "completion_tokens": sum((s.generation or {}).get("completion_tokens") or 0 for s in steps),
                "agent_time_s": sum(s.agent_time_s or 0.0 for s in steps),
                "env_time_s": sum(s.env_time_s or 0.0 for s in steps),
                "reward": sum(s.reward for s in steps),
            }
            for component in COMPONENTS:
                item[f"reward_{component}"] = sum(s.reward_components.get(component, 0.0) for s in steps)
            items.append(item)
    return items


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    import json

    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_bench(args: argparse.Namespace) -> int:
    """The ``bench`` command: parse every spec first (fail fast), then play, write, summarise, report."""
    import json

    from mtsql_agents.report import bench_summary, format_bench_table, write_report
    from mtsql_agents.trajectory import save_trajectories
    from mtsql_env.evaluation.files import write_gold, write_pred

    if args.mode != "dialogue":
        print("mtsql bench: scores whole dialogues (QM/IM); --mode turn is not supported", file=sys.stderr)
        return 2
    if args.num_envs < 1 or (args.episodes is not None and args.episodes < 1):
        print("mtsql bench: --num-envs and --episodes must be at least 1", file=sys.stderr)
        return 2
    try:
        specs = [parse_agent_spec(spec) for spec in args.agent]
    except ValueError as err:
        print(f"mtsql bench: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    agents_out: dict[str, dict[str, Any]] = {}
    gold_interactions = None
    dataset = None
    env_info: dict[str, Any] = {}
    for spec in specs:
        try:
            agent = build_agent(spec, args)
        except (ImportError, ValueError, OSError) as err:
            print(f"mtsql bench: cannot build agent {spec.display_name}: {err}", file=sys.stderr)
            return 2  # an expected error: exit 2 like every other (issue 9)
        name = (
            spec.display_name
            if spec.display_name not in agents_out
            else f"{spec.display_name}#{len(agents_out) + 1}"
        )
        try:
            trajectories, dataset, wall, batched = _play(args, agent, args.episodes)
        except Exception as err:
            from mtsql_agents.backends import BackendError

            if not isinstance(err, BackendError):
                raise
            print(f"mtsql bench: agent {name} failed: {err}", file=sys.stderr)
            return 2
        items = turn_items(trajectories, dataset)
        interactions = [
            [(t.query, d.db_id) for t in d.turns]
            for d in (dataset.dialogues[tr.options["index"]] for tr in trajectories)
        ]
        if gold_interactions is None:
            gold_interactions = interactions
            write_gold(out / "gold.txt", gold_interactions)
            env_info = (
                {"env_id": trajectories[0].env_id, "env_kwargs": trajectories[0].env_kwargs}
                if trajectories
                else {}
            )
        elif interactions != gold_interactions:
            raise RuntimeError(f"{name} played other dialogues than the first agent")
        folder = out / _slug(name, taken)
        folder.mkdir(exist_ok=True)
        predictions: list[list[str]] = [[] for _ in trajectories]
        for item in items:
            predictions[item["interaction"]].append(item["pred"] or "")
        write_pred(folder / "pred.txt", predictions)
        _write_jsonl(folder / "items.jsonl", items)
        save_trajectories(folder / "trajectories.jsonl", trajectories)
        summary = bench_summary(
            items,
            len(trajectories),
            wall_time_s=wall,
            strict=bool(env_info.get("env_kwargs", {}).get("strict_eval")),
        )
        summary.update({"batched": batched, "num_envs": args.num_envs if batched else 1})
        agents_out[name] = {
            "spec": spec.kind if spec.kind == "builtin" else f"{spec.kind}:{spec.target}",
            "dir": folder.name,
            "files": {k: f"{folder.name}/{k}" for k in ("pred.txt", "items.jsonl", "trajectories.jsonl")},
            "summary": summary,
        }
        del agent
    assert dataset is not None
    env_kwargs = dict(env_info.get("env_kwargs", {}))
    env_kwargs.pop("expose_gold", None)  # set per agent (oracles only)
    result = {
        "schema_version": 1,
        "env_id": env_info.get("env_id", args.env),
        "env_kwargs": env_kwargs,
        "dataset": {
            "source": dataset.source,
            "is_sample": dataset.is_sample,
            "split": dataset.split,
            "root": str(dataset.root),
            "database_dir": str(dataset.database_dir),
            "tables_path": str(dataset.tables_path),
            "dialogues": len(gold_interactions or []),
            "turns": sum(len(i) for i in gold_interactions or []),
            "skipped_dialogues": dataset.skipped_dialogues,
            "skipped_db_ids": list(dataset.skipped_db_ids),
        },
        "gold_file": "gold.txt",
        "agents": agents_out,
    }
    with open(out / "summary.json", "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    report = write_report(out, result)
    data = result["dataset"]
    if data["is_sample"]:
        print("NOTE: these numbers come from the bundled SAMPLE dataset, not a real CoSQL/SParC release.")
    source = "the bundled SAMPLE dataset" if data["is_sample"] else f"{data['source']} {data['split']}"
    print(f"Results on {source}: {data['dialogues']} dialogues, {data['turns']} turns")
    print(format_bench_table({name: entry["summary"] for name, entry in agents_out.items()}))
    print(f"\nReport: {report}\nSummary: {out / 'summary.json'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` command."""
    parser = subparsers.add_parser(
        "bench",
        help="run agents over a split and write predictions, trajectories, a summary and a report",
        description="Run each agent over the same dialogues and write, under --out, the official gold and "
        "prediction files (re-score them with `mtsql evaluate`), per-turn results, trajectories, summary.json "
        "and report.md with plots.",
    )
    add_env_arguments(parser)
    parser.add_argument(
        "--agent", action="append", required=True, metavar="SPEC", help=f"repeatable: {_SPEC_HELP}"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--episodes", type=int, help="play only the first N dialogues (default: all)")
    parser.add_argument(
        "--num-envs",
        type=int,
        default=8,
        help="sub-envs for agents that batch generation (LLM agents; default 8)",
    )
    parser.add_argument("--max-steps-per-turn", type=int, help="agent steps per user turn (env default: 10)")
    parser.add_argument(
        "--test-suite",
        metavar="DIR",
        help="score EX on every database of this suite (`mtsql testsuite build`)",
    )
    parser.add_argument(
        "--max-new-tokens", type=int, default=256, help="LLM agents: tokens per reply (default 256)"
    )
    parser.add_argument(
        "--temperature", type=float, default=0.0, help="LLM agents: sampling temperature (0 = greedy)"
    )
    parser.add_argument(
        "--few-shot", action="store_true", help="LLM agents: add the worked example to the prompt"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(func=run_bench)
