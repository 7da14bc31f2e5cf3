"""What the commands print: the one-line message on stderr, tables measured in terminal cells,
and --json."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache

from cttui.console import printable

_ZERO_WIDTH = {"Mn", "Me", "Cf"}

# typing for mypy only (it reads this name as typing's): importing it would cost every
# command, `cttui --help` included, a tenth of its start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def say(message: str) -> None:
    # Messages quote what users typed and files hold: one line, with nothing a terminal obeys.
    with contextlib.suppress(OSError):
        print(f"cttui: {printable(message)}", file=sys.stderr)


def cells(text: str) -> int:
    """How many terminal columns `text` takes: wide East-Asian characters two, combining
    marks none."""
    if text.isascii():
        # Every ASCII character takes one cell; and most tables are ASCII.
        return len(text)
    import unicodedata  # here: only text beyond ASCII pays for it

    return sum(
        0
        if unicodedata.combining(char) or unicodedata.category(char) in _ZERO_WIDTH
        else 2
        if unicodedata.east_asian_width(char) in "WF"
        else 1
        for char in text
    )


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` filled with spaces to `width` cells, on the left when `right`."""
    fill = " " * max(0, width - cells(text))
    return fill + text if right else text + fill


def print_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: tuple[int, ...]
) -> None:
    """Columns two spaces apart, those in `right` aligned right; every cell made printable
    before it is measured."""
    table = [[printable(cell) for cell in row] for row in [header, *rows]]
    widths = [max(cells(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        line = [
            pad(cell, width, right=i in right)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(line).rstrip())


def print_json(value: object) -> None:
    """A listing for scripts: indented, non-ASCII text as it is."""
    import json  # here: `cttui --help` prints no JSON

    print(json.dumps(value, ensure_ascii=False, indent=2))


def json_text(value: object) -> str:
    """`value` as compact JSON, non-ASCII text as it is: as SQLite's json_object writes it."""
    return _compact()(value)


@cache
def _compact() -> Callable[[object], str]:
    import json

    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def print_json_lines(lines: Iterable[str]) -> None:
    """A long listing for scripts, as it is read: a JSON array of one item (each of `lines`)
    a line, never the whole listing in memory."""
    write = sys.stdout.write
    before = "[\n  "
    for line in lines:
        write(before + line)
        before = ",\n  "
    write("[]\n" if before.startswith("[") else "\n]\n")


def print_json_line(value: object, out: TextIO) -> None:
    """One command's outcome for scripts, on one line."""
    import json

    print(json.dumps(value), file=out)
