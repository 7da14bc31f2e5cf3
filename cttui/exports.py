"""Rows as text for `--format table|csv|tsv|json|jsonl`, and a favourite's history as rows.

Pure: it prints nothing and writes no file (the faces do, cli/output.emit and the app). Rows
are a header of column names and rows of plain values; text comes out in chunks, so that a
listing of any length is written in flat memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeAlias

from cttui.console import cells, clip, pad, printable
from cttui.records import FavoriteRun
from cttui.report import filter_text
from cttui.store.favorites import since_query_changed

if TYPE_CHECKING:
    from cttui.api.models import PropertyFilter

Value: TypeAlias = int | float | str | date | None
# A record for json/jsonl in a shape of its own: an object, or one already encoded as compact
# JSON and made terminal-safe (the journal's jobs, as SQLite wrote them).
Record: TypeAlias = Mapping[str, object] | str

FORMATS = ("table", "csv", "tsv", "json", "jsonl")

# The widest a table's cell may be, in terminal cells: a favourite's longest name (60 plain
# characters) fits whole; what is wider (wide characters, a hand-edited journal) is cut.
CELL_MAX = 60

HISTORY_HEADER = ("from", "to", "count", "counted_at", "job")


def value_text(value: Value) -> str:
    """A value as a cell: dates in ISO 8601 (a moment to the second, with its UTC offset),
    numbers plain (no thousands separators), None empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def filters_text(filters: Sequence[PropertyFilter]) -> str | None:
    """A query's filters in one cell: `Amount greater_than 100 and City equals "Pune"`."""
    return " and ".join(filter_text(item) for item in filters) or None


def table_lines(
    header: Sequence[str], rows: Iterable[Sequence[str]], right: tuple[int, ...] = ()
) -> Iterator[str]:
    """Columns two spaces apart, those in `right` aligned right; every cell made printable
    before it is measured, and cut to CELL_MAX terminal cells."""
    table = [[clip(printable(cell), CELL_MAX) for cell in row] for row in [header, *rows]]
    widths = [max(cells(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        line = [
            pad(cell, width, right=i in right)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        yield "  ".join(line).rstrip() + "\n"


# What JSON lets stand raw in a string but a terminal may act on: DEL and the C1 controls (\x9b
# is a CSI), bidi controls, the line and paragraph separators, and lone surrogates (no UTF-8).
_TERMINAL_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def terminal_safe_json(line: str) -> str:
    """`line` of JSON with each character a terminal may act on as its \\u escape: the same
    JSON (they appear only inside strings), safe to print."""
    return _TERMINAL_UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", line)


# A spreadsheet runs a cell that starts with one of these as a formula (and a tab or carriage
# return can hide the start): such a cell of text gets a leading apostrophe, which spreadsheets
# read as "this is text". A number is never text, nor is text that is a plain number ("-5"):
# neither can run, and both stay numbers.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# In a CSV cell, the line breaks and tabs that CSV quotes; everything else a terminal obeys
# is shown as its escape, as on every line cttui prints: an export is printed as often as opened.
_KEPT_IN_CSV = re.compile("([\t\n\r])")
# A TSV row ends at a newline and a cell at a tab, with no quoting: inside a value each becomes a
# space, so that every row stays one row of as many cells as the header.
_TSV_BREAKS = str.maketrans("\t\n\r", "   ")


def _defused(text: str) -> str:
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_cell(value: Value) -> str:
    text = value_text(value)
    if isinstance(value, str):
        text = "".join(
            part if _KEPT_IN_CSV.fullmatch(part) else printable(part)
            for part in _KEPT_IN_CSV.split(text)
        )
        return _defused(text)
    return text


def _tsv_cell(value: Value) -> str:
    text = value_text(value)
    if isinstance(value, str):
        return _defused(printable(text.translate(_TSV_BREAKS)))
    return text


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> Iterator[str]:
    """RFC 4180: CRLF line ends, a header row, fields quoted when they need it."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in [[_csv_cell(name) for name in header], *([_csv_cell(v) for v in r] for r in rows)]:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def tsv_chunks(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> Iterator[str]:
    """Tab-separated with a header, as a spreadsheet takes it pasted."""
    for row in [header, *rows]:
        yield "\t".join(_tsv_cell(value) for value in row) + "\n"


def _json_value(value: Value) -> object:
    return value if value is None or isinstance(value, int | float) else value_text(value)


def _objects(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> Iterator[Record]:
    for row in rows:
        yield {name: _json_value(value) for name, value in zip(header, row, strict=True)}


def json_chunks(records: Iterable[Record]) -> Iterator[str]:
    """An array of the records, two spaces an indent (as json.dumps(indent=2) writes it); one
    already encoded stays on its own line, as it is."""
    import json

    before = "[\n  "
    for record in records:
        if isinstance(record, str):
            yield before + record
        else:
            text = json.dumps(record, ensure_ascii=False, indent=2)
            yield before + terminal_safe_json(text.replace("\n", "\n  "))
        before = ",\n  "
    yield "[]\n" if before.startswith("[") else "\n]\n"


def jsonl_chunks(records: Iterable[Record]) -> Iterator[str]:
    """One compact object a line."""
    import json

    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for record in records:
        yield (record if isinstance(record, str) else terminal_safe_json(encode(record))) + "\n"


def export_chunks(
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Value]],
    *,
    right: tuple[int, ...] = (),
    table: Callable[[], Iterator[str]] | None = None,
    records: Iterable[Record] | None = None,
) -> Iterator[str]:
    """The rows as `fmt` (one of FORMATS) in chunks of text. `table` and `records` are a
    listing's own table and JSON, when they are not the rows as they are."""
    if fmt == "table":
        if table is not None:
            return table()
        upper = [name.upper() for name in header]
        return table_lines(upper, ([value_text(v) for v in row] for row in rows), right)
    if fmt == "csv":
        return csv_chunks(header, rows)
    if fmt == "tsv":
        return tsv_chunks(header, rows)
    objects = records if records is not None else _objects(header, rows)
    if fmt == "json":
        return json_chunks(objects)
    if fmt == "jsonl":
        return jsonl_chunks(objects)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def export_file_name(name: str) -> str:
    """`name` as a file name's stem: letters, digits, '.', '_' and '-', each run of anything
    else one '-' (no '/', no space for a shell to split, no leading dot that would hide it)."""
    stem = re.sub(r"[^\w.-]+", "-", name).strip(".-")
    return stem[:80] or "favourite"


def history_rows(
    runs: Sequence[FavoriteRun], query_key: str, *, every_query: bool = False
) -> tuple[tuple[str, ...], list[tuple[Value, ...]]]:
    """A favourite's counts, oldest first: those of its current query (`query_key`), or with
    `every_query` all of them, each with the query it counted (None: not known)."""
    if every_query:
        header = (*HISTORY_HEADER, "query")
        return header, [(*_history_row(run), run.query_key) for run in runs]
    _, current = since_query_changed(runs, query_key)
    return HISTORY_HEADER, [_history_row(run) for run in current]


def _history_row(run: FavoriteRun) -> tuple[Value, ...]:
    counted = datetime.fromtimestamp(run.at).astimezone()
    return (run.start, run.end, run.count, counted, run.job_id)
