"""Benchmark summaries, the printed table, the Markdown report and its PNG plots (``mtsql bench``).

- `bench_summary(items, ...)`: one agent's numbers from its per-turn items. The official metrics (EX, EM,
  QM, IM, by hardness, by turn) are aggregated by `mtsql_env.evaluation.evaluator.summarize`, the same
  code ``mtsql evaluate`` uses, over the env's per-turn verdicts (which come from the same `Evaluator`),
  so re-scoring the written prediction file gives the same numbers. Run statistics (steps, corrections,
  format errors, tokens, times, rewards) are added beside them.
- `format_bench_table(summaries)`: the plain-text table ``mtsql bench`` prints.
- `write_report(out_dir, result)`: ``report.md`` with side-by-side tables, and ``plots/accuracy_by_turn.png``
  and ``plots/accuracy_by_hardness.png`` (matplotlib, Agg canvas, imported only here).

Summary keys (per agent): ``EX``, ``EM`` (question match: all scored turns), ``QM_EX``/``QM_EM`` (the same),
``IM_EX``/``IM_EM`` (interaction match), ``by_hardness`` and ``by_turn`` (``{bucket: {count, EX, EM}}``),
``turns``, ``scored_turns``, ``gold_errors``, ``interactions``, ``steps_per_turn``,
``corrections_per_turn``, ``format_errors``, ``format_errors_per_turn``, ``forced_answers``,
``prompt_tokens``, ``completion_tokens``, ``reward`` and ``reward_<component>`` (means per turn),
``wall_time_s``, ``agent_time_s``, ``env_time_s``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtsql_env import install_hint
from mtsql_env.evaluation.evaluator import HARDNESS_LEVELS, TURN_BUCKETS, EvaluatorConfig, summarize
from mtsql_env.rewards import COMPONENTS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

__all__ = ["bench_summary", "format_bench_table", "plot_accuracy", "render_report", "write_report"]

SAMPLE_NOTICE = (
    "**These numbers come from the bundled sample dataset, not a real CoSQL/SParC release.** "
    "The sample exercises the pipeline; it says nothing about model quality on the benchmark."
)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def bench_summary(
    items: Sequence[Mapping[str, Any]], num_interactions: int, *, wall_time_s: float, strict: bool = False
) -> dict[str, Any]:
    """One agent's summary from its per-turn items (see the module docstring for the keys).

    Example:
        >>> items = [
        ...     {"interaction": 0, "turn": 0, "hardness": "easy", "exact": 1, "exec": 1, "gold_error": None},
        ...     {"interaction": 0, "turn": 1, "hardness": "hard", "exact": 0, "exec": 1, "gold_error": None},
        ...     {"interaction": 1, "turn": 0, "hardness": "easy", "exact": 1, "exec": 1, "gold_error": None},
        ... ]
        >>> s = bench_summary(items, 2, wall_time_s=1.0)
        >>> round(s["EM"], 3), s["EX"], s["IM_EM"], s["IM_EX"], s["by_turn"]["2"]
        (0.667, 1.0, 0.5, 1.0, {'count': 1, 'EX': 1.0, 'EM': 0.0})

    Args:
        items: per-turn records with ``interaction``, ``turn``, ``hardness``, ``exact``, ``exec`` and
            ``gold_error``; the run statistics (``steps``, ``corrections``, tokens, ...) when present.
        num_interactions: how many dialogues were played (an empty one counts for IM, as officially).
        wall_time_s: the agent's wall time over the whole run.
        strict: whether the verdicts used the evaluator's strict mode (recorded in the summary).

    Returns:
        The summary dict.
    """
    records = [
        {
            "interaction": item["interaction"],
            "turn": item["turn"],
            "db_id": item.get("db_id"),
            "gold": item.get("gold"),
            "hardness": item["hardness"],
            "exact": item["exact"],
            "exec": item["exec"],
            "gold_error": item["gold_error"],
            "partial": {},
        }
        for item in items
    ]
    official = summarize(records, num_interactions, EvaluatorConfig(etype="all", strict=strict))

    def bucket(entry: Mapping[str, Any]) -> dict[str, Any]:
        return {"count": entry["count"], "EX": entry["exec"], "EM": entry["exact"]}

    turns = len(items)
    scored = [item for item in items if item["gold_error"] is None]

    def total(key: str) -> float:
        return sum(item.get(key) or 0 for item in items)

    summary: dict[str, Any] = {
        "EX": official["qm_exec"],
        "EM": official["qm_exact"],
        "QM_EX": official["qm_exec"],
        "QM_EM": official["qm_exact"],
        "IM_EX": official["im_exec"],
        "IM_EM": official["im_exact"],
        "by_hardness": {level: bucket(official["by_level"][level]) for level in (*HARDNESS_LEVELS, "all")},
        "by_turn": {name: bucket(entry) for name, entry in official["by_turn"].items()},
        "turns": turns,
        "scored_turns": len(scored),
        "gold_errors": turns - len(scored),
        "interactions": official["by_level"]["joint_all"]["count"],
        "strict": strict,
        "steps_per_turn": _mean([item.get("steps", 0) for item in items]),
        "corrections": int(total("corrections")),
        "corrections_per_turn": _mean([item.get("corrections", 0) for item in items]),
        "format_errors": int(total("format_errors")),
        "format_errors_per_turn": _mean([item.get("format_errors", 0) for item in items]),
        "forced_answers": int(sum(bool(item.get("forced")) for item in items)),
        "prompt_tokens": int(total("prompt_tokens")),
        "completion_tokens": int(total("completion_tokens")),
        "reward": _mean([item.get("reward", 0.0) for item in items]),
        "wall_time_s": wall_time_s,
        "agent_time_s": total("agent_time_s"),
        "env_time_s": total("env_time_s"),
    }
    for component in COMPONENTS:
        summary[f"reward_{component}"] = _mean([item.get(f"reward_{component}", 0.0) for item in items])
    return summary


# --- text ---------------------------------------------------------------------------------------------

#: (summary key, column title, format) of the headline table, printed and in the report.
HEADLINE = (
    ("EX", "EX", "{:.3f}"),
    ("EM", "EM (QM)", "{:.3f}"),
    ("IM_EX", "IM-EX", "{:.3f}"),
    ("IM_EM", "IM-EM", "{:.3f}"),
    ("reward", "reward/turn", "{:.3f}"),
    ("steps_per_turn", "steps/turn", "{:.2f}"),
    ("corrections_per_turn", "corr./turn", "{:.2f}"),
    ("format_errors", "format err.", "{:d}"),
    ("completion_tokens", "gen. tokens", "{:d}"),
    ("wall_time_s", "wall (s)", "{:.1f}"),
)


def format_bench_table(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """The headline numbers, one row per agent, as plain text (``mtsql bench`` and ``mtsql run``).

    Columns are `HEADLINE`'s titles, the same words as ``report.md``; a column no summary has is left out.
    """
    columns = [column for column in HEADLINE if all(column[0] in s for s in summaries.values())]
    width = max([len("agent"), *(len(name) for name in summaries)]) + 2
    header = "agent".ljust(width) + "".join(title.rjust(13) for _, title, _ in columns)
    lines = [header, "-" * len(header)]
    for name, summary in summaries.items():
        lines.append(
            name.ljust(width) + "".join(fmt.format(summary[key]).rjust(13) for key, _, fmt in columns)
        )
    return "\n".join(lines)


def format_components_table(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """Mean reward per turn, component by component, one row per agent, as plain text."""
    width = max([len("agent"), *(len(name) for name in summaries)]) + 2
    header = "agent".ljust(width) + "".join(c.rjust(15) for c in COMPONENTS)
    lines = [header, "-" * len(header)]
    for name, summary in summaries.items():
        lines.append(
            name.ljust(width) + "".join(f"{summary['reward_' + c]:.3f}".rjust(15) for c in COMPONENTS)
        )
    return "\n".join(lines)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _bucket_table(
    agents: Mapping[str, Mapping[str, Any]], key: str, buckets: Sequence[str], label: str
) -> str:
    names = list(agents)
    header = [label, "count", *(f"{name} EX" for name in names), *(f"{name} EM" for name in names)]
    rows = []
    for bucket in buckets:
        entries = [agents[name]["summary"][key][bucket] for name in names]
        count = str(entries[0]["count"]) if entries else "0"
        rows.append([bucket, count, *(_pct(e["EX"]) for e in entries), *(_pct(e["EM"]) for e in entries)])
    return _md_table(header, rows)


def render_report(result: Mapping[str, Any], plots: Mapping[str, str] | None = None) -> str:
    """The Markdown text of ``report.md`` for a ``summary.json`` dict (``plots``: title -> relative path)."""
    data = result["dataset"]
    agents = result["agents"]
    env_kwargs = result.get("env_kwargs", {})
    lines = ["# mtsql benchmark report", ""]
    if data["is_sample"]:
        lines += [f"> {SAMPLE_NOTICE}", ""]
    source = "bundled sample" if data["is_sample"] else data["source"]
    skipped = ""
    if data.get("skipped_dialogues"):
        skipped = f" ({data['skipped_dialogues']} dialogues skipped: no database for {', '.join(data['skipped_db_ids'])})"
    lines += [
        f"- Environment: `{result['env_id']}`, dataset **{source}**, split `{data['split']}`: "
        f"{data['dialogues']} dialogues, {data['turns']} turns{skipped}",
        f"- Episode mode `{env_kwargs.get('mode', 'dialogue')}` (each agent's own answers are its dialogue history), "
        f"max {env_kwargs.get('max_steps_per_turn', '?')} steps per turn, reward weights "
        f"`{env_kwargs.get('reward', '?')}`",
        "- EX/EM/QM/IM follow the official CoSQL/SParC evaluation (turns whose gold query fails are excluded "
        "and counted as gold errors); QM is EM over all turns, IM the share of dialogues with every turn right.",
        "",
        "## Summary",
        "",
    ]
    header = ["agent", *(title for _, title, _ in HEADLINE), "prompt tokens", "gold errors"]
    rows = []
    for name, entry in agents.items():
        s = entry["summary"]
        rows.append(
            [
                f"`{name}`",
                *(fmt.format(s[key]) for key, _, fmt in HEADLINE),
                str(s["prompt_tokens"]),
                str(s["gold_errors"]),
            ]
        )
    lines += [_md_table(header, rows), ""]
    ceiling = _reward_ceiling_note(env_kwargs.get("reward", "process"), data["dialogues"], data["turns"])
    if ceiling:
        lines += [ceiling, ""]
    lines += [
        "## Accuracy by hardness (%)",
        "",
        _bucket_table(agents, "by_hardness", (*HARDNESS_LEVELS, "all"), "hardness"),
        "",
    ]
    lines += ["## Accuracy by turn (%)", "", _bucket_table(agents, "by_turn", TURN_BUCKETS, "turn"), ""]
    if plots:
        lines += ["## Plots", ""] + [f"![{title}]({path})" for title, path in plots.items()] + [""]
    lines += ["## Mean reward per turn by component", ""]
    rows = [
        [f"`{name}`", *(f"{entry['summary'][f'reward_{c}']:.3f}" for c in COMPONENTS)]
        for name, entry in agents.items()
    ]
    lines += [_md_table(["agent", *COMPONENTS], rows), ""]
    lines += ["## Run statistics", ""]
    header = ["agent", "turns", "steps/turn", "corrections", "format errors", "forced answers",
              "prompt tokens", "completion tokens", "wall (s)", "agent (s)", "env (s)", "batched"]  # fmt: skip
    rows = []
    for name, entry in agents.items():
        s = entry["summary"]
        rows.append([
            f"`{name}`", str(s["turns"]), f"{s['steps_per_turn']:.2f}", str(s["corrections"]), str(s["format_errors"]),
            str(s["forced_answers"]), str(s["prompt_tokens"]), str(s["completion_tokens"]), f"{s['wall_time_s']:.2f}",
            f"{s['agent_time_s']:.2f}", f"{s['env_time_s']:.2f}",
            f"{s.get('num_envs', 1)} envs" if s.get("batched") else "no",
        ])  # fmt: skip
    lines += [_md_table(header, rows), ""]
    lines += [
        "## Files and re-scoring",
        "",
        f"- `{result['gold_file']}`: the gold of these dialogues in the official format.",
        "- per agent: `pred.txt` (official prediction format), `items.jsonl` (one line per turn), "
        "`trajectories.jsonl` (every step; load with `mtsql_agents.trajectory`).",
        "",
        "Re-score any agent with the official semantics, from this folder (it reproduces the numbers above):",
        "",
        "```",
    ]
    for entry in agents.values():
        lines.append(
            f"mtsql evaluate --gold {result['gold_file']} --pred {entry['files']['pred.txt']} "
            f"--db {data['database_dir']} --table {data['tables_path']}"
        )
    lines += ["```", ""]
    if data["is_sample"]:
        lines += [f"> {SAMPLE_NOTICE}", ""]
    return "\n".join(lines)


def _reward_ceiling_note(reward: Any, dialogues: int, turns: int) -> str:
    """Why a perfect agent's reward/turn is below the sum of the weights: first turns have no memory verdict."""
    from mtsql_env.rewards import RewardConfig

    try:
        weights = RewardConfig.from_preset(reward)
    except (TypeError, ValueError):
        return ""
    if not weights.coherence or not turns:
        return ""
    best = (
        weights.exec_match
        + weights.exact_match
        + weights.exec_verify
        + weights.coherence
        + weights.generation
    )
    ceiling = best - weights.coherence * dialogues / turns
    return (
        f"reward/turn is at most {ceiling:.3f} here, not {best:g}: a dialogue's first turn has no earlier turn to "
        f"check coherence against, so its {dialogues} first turns (of {turns}) earn no memory verdict "
        f"({best:g} - {weights.coherence:g} x {dialogues}/{turns})."
    )


# --- plots --------------------------------------------------------------------------------------------


def plot_accuracy(result: Mapping[str, Any], folder: str | os.PathLike[str]) -> dict[str, str]:
    """Write ``accuracy_by_turn.png`` and ``accuracy_by_hardness.png`` (EX and EM per agent, grouped bars).

    Returns:
        Title -> path of each written plot. matplotlib is imported here and drawn on an Agg canvas, so no
        display and no global pyplot state are involved.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    for key, buckets, title, filename in (
        ("by_turn", TURN_BUCKETS, "Accuracy by turn", "accuracy_by_turn.png"),
        ("by_hardness", HARDNESS_LEVELS, "Accuracy by hardness", "accuracy_by_hardness.png"),
    ):
        figure = accuracy_figure(result, key, buckets, title)
        FigureCanvasAgg(figure)
        path = folder / filename
        figure.savefig(path, format="png")
        written[title] = str(path)
    return written


def accuracy_figure(result: Mapping[str, Any], key: str, buckets: Sequence[str], title: str) -> Figure:
    """EX and EM side by side, one bar per agent and bucket, each bar labelled with its value.

    The labels matter: a 0% bar has no height, so without its "0" an agent at zero looks missing. An empty
    bucket (no turns) is labelled "–".
    """
    from matplotlib.figure import Figure

    agents = result["agents"]
    sample = " (bundled SAMPLE data)" if result["dataset"]["is_sample"] else ""
    figure = Figure(figsize=(10, 4), dpi=100)
    axes = figure.subplots(1, 2, sharey=True)
    width = 0.8 / max(1, len(agents))
    for ax, metric in zip(axes, ("EX", "EM")):
        for k, (name, entry) in enumerate(agents.items()):
            raw = [entry["summary"][key][b][metric] for b in buckets]
            values = [100 * (v or 0.0) for v in raw]
            bars = ax.bar(
                [i + (k - (len(agents) - 1) / 2) * width for i in range(len(buckets))],
                values,
                width,
                label=name,
            )
            labels = ["–" if v is None else f"{100 * v:.0f}" for v in raw]
            ax.bar_label(bars, labels=labels, padding=1, fontsize="x-small")
        ax.set_xticks(range(len(buckets)))
        counts = next(iter(agents.values()))["summary"][key] if agents else {}
        ax.set_xticklabels([f"{b}\n(n={counts[b]['count']})" if counts else b for b in buckets])
        ax.set_title(metric)
        ax.set_ylim(0, 112)  # room for the labels above a 100% bar
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("accuracy (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4) or 1, fontsize="small")
    figure.suptitle(title + sample)
    rows = (len(labels) + 3) // 4
    figure.tight_layout(rect=(0, 0.06 * rows, 1, 1))
    return figure


def write_report(out_dir: str | os.PathLike[str], result: Mapping[str, Any]) -> Path:
    """Write ``report.md`` (and the plots under ``plots/``) for a ``summary.json`` dict; return its path.

    Without matplotlib the report is still written, with a line saying how to get the plots.
    """
    out_dir = Path(out_dir)
    plots: dict[str, str] = {}
    try:
        written = plot_accuracy(result, out_dir / "plots")
        plots = {title: os.path.relpath(path, out_dir) for title, path in written.items()}
    except ImportError:
        logger.warning("matplotlib is not installed: no plots (" + install_hint("plots") + ")")
    text = render_report(result, plots)
    if not plots:
        text += "\nPlots were skipped: matplotlib is not installed (`" + install_hint("plots") + "`).\n"
    path = out_dir / "report.md"
    path.write_text(text, encoding="utf-8")
    return path
