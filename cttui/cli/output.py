"""What the commands print: the one-line message on stderr, tables measured in terminal cells,
--json, and every --format (with -o, into a file instead)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache

from cttui.console import printable

# typing for mypy only (it reads this name as typing's): importing it would cost every
# command, `cttui --help` included, a tenth of its start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from cttui.exports import Record, Value


def say(message: str) -> None:
    # Messages quote what users typed and files hold: one line, with nothing a terminal obeys.
    with contextlib.suppress(OSError):
        print(f"cttui: {printable(message)}", file=sys.stderr)


def print_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: tuple[int, ...]
) -> None:
    """Columns two spaces apart, those in `right` aligned right (see exports.table_lines)."""
    from cttui.exports import table_lines

    for line in table_lines(header, rows, right):
        sys.stdout.write(line)


def emit(
    header: Sequence[str],
    rows: Iterable[Sequence[Value]],
    fmt: str,
    output: str | None,
    *,
    right: tuple[int, ...] = (),
    table: Callable[[], Iterator[str]] | None = None,
    records: Iterable[Record] | None = None,
) -> None:
    """A command's rows as `fmt` (see exports.export_chunks) on stdout, or with `output` in
    that file instead, the same bytes, written whole or not at all (UsageError says why)."""
    from cttui.exports import export_chunks

    chunks = export_chunks(fmt, header, rows, right=right, table=table, records=records)
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    from pathlib import Path

    from cttui.store.files import write_export

    write_export(Path(output).expanduser(), (chunk.encode("utf-8") for chunk in chunks))


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


def print_json_line(value: object, out: TextIO) -> None:
    """One command's outcome for scripts, on one line."""
    import json

    print(json.dumps(value), file=out)
