"""cttui/exports.py: rows as CSV, TSV, JSON, JSON lines and the table, each read back with the
standard library's own readers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

import pytest

from cttui.exports import FORMATS, Value, export_chunks, history_rows
from cttui.records import FavoriteRun

HEADER = ("name", "count", "from", "counted_at", "error")
AT = datetime(2026, 11, 17, 9, 30, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))
AWKWARD = [
    "commas, and more",
    'a "quoted" word',
    "two\nlines",
    "a\ttab",
    "ünïcödé 名前",
    '=HYPERLINK("http://x")',
    "-2+3",
    "+1",
    "@SUM(A1)",
    "-5",
]
ROWS: list[tuple[Value, ...]] = [
    (text, number * 1_000_000, date(2026, 11, 16), AT, None)
    for number, text in enumerate(AWKWARD, start=-1)
]


def text(fmt: str, rows: Sequence[tuple[Value, ...]] = ROWS) -> str:
    return "".join(export_chunks(fmt, HEADER, rows))


def test_csv_is_rfc_4180_and_reads_back_cell_for_cell() -> None:
    out = text("csv")
    assert out.endswith("\r\n")
    # Every record ends in CRLF; a newline within a value is quoted, never a record's end.
    assert out.count("\r\n") == len(ROWS) + 1
    header, *rows = csv.reader(io.StringIO(out, newline=""))
    assert tuple(header) == HEADER
    assert [row[0] for row in rows] == [
        "commas, and more",
        'a "quoted" word',
        "two\nlines",
        "a\ttab",
        "ünïcödé 名前",
        '\'=HYPERLINK("http://x")',
        "'-2+3",
        "+1",
        "'@SUM(A1)",
        "-5",
    ]
    # Numbers plain, the negative one a number still; dates ISO 8601; None empty.
    assert rows[0][1:] == ["-1000000", "2026-11-16", "2026-11-17T09:30:05+05:30", ""]
    assert [int(row[1]) for row in rows] == [row[1] for row in ROWS]


def test_tsv_keeps_one_row_a_line_of_as_many_cells() -> None:
    out = text("tsv")
    lines = out.splitlines()
    assert len(lines) == len(ROWS) + 1
    header, *rows = csv.reader(io.StringIO(out), delimiter="\t", quoting=csv.QUOTE_NONE)
    assert tuple(header) == HEADER
    assert all(len(row) == len(HEADER) for row in rows)
    names = [row[0] for row in rows]
    assert names[2:6] == ["two lines", "a tab", "ünïcödé 名前", '\'=HYPERLINK("http://x")']
    assert names[-1] == "-5"
    assert rows[0][1] == "-1000000"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_and_json_lines_hold_the_values_as_they_are(fmt: str) -> None:
    out = text(fmt)
    if fmt == "json":
        objects = json.loads(out)
        assert out == json.dumps(objects, ensure_ascii=False, indent=2) + "\n"
    else:
        objects = [json.loads(line) for line in out.splitlines()]
        assert len(out.splitlines()) == len(ROWS)
    assert [list(item) for item in objects] == [list(HEADER)] * len(ROWS)
    # No formula guard in JSON: it is for programs, not spreadsheets.
    assert [item["name"] for item in objects] == AWKWARD
    assert objects[0] == {
        "name": AWKWARD[0],
        "count": -1_000_000,
        "from": "2026-11-16",
        "counted_at": "2026-11-17T09:30:05+05:30",
        "error": None,
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_what_a_terminal_obeys_never_reaches_it_raw(fmt: str) -> None:
    hostile = [("\x1b]0;owned\x07 \x9b31m \u202e", 1, None, None, None)]
    out = text(fmt, hostile)
    assert not any(char in out for char in "\x1b\x07\x9b\u202e")


def test_json_with_no_rows_is_an_empty_array() -> None:
    assert text("json", []) == "[]\n"
    assert text("jsonl", []) == ""
    assert text("csv", []) == "name,count,from,counted_at,error\r\n"


def test_the_table_aligns_its_columns() -> None:
    rows: list[tuple[Value, ...]] = [
        ("a", 5, date(2026, 1, 1), None, None),
        ("bb", 12, None, None, "x"),
    ]
    out = "".join(export_chunks("table", HEADER, rows, right=(1,)))
    assert out.splitlines() == [
        "NAME  COUNT  FROM        COUNTED_AT  ERROR",
        "a         5  2026-01-01",
        "bb       12                          x",
    ]


def run(job: int, key: str | None) -> FavoriteRun:
    return FavoriteRun(
        job, 1_800_000_000.0 + job, job * 10, date(2026, 1, job), date(2026, 1, 9), key
    )


def test_a_history_is_its_current_querys_counts_unless_all_are_asked_for() -> None:
    runs = [run(1, "old"), run(2, "new"), run(3, None), run(4, "new")]
    header, rows = history_rows(runs, "new")
    assert header == ("from", "to", "count", "counted_at", "job")
    assert [row[-1] for row in rows] == [2, 3, 4]
    counted = rows[0][3]
    assert isinstance(counted, datetime)
    assert counted.utcoffset() is not None
    assert counted.timestamp() == 1_800_000_002.0
    header, rows = history_rows(runs, "new", every_query=True)
    assert header[-1] == "query"
    assert [(row[-2], row[-1]) for row in rows] == [(1, "old"), (2, "new"), (3, None), (4, "new")]
