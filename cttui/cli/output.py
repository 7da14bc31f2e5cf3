"""What the commands print: the one-line message on stderr, tables measured in terminal cells,
and --json."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache

from cttui.console import cells, clip, pad, printable

# typing for mypy only (it reads this name as typing's): importing it would cost every
# command, `cttui --help` included, a tenth of its start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def say(message: str) -> None:
    # Messages quote what users typed and files hold: one line, with nothing a terminal obeys.
    with contextlib.suppress(OSError):
        print(f"cttui: {printable(message)}", file=sys.stderr)


# The widest a table's cell may be, in terminal cells: a favourite's longest name (60 plain
# characters) fits whole; what is wider (wide characters, a hand-edited journal) is cut.
CELL_MAX = 60


def print_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: tuple[int, ...]
) -> None:
    """Columns two spaces apart, those in `right` aligned right; every cell made printable
    before it is measured, and cut to CELL_MAX terminal cells."""
    table = [[clip(printable(cell), CELL_MAX) for cell in row] for row in [header, *rows]]
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


# What JSON lets stand raw in a string but a terminal may act on: DEL and the C1 controls (\x9b
# is a CSI), bidi controls, the line and paragraph separators, and lone surrogates (no UTF-8).
_TERMINAL_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def terminal_safe_json(line: str) -> str:
    """`line` of JSON with each character a terminal may act on as its \\u escape: the same
    JSON (they appear only inside strings), safe to print."""
    return _TERMINAL_UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", line)


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
