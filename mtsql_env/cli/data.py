"""``mtsql data``: install downloaded CoSQL/SParC releases and show what is installed.

    mtsql data install cosql_dataset.zip [--cache-dir D] [--benchmark cosql|sparc] [--max-bytes 2G] [--max-members N]
    mtsql data info [--data-dir D] [--cache-dir D]

Data problems are raised as :class:`~mtsql_env.datasets.DataError`; ``mtsql``'s main prints them as one
line and exits 2. ``data info`` exits 1 when it found a release with a broken file (listed in its table).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["format_info", "register"]


def register(subparsers: Any) -> None:
    """Add the ``data`` command and its ``install`` / ``info`` actions."""
    parser = subparsers.add_parser(
        "data",
        help="install and inspect CoSQL/SParC releases",
        description="Install a downloaded CoSQL or SParC release into the cache, or show what can be found.",
    )
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: _print_help(parser))

    install = actions.add_parser(
        "install",
        help="unpack and check a downloaded release (zip or folder) into the cache",
        description="Unpack cosql_dataset.zip or sparc.zip (or copy an unpacked release folder), check it, "
        "and install it where mtsql looks for data.",
    )
    install.add_argument("path", help="the downloaded zip, or the unpacked release folder")
    install.add_argument("--cache-dir", help="install here instead of $MTSQL_CACHE_DIR / ~/.cache/mtsql")
    install.add_argument(
        "--benchmark", choices=("cosql", "sparc"), help="which release to take (detected by default)"
    )
    install.add_argument(
        "--max-bytes",
        type=_size,
        help="most bytes to unpack, e.g. 4G (default 2G; the official releases unpack to about 1 GB)",
    )
    install.add_argument(
        "--max-members", type=_count, help="most files and folders to unpack (default 20000)"
    )
    install.set_defaults(func=_install)

    info = actions.add_parser(
        "info",
        help="show the releases found: splits, dialogues, turns, missing databases",
        description="Show where each benchmark's release is found and what it holds.",
    )
    info.add_argument("--data-dir", help="look here first (the release folder or a folder above it)")
    info.add_argument("--cache-dir", help="the install cache to look in")
    info.set_defaults(func=_info)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _size(text: str) -> int:
    from mtsql_env.data_cache import parse_size

    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number above 0, got {text!r}")
    return int(text)


def _install(args: argparse.Namespace) -> int:
    from mtsql_env.data_cache import InstallLimits, data_info, install_release

    defaults = InstallLimits()
    limits = InstallLimits(
        max_bytes=args.max_bytes or defaults.max_bytes, max_members=args.max_members or defaults.max_members
    )
    release = install_release(args.path, args.cache_dir, benchmark=args.benchmark, limits=limits)
    entries = [
        e for e in data_info(cache_dir=args.cache_dir, data_dir=release) if e["release"] == str(release)
    ]
    for entry in entries:  # described through data_dir=release, but it is found through the cache from now on
        entry["found_via"] = "cache"
    print(f"Installed {release}")
    print(format_info(entries))
    return 0


def _info(args: argparse.Namespace) -> int:
    from mtsql_env.data_cache import data_info
    from mtsql_env.datasets import BENCHMARKS, sample_dir, search_locations, split_path

    entries = data_info(cache_dir=args.cache_dir, data_dir=args.data_dir)
    print(format_info(entries))
    found = {entry["benchmark"] for entry in entries}
    for benchmark in BENCHMARKS:
        if benchmark not in found:
            places = search_locations(benchmark, args.data_dir, cache_dir=args.cache_dir)
            looked = "; ".join(f"{label} ({'unset' if path is None else path})" for label, path in places)
            print(f"\n{benchmark}: not found. Looked in: {looked}.")
    if len(found) < len(BENCHMARKS):
        print(
            "Install a downloaded release with `mtsql data install <cosql_dataset.zip|sparc.zip>`, or set "
            "$MTSQL_DATA_DIR to the folder holding it."
        )
        if split_path(sample_dir(), "cosql", "dev").is_file():
            print(
                f"The bundled sample ({sample_dir()}) is used when asked for: data_dir='sample', or "
                "fallback_to_sample=True when no data location is configured and none is installed "
                "(the environments' default, with a warning); "
                "it gives no benchmark numbers."
            )
    errors = any(entry.get("error") or any("error" in s for s in entry["splits"]) for entry in entries)
    return 1 if errors else 0


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: list[str]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out.append("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    for row in cells:
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def format_info(entries: Sequence[dict[str, Any]], stream: TextIO | None = None) -> str:
    """Render :func:`mtsql_env.data_cache.data_info` entries as plain-text tables."""
    out: list[str] = []
    if not entries:
        out.append("No CoSQL or SParC release found.")
    for entry in entries:
        out.append(f"{entry['benchmark']}: {entry['release']}  (found via {entry['found_via']})")
        schemas = entry.get("schemas")
        out.append(
            f"  tables.json: {entry.get('tables_json') or 'MISSING'}"
            + (f" ({schemas} schemas)" if schemas is not None else "")
            + f"; SQLite files: {entry.get('sqlite_files', 0)}"
        )
        if entry.get("error"):
            out.append(f"  ERROR: {entry['error']}")
        rows = []
        for split in entry.get("splits", []):
            if "error" in split:
                rows.append([split["split"], "-", "-", "-", f"ERROR: {split['error']}"])
                continue
            missing = ", ".join(
                f"{db} ({n} dialogues, {split['missing_turns'].get(db, 0)} turns)"
                for db, n in split["missing_databases"].items()
            )
            rows.append(
                [
                    split["split"],
                    split["dialogues"],
                    split["turns"],
                    f"{split['databases_present']}/{split['databases']}",
                    missing or "-",
                ]
            )
        out.append("")
        _table(("split", "dialogues", "turns", "databases", "missing databases"), rows, out)
        if "error" not in entry and not any(split["split"] == "train" for split in entry.get("splits", [])):
            out.append(
                "  No train split in this release: evaluation and benchmarks work, `mtsql train` does not."
            )
        out.append("")
    text = "\n".join(out).rstrip()
    if stream is not None:
        stream.write(text + "\n")
    return text
