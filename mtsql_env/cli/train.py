"""``mtsql train grpo|ppo|sft [--config FILE.yaml] [--key value ...]``: train a policy on the environment.

Every field of the trainer's config dataclasses is a ``--key value`` flag (`transformers.HfArgumentParser`);
``--config`` reads the same keys from a flat YAML file, and flags given on the command line override it.
``mtsql train sft --help`` lists every key. The trainers (torch, transformers, TRL) are imported only
when a trainer runs, so ``mtsql --help`` and ``mtsql train --help`` stay instant and work without them.

``model_name_or_path: mtsql-tiny`` builds the tiny untrained test model (`mtsql_agents.tiny`) on the spot,
into ``<output_dir>/tiny_model`` (SFT: ``<run_dir>/tiny_model``): the CPU quick configs in
``examples/configs/`` use it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtsql_env import install_hint

logger = logging.getLogger(__name__)

TRAIN_EXTRA = install_hint("train")
#: The ``model_name_or_path`` that builds the tiny test model (same value as `mtsql_trainers.sft_config.TINY_MODEL`).
TINY_MODEL = "mtsql-tiny"
#: The ``model_name_or_path`` (GRPO) that builds the tiny model and teaches it the tool protocol on the run's
#: first training rows (`mtsql_trainers.sft.tiny_warm_start`): a start that makes real tool calls.
TINY_WARM_MODEL = "mtsql-tiny-warm"


@dataclass(frozen=True)
class TrainerSpec:
    """Where a trainer's entry function and config dataclasses live (imported only when it runs)."""

    module: str
    entry: str
    configs: tuple[str, ...]  # "module:Class", in the order the entry function takes them
    help: str


TRAINERS: dict[str, TrainerSpec] = {
    "grpo": TrainerSpec(
        "mtsql_trainers.grpo",
        "train_grpo",
        ("mtsql_trainers.grpo_config:MTSQLGRPOConfig",),
        "GRPO over TRL's GRPOTrainer (environment tools or token-level rollouts), optional curriculum",
    ),
    "ppo": TrainerSpec(
        "mtsql_trainers.ppo",
        "train_ppo",
        ("mtsql_trainers.ppo_config:PPOConfig",),
        "multi-turn PPO (value head, GAE over agent tokens, optional KL to a reference)",
    ),
    "sft": TrainerSpec(
        "mtsql_trainers.sft",
        "train_sft",
        ("mtsql_trainers.sft_config:SelfTaughtConfig", "mtsql_trainers.sft_config:SFTConfig"),
        "self-taught SFT warm start: sample, select, build, train (--stage sample|select|build|train|all)",
    ),
}


class _PassThroughParser(argparse.ArgumentParser):
    """A subcommand parser that keeps every remaining argument for the trainer's own parser.

    The flags depend on the trainer's config dataclasses, which need torch to import, so they are
    parsed in `run`, not here.
    """

    def parse_known_args(
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ):
        namespace = namespace if namespace is not None else argparse.Namespace()
        for key, value in self._defaults.items():
            setattr(namespace, key, value)
        namespace.trainer_args = list(args if args is not None else sys.argv[1:])
        return namespace, []


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a policy: GRPO, PPO or the self-taught SFT warm start",
        description=(
            "Train a policy on the environment. Each trainer takes --config FILE.yaml and/or --key value flags "
            "(every field of its config); `mtsql train TRAINER --help` lists them. "
            f"Needs the train extra: {TRAIN_EXTRA}."
        ),
    )
    trainers = parser.add_subparsers(dest="trainer", metavar="TRAINER", parser_class=_PassThroughParser)
    for name, spec in TRAINERS.items():
        sub = trainers.add_parser(name, help=spec.help, add_help=False)
        sub.set_defaults(func=run, trainer=name)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _import(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return (
        getattr(importlib.import_module(module), attribute) if attribute else importlib.import_module(module)
    )


def load_trainer(name: str) -> tuple[Any, tuple[type, ...]]:
    """The entry function and config classes of a trainer, or an ImportError naming the extra."""
    spec = TRAINERS[name]
    try:
        entry = getattr(importlib.import_module(spec.module), spec.entry)
        configs = tuple(_import(path) for path in spec.configs)
    except ImportError as err:
        raise ImportError(
            f"mtsql train {name} needs torch, transformers and TRL ({err}): {TRAIN_EXTRA}"
        ) from err
    return entry, configs


def parse_trainer_args(name: str, argv: Sequence[str], configs: tuple[type, ...]) -> tuple[Any, ...] | None:
    """Build the config dataclasses from ``--config FILE.yaml`` and flags (flags win); None after ``--help``."""
    from transformers import HfArgumentParser

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, rest = pre.parse_known_args(list(argv))
    usage = f"mtsql train {name} [--config FILE.yaml] [--key value ...]"
    parser = HfArgumentParser(configs, prog=f"mtsql train {name}", usage=usage)
    parser.add_argument(
        "--config", metavar="FILE.yaml", help="read these keys from a YAML file; flags override it"
    )
    if "-h" in rest or "--help" in rest:
        _group_own_fields_first(parser, configs)
        parser.print_help()
        return None
    if known.config:
        import yaml

        values = yaml.safe_load(Path(known.config).read_text()) or {}
        if not isinstance(values, dict):
            raise SystemExit(f"mtsql train {name}: {known.config} must hold a mapping of keys to values")
        dests = {action.dest for action in parser._actions}
        unknown = sorted(set(values) - dests)
        if unknown:
            raise SystemExit(f"mtsql train {name}: unknown key(s) in {known.config}: {', '.join(unknown)}")
        parser.set_defaults(**values)
    # the last item is the namespace left over for --config, which is no config field
    *parsed, _ = parser.parse_args_into_dataclasses(rest, look_for_args_file=False)
    return tuple(parsed)


def own_fields(config: type) -> list[str]:
    """The fields mtsql's config classes declare (new ones, and TRL fields given mtsql defaults), in order."""
    from dataclasses import fields

    mtsql_classes = [cls for cls in config.__mro__ if cls.__module__.startswith("mtsql")]
    declared = {name for cls in mtsql_classes for name in vars(cls).get("__annotations__", {})}
    return [f.name for f in fields(config) if f.name in declared]


def _group_own_fields_first(parser: argparse.ArgumentParser, configs: tuple[type, ...]) -> None:
    """Move each config's own fields (and --config) into a group listed first in ``--help``; the inherited
    TRL / transformers fields (over a thousand lines for GRPO) follow under their own heading."""
    own = {"config", *(name for config in configs for name in own_fields(config))}
    group = parser.add_argument_group(f"mtsql options ({', '.join(c.__name__ for c in configs)})")
    parser._action_groups.remove(group)
    parser._action_groups.insert(0, group)
    for other in parser._action_groups[1:]:
        moved = [action for action in other._group_actions if action.dest in own]
        for action in moved:
            other._group_actions.remove(action)
            group._group_actions.append(action)
        if other.title == "options" and any(action.dest != "help" for action in other._group_actions):
            other.title = "inherited options (TRL / transformers)"


def _resolve_tiny_model(config: Any) -> None:
    """Replace ``model_name_or_path: mtsql-tiny`` by a freshly built tiny model (GRPO, PPO; SFT does its own),
    and ``mtsql-tiny-warm`` (GRPO) by the tiny model after a warm start on the run's training rows."""
    name = getattr(config, "model_name_or_path", None)
    if name not in (TINY_MODEL, TINY_WARM_MODEL) or hasattr(config, "run_dir"):
        return
    root = Path(getattr(config, "output_dir", None) or ".")
    if name == TINY_WARM_MODEL:
        if not hasattr(config, "env_make_kwargs"):
            raise SystemExit(f"{TINY_WARM_MODEL} is a GRPO start (native tool calls); use {TINY_MODEL} here")
        from mtsql_trainers.sft import tiny_warm_start

        folder = tiny_warm_start(
            root / "warm_start",
            data_dir=config.data_dir,
            split=config.split,
            max_items=config.max_rows or 2,
            env_kwargs=config.env_kwargs,
            seed=config.seed,
        )
        config.model_name_or_path = str(folder)
        return
    from mtsql_agents.tiny import build_tiny_model

    folder = root / "tiny_model"
    if not (folder / "config.json").exists():
        build_tiny_model(folder)
    config.model_name_or_path = str(folder)


def summarize_result(result: Any) -> dict[str, Any]:
    """A short JSON-able view of a trainer's result: what it did (`summary()`), where it saved, its last log."""
    summary: dict[str, Any] = {"output_dir": getattr(result, "output_dir", None), **result.summary()}
    for name in ("rounds", "buckets"):
        value = getattr(result, name, None)
        if value:
            summary[name] = len(value)
    history = getattr(result, "history", None) or getattr(result, "log_history", None)
    if isinstance(history, list) and history:
        summary["last_log"] = {k: v for k, v in history[-1].items() if isinstance(v, (int, float, str))}
    return summary


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def summary_lines(name: str, summary: dict[str, Any]) -> list[str]:
    """The summary in three lines a person reads: what ran, how reward (and loss) moved, where the model is."""
    head = (
        f"mtsql train {name}: {summary['optimizer_steps']} optimiser steps, {summary['rollouts']} episodes, "
        f"{summary['tool_calls']} tool calls, {summary['env_steps']} env steps"
    )
    lines = [head]
    trend = (
        f"mean reward {_number(summary['reward_first'])} -> {_number(summary['reward_last'])} (first -> last)"
    )
    if "loss_first" in summary:
        trend += f", loss {_number(summary['loss_first'])} -> {_number(summary['loss_last'])}"
    lines.append(f"  {trend}, mean grad norm {_number(summary['grad_norm_mean'])}")
    where = summary["model_dir"]
    lines.append(f"  model saved to {where}" if where else "  model not saved (saving is off)")
    return lines


def run(args: argparse.Namespace) -> int:
    name = args.trainer
    entry, configs = load_trainer(name)
    parsed = parse_trainer_args(name, args.trainer_args, configs)
    if parsed is None:
        return 0
    for config in parsed:
        _resolve_tiny_model(config)
    logger.info("mtsql train %s: %s", name, ", ".join(type(c).__name__ for c in parsed))
    result = entry(*parsed)
    summary = summarize_result(result)
    print("\n".join(summary_lines(name, summary)))
    print(json.dumps(summary, indent=2, default=str))
    return 0
