"""`cttui jobs --json` has SQLite write each finished job whose cells are as cttui writes them
(`Journal.export`); every other job is written from its record, as before. The two must give the
same bytes for the same row, whatever it holds: these tests hold `export()` to what
`listing()` and `report.job_json` make of the same file, job by job, and check that SQLite
really wrote the jobs it should have (a test that passed because every job took the slow path
would prove nothing). tests/test_fuzz_journal.py holds the same over any cell of any type."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cttui.cli.jobs import json_lines
from cttui.records import Attempt, JobRecord, JobState
from cttui.store.journal import Journal
from cttui.store.journal_files import JournalError
from cttui.store.journal_rows import job_row
from tests.test_journal import QUERY, record

# Every character JSON must escape, and some it must not (non-ASCII, a line separator, DEL).
# A recent moment (2025-11-24): SQLite writes the times from 1971 to 2037.
NOW = 1_764_000_000.0
AWKWARD = "".join(map(chr, range(32))) + '"\\/é\u2028\u2029\x7f💥 end'


def expected(path: Path) -> list[str] | None:
    """The JSON lines each job makes through its record (None: the file is refused)."""
    journal = Journal.open(path, read_only=True)
    try:
        return list(json_lines(record for record, _ in journal.listing()))
    except JournalError:
        return None
    finally:
        journal.close()


def exported(path: Path) -> tuple[list[str] | None, int]:
    """The JSON lines `export()` makes, and how many of them SQLite wrote."""
    journal = Journal.open(path, read_only=True)
    items: list[str | JobRecord] = []
    try:
        items.extend(journal.export())
    except JournalError:
        return None, 0
    finally:
        journal.close()
    return list(json_lines(items)), sum(isinstance(item, str) for item in items)


def assert_same(path: Path) -> int:
    """export() gives exactly the listing's lines; how many SQLite wrote."""
    lines, by_sqlite = exported(path)
    assert lines == expected(path)
    return by_sqlite


def edit(path: Path, sql: str, *values: object) -> None:
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(sql, values)
    finally:
        connection.close()


def finished_job(journal: Journal) -> int:
    """A job done after two requests."""
    job = record(state=JobState.QUEUED, created=NOW)
    job.id = journal.create(job)
    for at, kind, answer in (
        (NOW + 1.25, "submit", "partial: req_id 9"),
        (NOW + 31.5, "poll", "done"),
    ):
        job.state = JobState.DONE if kind == "poll" else JobState.PENDING
        job.req_id, job.count = "9", (1234 if kind == "poll" else None)
        job.updated = job.finished = at + 0.3
        journal.save(job.id, job_row(job), Attempt(at, kind, answer, 200, 0.3))
    return job.id


@contextmanager
def written(path: Path) -> Iterator[Journal]:
    """The journal at `path`, open to write, closed at the end."""
    journal = Journal.open(path)
    try:
        yield journal
    finally:
        journal.close()


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite3"


def test_sqlite_writes_a_finished_job_byte_for_byte_as_its_record_is_written(
    journal_path: Path,
) -> None:
    with written(journal_path) as journal:
        ids = [finished_job(journal) for _ in range(5)]
        failed = record(state=JobState.FAILED, error=AWKWARD, http_status=400, favorite=AWKWARD)
        failed.created, failed.finished = NOW, NOW + 2
        ids.append(journal.create(failed))
        journal.create(record(query=None, state=JobState.CANCELLED, created=NOW, finished=NOW + 3))
        pending = record(state=JobState.PENDING, req_id="77", created=NOW)
        journal.create(pending)  # unfinished: always from its record
    awkward = (AWKWARD, AWKWARD)
    # What a hand or an older cttui may have left in cells SQLite writes itself: a start a
    # hair before the next second, a whole number of seconds as an integer, a request's
    # seconds that rounds half way (Python rounds half to even), times just before 2038, a body that
    # is not a query, a body that is not JSON, text in every answer column.
    edit(journal_path, "UPDATE jobs SET created = ? WHERE id = ?", NOW + 0.9996, ids[0])
    edit(journal_path, "UPDATE attempts SET seconds = 2 WHERE job_id = ?", ids[1])
    edit(journal_path, "UPDATE attempts SET seconds = 0.0625 WHERE job_id = ?", ids[2])
    edit(journal_path, "UPDATE jobs SET finished = 2145916799.5 WHERE id = ?", ids[3])
    edit(journal_path, "UPDATE jobs SET created = 2145916790 WHERE id = ?", ids[3])
    edit(journal_path, "UPDATE attempts SET answer = ?, kind = ? WHERE job_id=?", *awkward, ids[4])
    edit(journal_path, "UPDATE jobs SET body = '{\"event_name\": 5}' WHERE id = ?", ids[4])
    edit(journal_path, "UPDATE jobs SET body = '{not json' WHERE id = ?", ids[5])
    edit(journal_path, "UPDATE attempts SET resubmission = 1 WHERE rowid = 1")
    # The tie and the pending job take the record's way; the other six are SQLite's.
    assert assert_same(journal_path) == 6


def test_a_job_beyond_2038_or_with_odd_seconds_is_written_from_its_record(
    journal_path: Path,
) -> None:
    with written(journal_path) as journal:
        ids = [finished_job(journal) for _ in range(4)]
    edit(journal_path, "UPDATE jobs SET finished = 2145916800 WHERE id = ?", ids[0])
    edit(journal_path, "UPDATE attempts SET at = 4102444800 WHERE job_id = ?", ids[1])
    edit(journal_path, "UPDATE attempts SET seconds = 1e12 WHERE job_id = ?", ids[2])
    edit(journal_path, "UPDATE attempts SET seconds = 0.0 WHERE job_id = ?", ids[3])
    assert assert_same(journal_path) == 0


def test_a_damaged_cell_refuses_the_file_as_the_listing_does(journal_path: Path) -> None:
    with written(journal_path) as journal:
        finished_job(journal)
        second = finished_job(journal)
    edit(journal_path, "UPDATE attempts SET seconds = 'slow' WHERE job_id = ?", second)
    assert exported(journal_path) == (None, 0)
    assert expected(journal_path) is None
    # A request of no job refuses it too, damaged.
    edit(journal_path, "UPDATE attempts SET seconds = 0.5, job_id = 99 WHERE job_id = ?", second)
    assert assert_same(journal_path) == 2
    edit(journal_path, "UPDATE attempts SET seconds = 'slow' WHERE job_id = 99")
    assert exported(journal_path) == (None, 0)
    assert expected(journal_path) is None


def test_requests_keep_their_order(journal_path: Path) -> None:
    """A job's requests come in the order they were written, not by time or kind."""
    with written(journal_path) as journal:
        job = record(state=JobState.DONE, count=1, created=NOW, finished=NOW + 100)
        job.id = journal.create(job)
        for number, offset in enumerate((50, 10, 90, 1)):
            attempt = Attempt(NOW + offset, "poll", f"request {number}", 200, 0.1)
            journal.save(job.id, job_row(job), attempt)
    assert assert_same(journal_path) == 1
    lines, _ = exported(journal_path)
    assert lines is not None
    assert [lines[0].index(f"request {number}") for number in range(4)] == sorted(
        lines[0].index(f"request {number}") for number in range(4)
    )


def test_the_body_is_the_query_as_sent(journal_path: Path) -> None:
    with written(journal_path) as journal:
        finished_job(journal)
    lines, by_sqlite = exported(journal_path)
    assert by_sqlite == 1
    assert lines is not None
    assert f'"body":{QUERY.to_json()},' in lines[0]


@pytest.fixture
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process in a time zone of its own, for Python and SQLite alike."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


ZONES = ["Europe/London", "America/Sao_Paulo", "Asia/Kolkata"]


@pytest.mark.parametrize("zone", ZONES, indirect=True)
def test_local_times_agree_across_a_change_of_clocks(journal_path: Path, zone: str) -> None:
    """Each moment in the hours around this zone's clock changes of 2026 (and the one of
    Brazil's 2018), on the second and a fraction past it."""
    first = datetime(2018, 11, 4, tzinfo=UTC).timestamp()
    changes = [
        datetime(2026, month, day, hour, tzinfo=UTC).timestamp()
        for month, day, hour in ((3, 29, 1), (10, 25, 1))
    ] + [first + 3 * 3600]
    # Outside 1971-2037 SQLite takes a moment's offset from 2000-01-01's (London was an hour
    # ahead all through 1970): those take the record's way.
    edges = [datetime(1970, 7, 1, tzinfo=UTC).timestamp(), 31_536_000, 2_145_916_800]
    with written(journal_path) as journal:
        for change in changes:
            for offset in (-3601, -3600, -1, 0, 0.5, 1, 3599, 3600.999):
                job = record(state=JobState.CANCELLED, created=change + offset)
                job.finished = change + offset + 1800
                journal.create(job)
        for edge in edges:
            for offset in (-1, 0, 1):
                journal.create(record(state=JobState.CANCELLED, created=edge + offset))
    assert assert_same(journal_path) == 8 * len(changes) + 2 + 1


# What a terminal may act on if printed raw: DEL and the C1 controls (\x9b is a CSI), bidi
# controls, the line and paragraph separators.
TERMINAL_UNSAFE = "\x7f\x85\x9b\x9f\u061c\u200e\u200f\u2028\u2029\u202a\u202e\u2066\u2069"


def test_the_json_lines_escape_what_a_terminal_would_act_on(journal_path: Path) -> None:
    """JSON lets these stand raw inside a string; on a terminal, \\x9b31m is an escape
    sequence. Both ways (SQLite's and the record's) write each as its \\u escape."""
    text = f"before {TERMINAL_UNSAFE} after"
    with written(journal_path) as journal:
        done = finished_job(journal)
        edit(journal_path, "UPDATE jobs SET error = ? WHERE id = ?", text, done)
        waiting = journal.create(record(state=JobState.PENDING, created=NOW))
        edit(journal_path, "UPDATE jobs SET error = ? WHERE id = ?", text, waiting)
    lines, by_sqlite = exported(journal_path)
    assert lines is not None
    assert by_sqlite == 1
    for line in lines:
        assert not set(line) & set(TERMINAL_UNSAFE), repr(line)
    assert [json.loads(line)["error"] for line in lines] == [text, text]
    assert lines == expected(journal_path)
