"""`make bench`: every figure, measured, in one table with its target and whether it holds, and
as JSON (benchmarks/latest.json).

The headless figures come from benchmarks.headless; the app's from benchmarks.app, when it is
there (`figures(short) -> list[Figure]`).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from benchmarks import headless
from benchmarks.report import report
from benchmarks.result import Figure

LATEST = Path(__file__).resolve().parent / "latest.json"


def app_figures(short: bool) -> list[Figure]:
    """The app's figures; none while benchmarks.app is not written."""
    try:
        module = importlib.import_module("benchmarks.app")
    except ModuleNotFoundError as error:
        if error.name != "benchmarks.app":
            raise  # benchmarks.app is there but needs what is not
        return []
    measure = cast(Callable[[bool], list[Figure]], module.figures)
    return measure(short)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--short", action="store_true", help="few runs and small sizes (for a test; under 60 s)"
    )
    parser.add_argument(
        "--only",
        metavar="KEY[,KEY]",
        help="only the figures whose key holds one of these words (headless: "
        f"{', '.join(headless.KEYS)})",
    )
    parser.add_argument("--no-app", action="store_true", help="skip the app's figures")
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        help=f"where to write the figures (default {LATEST.name} in benchmarks/; with --short, "
        "none unless given)",
    )
    parser.add_argument(
        "--against", metavar="REV", help="also time REV's cttui/ (from git), interleaved"
    )
    options = parser.parse_args(argv)
    parts = [part.strip() for part in (options.only or "").split(",") if part.strip()]

    def wanted(key: str) -> bool:
        return not parts or any(part in key for part in parts)

    figures = headless.figures(options.short, wanted, options.against)
    if not options.no_app:
        figures += [figure for figure in app_figures(options.short) if wanted(figure.key)]
    json_path = options.json if options.json is not None or options.short else LATEST
    report(figures, json_path)


if __name__ == "__main__":
    main()
