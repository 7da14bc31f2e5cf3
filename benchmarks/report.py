"""`make bench`'s one table of figures, with their targets, and the same as JSON with the machine
they were measured on."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from benchmarks.result import Figure, Spread

HEADER = ("figure", "measured: median (min-max, runs)", "baseline: median", "ratio", "target", "")


def _first(path: str, prefix: str) -> str | None:
    """The value of the first line of `path` that starts with `prefix` ("key : value")."""
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    memory = _first("/proc/meminfo", "MemTotal")
    try:
        textual: str | None = metadata.version("textual")
    except metadata.PackageNotFoundError:
        textual = None
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or None,
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory.split()[0]) / 2**20, 1) if memory else None,
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        "textual": textual,
        "os": platform.platform(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def machine_line(about: dict[str, object]) -> str:
    load = about["load_average"]
    load_text = " ".join(f"{value:g}" for value in load) if isinstance(load, list) else ""
    return (
        f"{about['cpu']}, {about['cores']} cores, {about['ram_gib']} GiB RAM, load {load_text};"
        f" Python {about['python']}, Textual {about['textual']}; {about['os']}; {about['date']}"
    )


def _number(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def measured_text(spread: Spread, unit: str) -> str:
    return (
        f"{_number(spread.median)} {unit} "
        f"({_number(spread.least)}-{_number(spread.most)}, {spread.runs})"
    )


def row(figure: Figure) -> tuple[str, ...]:
    baseline = (
        f"{figure.baseline_label} {_number(figure.baseline.median)} {figure.unit}"
        if figure.baseline is not None
        else figure.baseline_label or "-"
    )
    ratio = figure.ratio
    return (
        figure.label,
        measured_text(figure.measured, figure.unit),
        baseline,
        f"{ratio:.2f}x" if ratio is not None else "-",
        figure.target,
        "" if not figure.target else "✓" if figure.holds else "✗",
    )


def held_text(figures: Sequence[Figure]) -> str:
    """How many of the figures with a target hold it (a peer's start has none)."""
    targeted = [figure for figure in figures if figure.target]
    return f"{sum(figure.holds for figure in targeted)} of {len(targeted)} targets hold"


def table(figures: Sequence[Figure], about: dict[str, object]) -> str:
    """The table, one row a figure, each figure's note in a numbered line below it."""
    rows = [HEADER, *(row(figure) for figure in figures)]
    widths = [max(len(cells[column]) for cells in rows) for column in range(len(HEADER))]
    lines = []
    for number, cells in enumerate(rows):
        text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        mark = "   " if number == 0 else f"{number:>2} "
        lines.append(f"{mark}{text}".rstrip())
        if number == 0:
            lines.append("-" * len(lines[0]))
    lines.append(f"{held_text(figures)}; machine: {machine_line(about)}")
    lines.append("notes:")
    lines += [
        f"{number:>2} {figure.note}" for number, figure in enumerate(figures, 1) if figure.note
    ]
    return "\n".join(lines)


def _spread(spread: Spread | None) -> dict[str, float] | None:
    return None if spread is None else spread._asdict()


def as_json(figures: Sequence[Figure], about: dict[str, object]) -> dict[str, object]:
    return {
        "machine": about,
        "figures": [
            {
                "key": figure.key,
                "label": figure.label,
                "unit": figure.unit,
                "measured": _spread(figure.measured),
                "baseline": _spread(figure.baseline),
                "baseline_label": figure.baseline_label,
                "ratio": figure.ratio,
                "target": figure.target,
                "holds": figure.holds,
                "note": figure.note,
            }
            for figure in figures
        ],
    }


def report(
    figures: Sequence[Figure], json_path: Path | None, out: TextIO = sys.stdout
) -> dict[str, object]:
    """Print the table to `out` and write the JSON to `json_path` (None: not written)."""
    about = machine()
    print(table(figures, about), file=out)
    document = as_json(figures, about)
    if json_path is not None:
        json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        print(f"written to {json_path}", file=out)
    return document


def markdown(document: dict[str, Any]) -> str:
    """The README's table, from what `report` wrote: `python -m benchmarks.report`."""
    figures = [
        Figure(
            item["key"], item["label"], item["unit"], Spread(**item["measured"]),
            None if item["baseline"] is None else Spread(**item["baseline"]),
            item["baseline_label"], item["target"], item["holds"], item["note"],
        )
        for item in document["figures"]
    ]  # fmt: skip
    lines = [
        "| " + " | ".join(HEADER[:-1]) + " | holds |",
        "|" + "---|" * len(HEADER),
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row(f)) + " |" for f in figures),
        "",
        f"{held_text(figures)}. Machine: {machine_line(document['machine'])}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "latest.json"
    print(markdown(json.loads(source.read_text())))
