"""Fuzzing the journal's rows: a real journal, written by `Journal`, with any of its cells
overwritten by a value of any SQLite type, then read the ways cttui reads it (`cttui jobs`,
`cttui jobs --json`, and a start that takes dead owners' jobs over). It either loads or is a
`JournalError` naming the file in one line; never another exception, never a traceback.

CTTUI_FUZZ_EXAMPLES scales the examples, as for tests/test_fuzz_cli.py (`make fuzz`).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cttui.jobs import JobManager
from cttui.records import Attempt, JobState, Origin
from cttui.report import (
    attempt_lines,
    count_text,
    dates_text,
    job_curl,
    job_fields,
    job_json,
    state_text,
    summary_text,
)
from cttui.store import journal_rows
from cttui.store.journal import Journal
from cttui.store.journal_files import JournalError
from tests.test_fuzz_cli import UNSAFE, assert_clean, examples, run_main
from tests.test_journal import QUERY, record
from tests.test_journal_export import expected, exported

ORIGIN = Origin("TEST-ACC-0001", "http://127.0.0.1:8787", "work")
TABLES = ("jobs", "attempts", "favorite_counts")

# Jobs in every state, with requests, one of them a favourite's count: every column holds a value.
SHAPES: list[dict[str, Any]] = [
    {"state": JobState.DONE, "count": 42, "req_id": "384649162721759", "favorite": "Weekly"},
    {"state": JobState.PENDING, "req_id": "384649162721760", "next_poll_at": 2_000.0},
    {"state": JobState.FAILED, "error": "CleverTap refused the query", "http_status": 400},
    {"state": JobState.SENDING, "last_request_at": 1_004.0},
    {"state": JobState.INTERRUPTED},
    {"state": JobState.QUEUED},
]
ANSWERS = ("partial: req_id 384649162721761", "success: 7 profiles", "fail: HTTP 500")
# When the jobs were made: a recent moment, whose finished jobs SQLite writes for `jobs --json`.
MODERN = 1_764_000_000.0


def template(directory: Path) -> bytes:
    """The journal's bytes, its -wal folded in, and NOT NULL taken off every column, so that a
    NULL can be written anywhere, as a hand-edited or damaged file may hold one."""
    path = directory / "journal.sqlite3"
    journal = Journal.open(path)
    try:
        for number, shape in enumerate(SHAPES):
            finished = MODERN + 10 if number == 0 else None
            job = record(ORIGIN, created=MODERN, finished=finished, **shape)
            job.id = journal.create(job)
            answer = ANSWERS[number % len(ANSWERS)]
            attempt = Attempt(MODERN + 4, "submit", answer, 200, 0.2, resubmission=number == 4)
            journal.save(job.id, journal_rows.job_row(job), attempt)
    finally:
        journal.close()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA writable_schema = ON")
        with connection:
            connection.execute(
                "UPDATE sqlite_master SET sql = replace(sql, 'NOT NULL', '') WHERE type = 'table'"
            )
        # Still in WAL mode, as cttui leaves it, with everything in the file itself.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return path.read_bytes()


class Template:
    """The journal's bytes and each table's columns (its repr leaves the bytes out)."""

    def __init__(self, whole: bytes, columns: dict[str, list[str]]) -> None:
        self.whole = whole
        self.columns = columns

    def __repr__(self) -> str:
        return f"Template({len(self.whole)} bytes)"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The template's bytes, and each table's columns."""
    whole = template(tmp_path_factory.mktemp("template"))
    copy = tmp_path_factory.mktemp("columns") / "journal.sqlite3"
    copy.write_bytes(whole)
    connection = sqlite3.connect(copy)
    try:
        columns = {
            table: [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            for table in TABLES
        }
    finally:
        connection.close()
    return Template(whole, columns)


ODD_TEXT = "\x00\x07\x1b[31m\r\n\u202e\u2066\u2028\ufeff\x85"
VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, -1, 2**53, 2**63 - 1, -(2**63), 20260101, 99991231, 10**15]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from(ODD_TEXT + "ab1 "), max_size=12),
    st.sampled_from([s.value for s in JobState] + ["exploded", "", "DONE", "done "]),
    st.sampled_from(["partial: req_id 1", "success: 9,999 profiles", "success: 1e3 profiles"]),
    st.sampled_from([QUERY.to_json(), "{}", "[]", "null", '{"event_name": 1}', "{"]),
    st.sampled_from([json.dumps({**json.loads(QUERY.to_json()), "from": 0})]),
    st.binary(max_size=20),
)
Edit = tuple[str, int, int, object]
EDITS = st.lists(
    st.tuples(st.sampled_from(TABLES), st.integers(0, 30), st.integers(0, 7), VALUES),
    min_size=1,
    max_size=4,
)


def damage(path: Path, columns: dict[str, list[str]], edits: list[Edit]) -> None:
    """Each edit writes its value into one cell (a table, a column, a row by position); one
    SQLite refuses (a job id that is not an integer, or equal to another's) is skipped."""
    connection = sqlite3.connect(path)
    try:
        # The file is thrown away after the example: it need not survive a power cut.
        connection.execute("PRAGMA synchronous = OFF")
        with connection:
            for table, column, row, value in edits:
                name = columns[table][column % len(columns[table])]
                # The names are the file's own, the value a parameter.
                sql = f"UPDATE {table} SET {name} = ? WHERE rowid = (SELECT rowid FROM {table} ORDER BY rowid LIMIT 1 OFFSET ?)"  # noqa: S608, E501
                with contextlib.suppress(sqlite3.IntegrityError):  # undoes that edit alone
                    connection.execute(sql, (value, row))
    finally:
        connection.close()


def listed(path: Path) -> list[object] | None:
    """What `cttui jobs`, `jobs --json` and `jobs show` build, through the API: the jobs as
    JSON, or None for a JournalError (which must name the file in one line)."""
    try:
        journal = Journal.open(path, read_only=True)
    except JournalError as error:
        refused(error, path)
        return None
    try:
        records, _ = journal.load()
        journal.elsewhere()
        journal.history()
    except JournalError as error:
        refused(error, path)
        return None
    finally:
        journal.close()
    manager = JobManager()
    manager.adopt(records, set(), set())
    for job in manager.jobs:
        text = [state_text(job), count_text(job), summary_text(job.query, 40)]
        text += [value for _, value in job_fields(job, 2_000.0)] + attempt_lines(job)
        text.append(datetime.fromtimestamp(job.created).strftime("%Y-%m-%d %H:%M"))
        if job.query is not None:
            text.append(dates_text(job.query.date_range))
        job_curl(job)
    shown: list[object] = [job_json(job) for job in manager.jobs]
    json.dumps(shown)
    return shown


def taken_over(path: Path) -> None:
    """What a start of `cttui count` does: open to write, take every dead owner's job."""
    try:
        journal = Journal.open(path)
    except JournalError as error:
        refused(error, path)
        return
    try:
        journal.load(claim=lambda origin: True)
        journal.history()
    except JournalError as error:
        refused(error, path)
    finally:
        journal.close()


def refused(error: JournalError, path: Path) -> None:
    assert str(path) in error.message, error.message
    assert not UNSAFE.search(error.message), error.message
    assert "\u2028" not in error.message, error.message
    assert "\u2029" not in error.message, error.message


def fresh(path: Path, whole: bytes) -> None:
    for leftover in path.parent.glob(path.name + "-*"):
        leftover.unlink()
    path.write_bytes(whole)


# The first cell fuzzing found: a start time before year 1 crashed every listing.
ANCIENT: list[Edit] = [("jobs", 1, 0, -62_135_510_401)]


@examples(800)
@given(edits=EDITS)
@example(edits=ANCIENT)
def test_any_cell_of_any_type_lists_or_is_a_journal_error(
    tmp_path: Path, pristine: Template, edits: list[Edit]
) -> None:
    path = tmp_path / "journal.sqlite3"
    fresh(path, pristine.whole)
    damage(path, pristine.columns, edits)
    listed(path)


def test_sqlite_writes_the_templates_finished_jobs(tmp_path: Path, pristine: Template) -> None:
    """So that the fuzzing below reaches both ways of writing a job."""
    path = tmp_path / "journal.sqlite3"
    fresh(path, pristine.whole)
    lines, by_sqlite = exported(path)
    assert lines == expected(path)
    assert by_sqlite == sum(shape["state"].finished for shape in SHAPES) == 2


@examples(400)
@given(edits=EDITS)
@example(edits=ANCIENT)
def test_any_cell_of_any_type_is_exported_as_its_record_is_written(
    tmp_path: Path, pristine: Template, edits: list[Edit]
) -> None:
    """`jobs --json` has SQLite write the jobs it can (tests/test_journal_export.py): whatever
    a cell holds, the lines are the records' own, or both ways refuse the file."""
    path = tmp_path / "journal.sqlite3"
    fresh(path, pristine.whole)
    damage(path, pristine.columns, edits)
    lines, _ = exported(path)
    assert lines == expected(path)


# Fewer: taking jobs over writes, and waits for the disk each time.
@examples(150)
@given(edits=EDITS)
@example(edits=ANCIENT)
def test_any_cell_of_any_type_is_taken_over_or_is_a_journal_error(
    tmp_path: Path, pristine: Template, edits: list[Edit]
) -> None:
    path = tmp_path / "journal.sqlite3"
    fresh(path, pristine.whole)
    damage(path, pristine.columns, edits)
    taken_over(path)
    listed(path)


@examples(60)
@given(edits=EDITS, command=st.sampled_from([["jobs"], ["jobs", "--json"], ["jobs", "show", "1"]]))
@example(edits=ANCIENT, command=["jobs"])
def test_cttui_jobs_on_any_cell_lists_or_refuses_in_one_line(
    isolated_home: Path, pristine: Template, edits: list[Edit], command: list[str]
) -> None:
    path = isolated_home / ".local" / "state" / "cttui" / "journal.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh(path, pristine.whole)
    damage(path, pristine.columns, edits)
    shown = listed(path)
    code, out, err = run_main(command)
    assert_clean(code, out, err)
    if shown is None:
        assert code == 2, err
        assert str(path) in err
        assert len(err.splitlines()) == 1, err
    elif command[-1] == "--json":
        assert code == 0, err
        assert len(json.loads(out)) == len(shown)
    else:
        assert code in (0, 2), err  # `show 1`: job 1 may have been renumbered


@examples(100)
@given(body=VALUES)
def test_any_query_body_loads_as_a_job_with_or_without_its_query(
    isolated_home: Path, pristine: Template, body: object
) -> None:
    """A job's `body` is its query as JSON: one that does not parse costs the query, not the
    job (a damaged body never hides the req_id or the count)."""
    whole, columns = pristine.whole, pristine.columns
    path = isolated_home / "journal.sqlite3"
    fresh(path, whole)
    damage(path, columns, [("jobs", columns["jobs"].index("body"), 0, body)])
    shown = listed(path)
    if isinstance(body, str | None):
        assert shown is not None
        assert len(shown) == len(SHAPES)
        first = shown[0]
        assert isinstance(first, dict)
        assert (first["state"], first["req_id"], first["count"]) == (
            "done",
            SHAPES[0]["req_id"],
            42,
        )
