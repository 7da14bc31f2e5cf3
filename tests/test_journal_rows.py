"""The journal against rows it did not expect: a job an older cttui left half-written, values
that do not parse, owner names that are paths, and the modes of what it creates."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cttui.jobs import JobManager
from cttui.records import Attempt, JobState, Origin
from cttui.store import journal_rows
from cttui.store.journal import Journal
from cttui.store.journal_files import JournalError
from tests.test_journal import QUERY, record

ORIGIN = Origin("TEST-ACC-0001", "http://127.0.0.1:8787", "work")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
def opened() -> Iterator[list[Journal]]:
    journals: list[Journal] = []
    yield journals
    for journal in journals:
        journal.close()


def open_journal(path: Path, opened: list[Journal], **options: bool) -> Journal:
    journal = Journal.open(path, **options)
    opened.append(journal)
    return journal


def execute(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        with connection:
            return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


# --- Defect 1: the answer kept, the job still `sending` (what cttui before this fix left) --------


def half_written(path: Path, opened: list[Journal], answer: str, state: JobState) -> int:
    """A job as the old two-step save left it when killed between the steps: the POST's answer
    kept as an attempt, the row still `sending` (or already marked interrupted by a later
    start) with no req_id, its last request the answered one; its owner dead."""
    first = open_journal(path, opened)
    job = record(ORIGIN, state=state, last_request_at=1_004.0)
    job.id = first.create(job)
    first.save(job.id, journal_rows.job_row(job), Attempt(1_004.0, "submit", answer, 200, 0.2))
    first.close()
    return job.id


@pytest.mark.parametrize("state", [JobState.SENDING, JobState.INTERRUPTED])
def test_a_job_whose_post_was_answered_before_a_kill_gets_its_req_id_back(
    path: Path, opened: list[Journal], state: JobState
) -> None:
    job_id = half_written(path, opened, "partial: req_id 384649162721759", state)
    journal = open_journal(path, opened)
    # Only looking: reported pending with its req_id, and nothing written.
    [looked], _ = journal.load()
    assert (looked.state, looked.req_id) == (JobState.PENDING, "384649162721759")
    assert execute(path, "SELECT state, req_id FROM jobs") == [(state.value, None)]
    # Claiming: pending with its req_id on disk too, to be polled, never POSTed again.
    [claimed_job], claimed = journal.load(claim=lambda _: True)
    assert claimed == {job_id}
    assert (claimed_job.state, claimed_job.req_id) == (JobState.PENDING, "384649162721759")
    assert execute(path, "SELECT state, req_id FROM jobs") == [("pending", "384649162721759")]


def test_a_job_whose_post_was_answered_with_a_count_before_a_kill_is_done(
    path: Path, opened: list[Journal]
) -> None:
    job_id = half_written(path, opened, "success: 7,138 profiles", JobState.SENDING)
    journal = open_journal(path, opened)
    [job], claimed = journal.load(claim=lambda _: True)
    assert (job.state, job.count, job.finished) == (JobState.DONE, 7_138, 1_004.2)
    assert claimed == set()
    assert execute(path, "SELECT id, state, count FROM jobs") == [(job_id, "done", 7_138)]


def test_a_job_whose_last_poll_was_answered_with_a_count_before_a_kill_is_done(
    path: Path, opened: list[Journal]
) -> None:
    first = open_journal(path, opened)
    job = record(ORIGIN, state=JobState.PENDING, req_id="9", last_request_at=1_034.0, polls=1)
    job.id = first.create(job)
    answer = Attempt(1_034.0, "poll", "success: 12 profiles", 200, 0.5)
    first.save(job.id, journal_rows.job_row(job), answer)
    first.close()
    [loaded], claimed = open_journal(path, opened).load(claim=lambda _: True)
    assert (loaded.state, loaded.count, loaded.finished, claimed) == (
        JobState.DONE,
        12,
        1_034.5,
        set(),
    )
    assert execute(path, "SELECT state, req_id, count FROM jobs") == [("done", "9", 12)]


def test_a_favourites_count_recovered_joins_its_history(path: Path, opened: list[Journal]) -> None:
    first = open_journal(path, opened)
    job = record(ORIGIN, state=JobState.SENDING, last_request_at=1_004.0, favorite="daily")
    job.id = first.create(job)
    answer = Attempt(1_004.0, "submit", "success: 3 profiles", 200, 0.25)
    first.save(job.id, journal_rows.job_row(job), answer)
    first.close()
    journal = open_journal(path, opened)
    journal.load(claim=lambda _: True)
    [run] = journal.history()["daily"]
    assert (run.job_id, run.count, run.at) == (job.id, 3, 1_004.25)


def test_a_pending_job_whose_last_poll_was_partial_stays_pending(
    path: Path, opened: list[Journal]
) -> None:
    first = open_journal(path, opened)
    job = record(ORIGIN, state=JobState.PENDING, req_id="9", last_request_at=1_034.0)
    job.id = first.create(job)
    partial = Attempt(1_034.0, "poll", "partial: req_id 9", 200, 0.5)
    first.save(job.id, journal_rows.job_row(job), partial)
    first.close()
    [loaded], claimed = open_journal(path, opened).load(claim=lambda _: True)
    assert (loaded.state, loaded.req_id, claimed) == (JobState.PENDING, "9", {job.id})


def test_a_resubmitted_job_killed_mid_post_stays_interrupted(
    path: Path, opened: list[Journal]
) -> None:
    """Its old answer belongs to the first POST: the second one may or may not have arrived."""
    first = open_journal(path, opened)
    job = record(ORIGIN, state=JobState.CANCELLED, last_request_at=1_004.0)
    job.id = first.create(job)
    attempt = Attempt(1_004.0, "submit", "partial: req_id 1", 200, 0.2)
    first.save(job.id, journal_rows.job_row(job), attempt)
    job.state, job.last_request_at = JobState.SENDING, None
    first.save(job.id, journal_rows.job_row(job), None)
    first.close()
    [loaded], _ = open_journal(path, opened).load(claim=lambda _: True)
    assert (loaded.state, loaded.req_id) == (JobState.INTERRUPTED, None)


# --- Defect 13: elapsed stops; modes -------------------------------------------------------------


def test_an_interrupted_job_keeps_the_moment_it_was_last_known_alive(
    path: Path, opened: list[Journal]
) -> None:
    first = open_journal(path, opened)
    job_id = first.create(record(ORIGIN, state=JobState.SENDING, created=1_000.0))
    execute(path, "UPDATE jobs SET updated = 1012.5")
    first.close()
    records, _ = open_journal(path, opened).load(claim=lambda _: True)
    assert execute(path, "SELECT state, updated FROM jobs") == [("interrupted", 1012.5)]
    manager = JobManager()
    manager.adopt(records, {job_id})
    [job] = manager.jobs
    assert job.state is JobState.INTERRUPTED
    assert job.elapsed(1_000_000.0) == 12.5


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("demo", [False, True])
def test_the_journal_and_its_directories_are_private(tmp_path: Path, demo: bool) -> None:
    state = tmp_path / "state" / "cttui"
    path = (state / "demo" if demo else state) / "journal.sqlite3"
    journal = Journal.open(path)
    try:
        journal.create(record(ORIGIN))
        wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
        owners = path.parent / "owners"
        [lock] = owners.iterdir()
        files = {p.name: mode(p) for p in (path, wal, shm, lock)}
        directories = {p.name: mode(p) for p in {state, path.parent, owners}}
    finally:
        journal.close()
    assert set(files.values()) == {0o600}, files
    assert set(directories.values()) == {0o700}, directories


def test_a_journal_made_by_an_older_cttui_is_made_private(path: Path) -> None:
    Journal.open(path).close()
    path.chmod(0o644)
    path.parent.chmod(0o755)
    Journal.open(path).close()
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)


# --- Defect 8: an owner is a token, never a path -------------------------------------------------


@pytest.mark.parametrize("shape", ["absolute", "parent", "nested"])
def test_an_owner_that_is_a_path_never_touches_a_file(
    path: Path, opened: list[Journal], tmp_path: Path, shape: str
) -> None:
    victim = tmp_path / "elsewhere" / "victim.lock"
    victim.parent.mkdir()
    victim.write_text("keep me")
    owner = {
        "absolute": str(victim.with_suffix("")),
        "parent": "../../elsewhere/victim",
        "nested": "../owners/../../elsewhere/victim",
    }[shape]
    journal = open_journal(path, opened)
    job_id = journal.create(record(ORIGIN, state=JobState.PENDING, req_id="1"))
    execute(path, "UPDATE jobs SET owner = ?", owner)
    assert journal.elsewhere() == set()
    journal.load()
    assert victim.read_text() == "keep me"
    # Nobody can hold such a name: its job is free to take.
    assert journal.load(claim=lambda _: True)[1] == {job_id}
    assert victim.read_text() == "keep me"


# --- Defect 7: rows that do not parse are reported, naming the file -------------------------------

LOOSE_SCHEMA = """
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, created, updated, profile, account_id,
    base_url, body, state, req_id, count, error, http_status, polls, retries, finished, next_poll,
    last_request, owner, favorite);
CREATE TABLE attempts (job_id, at, kind, answer, http_status, seconds);
CREATE TABLE favorite_counts (job_id INTEGER PRIMARY KEY, favorite, at, count, date_from,
    date_to);
PRAGMA user_version = 2;
"""

GOOD = {
    "created": 1000.0,
    "updated": 1000.0,
    "profile": "work",
    "account_id": "TEST-ACC-0001",
    "base_url": "http://127.0.0.1:8787",
    "body": QUERY.to_json(),
    "state": "done",
    "req_id": "1",
    "count": 5,
    "polls": 0,
    "retries": 0,
}


def loose_journal(path: Path, **bad: object) -> None:
    """A journal whose columns take anything (as a hand-edited or damaged one may hold)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(LOOSE_SCHEMA)
        row = {**GOOD, **{k: v for k, v in bad.items() if k in GOOD or k == "http_status"}}
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        insert = f"INSERT INTO jobs ({names}) VALUES ({marks})"  # noqa: S608 - the test's names
        connection.execute(insert, tuple(row.values()))
        attempt = {"at": 1000.0, "kind": "submit", "answer": "x", "http_status": 200}
        attempt.update({k[8:]: v for k, v in bad.items() if k.startswith("attempt_")})
        connection.execute(
            "INSERT INTO attempts VALUES (1, ?, ?, ?, ?, 0.5)", tuple(attempt.values())
        )
        if "history_count" in bad:
            connection.execute(
                "INSERT INTO favorite_counts VALUES (1, 'f', 1000.0, ?, 20260101, 20260102)",
                (bad["history_count"],),
            )
        connection.commit()
    finally:
        connection.close()


BAD_ROWS: list[dict[str, object]] = [
    {"state": None},
    {"state": "exploded"},
    {"state": 3},
    {"created": None},
    {"created": "yesterday"},
    {"account_id": None},
    {"base_url": 42},
    {"count": "many"},
    {"count": 1.5},
    {"polls": None},
    {"req_id": b"\x00\x01"},
    {"http_status": "teapot"},
    {"attempt_at": None},
    {"attempt_kind": 7},
    {"attempt_answer": None},
    {"history_count": "lots"},
]


def bad_id(bad: dict[str, object]) -> str:
    [(name, value)] = bad.items()
    return f"{name}-{value!r}"


def read_all(journal: Journal) -> None:
    journal.load()
    journal.history()


@pytest.mark.parametrize("bad", BAD_ROWS, ids=[bad_id(bad) for bad in BAD_ROWS])
def test_a_row_that_does_not_parse_is_reported_naming_the_file(
    path: Path, opened: list[Journal], bad: dict[str, object]
) -> None:
    loose_journal(path, **bad)
    journal = open_journal(path, opened)
    with pytest.raises(JournalError) as raised:
        read_all(journal)
    assert str(path) in raised.value.message
    assert "\n" not in raised.value.message


def test_a_loose_journal_with_good_rows_loads(path: Path, opened: list[Journal]) -> None:
    loose_journal(path)
    [job], _ = open_journal(path, opened).load()
    assert (job.state, job.count, job.query) == (JobState.DONE, 5, QUERY)


def read_cut(path: Path) -> str:
    """What reading a journal gives: "loaded", or the message of the JournalError it raised
    (anything else propagates and fails the test)."""
    try:
        journal = Journal.open(path)
    except JournalError as error:
        return error.message
    try:
        read_all(journal)
    except JournalError as error:
        return error.message
    finally:
        journal.close()
    return "loaded"


def test_a_journal_truncated_anywhere_is_reported_never_a_crash(
    path: Path, opened: list[Journal], tmp_path: Path
) -> None:
    journal = open_journal(path, opened)
    for number in range(300):
        job = record(ORIGIN, state=JobState.DONE, count=number, req_id=str(number))
        job.id = journal.create(job)
        journal.save(job.id, journal_rows.job_row(job), Attempt(1.0, "poll", "x" * 200, 200, 0.1))
    journal.close()
    whole = path.read_bytes()
    page = 4096
    cuts = sorted({*range(page, len(whole), page * 7), *range(page + 100, len(whole), page * 5)})
    outcomes = []
    for cut in cuts:
        broken = tmp_path / f"cut-{cut}" / "journal.sqlite3"
        broken.parent.mkdir()
        broken.write_bytes(whole[:cut])
        outcome = read_cut(broken)
        assert outcome == "loaded" or str(broken) in outcome
        outcomes.append(outcome != "loaded")
    assert any(outcomes), "no cut was noticed"
