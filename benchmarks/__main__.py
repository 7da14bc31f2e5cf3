"""`make bench`: every figure, measured, in one table with its target and whether it holds, and
as JSON (benchmarks/latest.json).

The headless figures come from benchmarks.headless; the app's from benchmarks.app, when it is
there (`figures(short) -> list[Figure]`).
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from benchmarks import headless
from benchmarks.report import report
from benchmarks.result import Figure

LATEST = Path(__file__).resolve().parent / "latest.json"


def app_figures(short: bool, parts: Sequence[str]) -> list[Figure]:
    """The app's figures (those of `parts`, each a group or a figure's key, or every one); none
    while benchmarks.app is not written."""
    try:
        module = importlib.import_module("benchmarks.app")
    except ModuleNotFoundError as error:
        if error.name != "benchmarks.app":
            raise  # benchmarks.app is there but needs what is not
        return []
    measure = cast(Callable[[bool, str | None], list[Figure]], module.figures)
    if not parts:
        return measure(short, None)
    return [figure for part in parts for figure in measure(short, part)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--short", action="store_true", help="few runs and small sizes (for a test)"
    )
    parser.add_argument(
        "--only",
        metavar="KEY[,KEY]",
        help="only these figures: a headless figure whose key holds one of the words ("
        f"{', '.join(headless.KEYS)}), or an app group (startup, keys, submit, idle, history, "
        "peers) or figure key",
    )
    parser.add_argument("--no-app", action="store_true", help="skip the app's figures")
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also time posting's and harlequin's start (each installed once, in a venv of its "
        "own under /tmp/cttui-bench-peers)",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        help=f"where to write the figures (default {LATEST.name} in benchmarks/; with --short, "
        "--only, --no-app or --against, none unless given: the README shows the whole table)",
    )
    parser.add_argument(
        "--against", metavar="REV", help="also time REV's cttui/ (from git), interleaved"
    )
    options = parser.parse_args(argv)
    parts = [part.strip() for part in (options.only or "").split(",") if part.strip()]

    def wanted(key: str) -> bool:
        return not parts or any(part in key for part in parts)

    if options.peers:
        os.environ["CTTUI_BENCH_PEERS"] = "1"  # read by benchmarks.app
    figures = headless.figures(options.short, wanted, options.against)
    if not options.no_app:
        figures += app_figures(options.short, parts)
    partial = options.short or parts or options.no_app or options.against
    json_path = options.json if options.json is not None or partial else LATEST
    report(figures, json_path)


if __name__ == "__main__":
    main()
