"""Text tables in the layout of the official evaluator's printout, built from an evaluation summary.

Plain string formatting only (no pandas), so ``mtsql evaluate`` starts fast. The layout: a header row of
levels (``joint_all`` only when there is more than one interaction), a ``count`` row, the execution and
exact-match rows, the partial-matching accuracy/recall/F1 blocks (EM only), then, for multi-interaction
files, the per-turn table, and finally the QM/IM lines and a gold-error line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_NAME = "{:20} "
_COLUMN = "{:<20}"


def _row(name: str, cells: Sequence[str]) -> str:
    return (_NAME.format(name) + " ".join(_COLUMN.format(cell) for cell in cells)).rstrip()


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_summary(summary: dict[str, Any]) -> str:
    """Render a summary from :func:`mtsql_env.evaluation.evaluator.summarize` as official-looking tables.

    Example:
        >>> from mtsql_env.evaluation.evaluator import EvaluatorConfig, summarize
        >>> record = {"interaction": 0, "turn": 0, "db_id": "d", "gold": "g", "pred": "p", "hardness": "easy",
        ...           "exact": 1, "exec": 0, "gold_error": None, "pred_parse_error": None,
        ...           "pred_exec_error": None, "partial": {}}
        >>> print(format_summary(summarize([record], 1, EvaluatorConfig())).splitlines()[1])
        count                1                    0                    0                    0                    1

    Args:
        summary: the summary dict.

    Returns:
        The printable text.
    """
    multi = summary["num_interactions"] > 1
    levels = ["easy", "medium", "hard", "extra", "all"] + (["joint_all"] if multi else [])
    by_level = summary["by_level"]
    scores_exec = summary["etype"] in ("all", "exec")
    scores_match = summary["etype"] in ("all", "match")
    lines = [_row("", levels), _row("count", [str(by_level[lv]["count"]) for lv in levels])]
    if scores_exec:
        lines.append("=====================   EXECUTION ACCURACY     =====================")
        lines.append(_row("execution", [_fmt(by_level[lv]["exec"]) for lv in levels]))
    if scores_match:
        lines.append("")
        lines.append("====================== EXACT MATCHING ACCURACY =====================")
        lines.append(_row("exact match", [_fmt(by_level[lv]["exact"]) for lv in levels]))
        components = list(by_level["all"]["partial"])
        for title, key in (
            ("---------------------PARTIAL MATCHING ACCURACY----------------------", "acc"),
            ("---------------------- PARTIAL MATCHING RECALL ----------------------", "rec"),
            ("---------------------- PARTIAL MATCHING F1 --------------------------", "f1"),
        ):
            lines.append("")
            lines.append(title)
            for name in components:
                lines.append(_row(name, [_fmt(by_level[lv]["partial"][name][key]) for lv in levels]))
    if multi:
        buckets = list(summary["by_turn"])
        by_turn = summary["by_turn"]
        lines.append("")
        lines.append(_row("", [f"turn {b}" if b != ">4" else "turn > 4" for b in buckets]))
        lines.append(_row("count", [str(by_turn[b]["count"]) for b in buckets]))
        if scores_exec:
            lines.append("=====================   TURN EXECUTION ACCURACY     =====================")
            lines.append(_row("execution", [_fmt(by_turn[b]["exec"]) for b in buckets]))
        if scores_match:
            lines.append("")
            lines.append("====================== TURN EXACT MATCHING ACCURACY =====================")
            lines.append(_row("exact match", [_fmt(by_turn[b]["exact"]) for b in buckets]))
    lines.append("")
    metrics = [label for label, on in (("EX", scores_exec), ("EM", scores_match)) if on]
    for label, (exec_key, exact_key), count, unit in (
        ("QM (question match)", ("qm_exec", "qm_exact"), by_level["all"]["count"], "turns"),
        ("IM (interaction match)", ("im_exec", "im_exact"), by_level["joint_all"]["count"], "interactions"),
    ):
        values = {"EX": summary[exec_key], "EM": summary[exact_key]}
        cells = "   ".join(f"{m} {_fmt(values[m])}" for m in metrics)
        lines.append(f"{label:<24}{cells}   ({count} {unit})")
    errors = summary.get("gold_errors") or []
    if errors:
        lines.append(
            f"gold errors: {len(errors)} turn(s) excluded from all counts (listed in the per-item output)"
        )
    return "\n".join(lines)
