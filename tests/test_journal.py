"""The job journal on real SQLite files: round trips, owners and claims, files it must not touch,
migrations, locks, and the asyncio writer that falls back to memory."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import select
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.jobs import JobManager
from cttui.pacing import RetryPolicy
from cttui.records import Attempt, JobRecord, JobState, Origin
from cttui.store import journal_rows, journal_schema
from cttui.store.journal import Journal
from cttui.store.journal_files import JournalError
from cttui.store.journal_schema import MIGRATIONS, SCHEMA_VERSION
from cttui.store.journal_writer import JournalWriter

QUERY = Query(
    "choseNewFavoriteFood",
    DateRange.parse("2015-08-10", "2015-10-25"),
    (PropertyFilter.from_text("value", "contains", "piz"),),
)
ORIGIN = Origin("TEST-ACC-0001", "https://in1.api.clevertap.com", "work")
OTHER = Origin("OTHER-ACC-01", "https://api.clevertap.com", None)
SIBLINGS = ("-wal", "-shm", "-journal")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
def opened() -> Iterator[list[Journal]]:
    """Journals a test opens, closed at its end whatever happens (closing twice is harmless)."""
    journals: list[Journal] = []
    yield journals
    for journal in journals:
        journal.close()  # closing twice is harmless


def open_journal(path: Path, opened: list[Journal], busy_timeout: float = 5.0) -> Journal:
    journal = Journal.open(path, busy_timeout=busy_timeout)
    opened.append(journal)
    return journal


def record(origin: Origin = ORIGIN, query: Query | None = QUERY, **fields: object) -> JobRecord:
    job = JobRecord(id=0, origin=origin, query=query, created=1_000.0)
    for name, value in fields.items():
        setattr(job, name, value)
    return job


def raw(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Rows from the file through a connection of its own, as another program would read it."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def as_dict(job: JobRecord) -> dict[str, object]:
    """Every field the journal keeps (a Job's `client` and `elsewhere` are not among them)."""
    return {field.name: getattr(job, field.name) for field in dataclasses.fields(JobRecord)}


def siblings(path: Path) -> list[str]:
    return [suffix for suffix in SIBLINGS if path.with_name(path.name + suffix).exists()]


def file_bytes(path: Path) -> bytes:
    """The database as stored: the file and, while open in WAL mode, its -wal."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# --- Round trip -----------------------------------------------------------------------------------


def test_every_field_survives_a_save_and_a_reopen(path: Path, opened: list[Journal]) -> None:
    journal = open_journal(path, opened)
    first = record(created=1_000.5)
    first.id = journal.create(first)
    bare = record(OTHER, None, req_id="384649162721759", created=1_001.0)
    bare.id = journal.create(bare)
    assert (first.id, bare.id) == (1, 2)
    attempts = [
        Attempt(1_000.5, "submit", "HTTP 503: busy", 503, 2.25),
        Attempt(1_004.0, "submit", "partial: req_id 384649162721759", 200, 0.5),
        Attempt(1_034.0, "poll", "cannot connect", None, 30.0),
        Attempt(1_070.0, "poll", "success: 7,138 profiles", 200, 1.0),
    ]
    first.state = JobState.PENDING
    for attempt in attempts:
        first.attempts.append(attempt)
        journal.save(first.id, journal_rows.job_row(first), attempt)
    first.state = JobState.DONE
    first.req_id = "384649162721759"
    first.count = 7_138
    first.error = "an earlier 503"
    first.http_status = 503
    first.polls = 2
    first.retries = 1
    first.finished = 1_071.0
    first.next_poll_at = 1_064.0
    first.last_request_at = 1_070.0
    journal.save(first.id, journal_rows.job_row(first), None)
    journal.close()

    again = open_journal(path, opened)
    records, claimed = again.load()
    assert claimed == set()
    assert [as_dict(job) for job in records] == [as_dict(first), as_dict(bare)]
    loaded = records[0]
    assert loaded.origin == ORIGIN
    assert loaded.query == QUERY
    assert loaded.state is JobState.DONE
    assert loaded.attempts == attempts
    assert records[1].query is None
    assert records[1].origin == OTHER


def test_query_is_kept_as_its_json_body(path: Path, opened: list[Journal]) -> None:
    journal = open_journal(path, opened)
    journal.create(record())
    [(body,)] = raw(path, "SELECT body FROM jobs")
    assert body == QUERY.to_json()


def test_remove_deletes_jobs_and_their_attempts(path: Path, opened: list[Journal]) -> None:
    journal = open_journal(path, opened)
    kept, gone = record(), record()
    kept.id, gone.id = journal.create(kept), journal.create(gone)
    for job in (kept, gone):
        journal.save(job.id, journal_rows.job_row(job), Attempt(1.0, "submit", "x", 200, 0.1))
    journal.remove([gone.id])
    records, _ = journal.load()
    assert [job.id for job in records] == [kept.id]
    assert raw(path, "SELECT job_id FROM attempts") == [(kept.id,)]
    # Ids are never handed out twice, even after the highest is removed.
    journal.remove([kept.id])
    assert journal.create(record()) == 3


# --- The passcode is never written ----------------------------------------------------------------

PASSCODE = "PASSCODE-zq8Xv3-never-on-disk"


async def test_a_job_run_through_the_writer_never_writes_the_passcode(path: Path) -> None:
    answers = iter(
        [
            (200, {"status": "partial", "req_id": 77}),
            (503, {"status": "fail", "error": "busy", "code": 503}),
            (401, {"status": "fail", "error": "Invalid Credentials", "code": 401}),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-CleverTap-Passcode"] == PASSCODE
        status, body = next(answers)
        return httpx.Response(status, json=body)

    writer = JournalWriter(path)
    assert await writer.load(lambda _: True) == ([], set())
    client = CleverTapClient(
        Credentials("TEST-ACC-0001", PASSCODE),
        "http://127.0.0.1:8787",
        transport=httpx.MockTransport(answer),
    )
    manager = JobManager(
        poll_interval=0.01, retry=RetryPolicy(attempts=3, base=0.01), recorder=writer
    )
    try:
        job = await manager.add(Origin(client.account_id, client.base_url, "work"), client, QUERY)
        await asyncio.wait_for(manager.run(job), timeout=60)
        assert job.state is JobState.FAILED
        assert job.http_status == 401
        stored = file_bytes(path)
        # The grep looks where the job is: its account, req_id and answers are all there.
        assert b"TEST-ACC-0001" in stored
        assert b"Invalid Credentials" in stored
        assert PASSCODE.encode() not in stored
    finally:
        await client.aclose()
        writer.close()
    assert PASSCODE.encode() not in file_bytes(path)
    for lock in (path.parent / "owners").iterdir():
        assert PASSCODE.encode() not in lock.read_bytes()
    # What the writer kept is what the manager had.
    journal = Journal.open(path)
    try:
        [loaded], _ = journal.load()
    finally:
        journal.close()
    assert as_dict(loaded) == as_dict(job)
    assert [attempt.kind for attempt in loaded.attempts] == ["submit", "poll", "poll"]


# --- Owners and claims ----------------------------------------------------------------------------


def test_a_live_owners_job_is_not_claimed_until_it_closes(
    path: Path, opened: list[Journal]
) -> None:
    first = open_journal(path, opened)
    job_id = first.create(record(state=JobState.PENDING, req_id="5"))
    assert (path.parent / "owners" / f"{first.owners.token}.lock").exists()

    second = open_journal(path, opened)
    records, claimed = second.load(claim=lambda _: True)
    assert claimed == set()
    assert [(job.id, job.state) for job in records] == [(job_id, JobState.PENDING)]
    assert second.elsewhere() == {job_id}
    assert raw(path, "SELECT owner FROM jobs") == [(first.owners.token,)]

    first.close()
    assert not (path.parent / "owners" / f"{first.owners.token}.lock").exists()
    assert second.elsewhere() == set()
    records, claimed = second.load(claim=lambda _: True)
    assert claimed == {job_id}
    assert records[0].state is JobState.PENDING
    assert raw(path, "SELECT owner FROM jobs") == [(second.owners.token,)]


def test_a_job_left_sending_by_a_dead_owner_comes_back_interrupted(
    path: Path, opened: list[Journal]
) -> None:
    first = open_journal(path, opened)
    job_id = first.create(record(state=JobState.SENDING))
    dead = first.owners.token
    first.close()

    second = open_journal(path, opened)
    # Only looking: reported interrupted, nothing written, nothing taken.
    records, claimed = second.load()
    assert (records[0].state, claimed) == (JobState.INTERRUPTED, set())
    assert raw(path, "SELECT state, owner FROM jobs") == [("sending", dead)]
    # Claiming: now interrupted on disk too, and this process's to resubmit.
    records, claimed = second.load(claim=lambda _: True)
    assert (records[0].state, claimed) == (JobState.INTERRUPTED, {job_id})
    assert raw(path, "SELECT state, owner FROM jobs") == [("interrupted", second.owners.token)]


def test_a_job_sending_for_a_live_owner_is_left_alone(path: Path, opened: list[Journal]) -> None:
    first = open_journal(path, opened)
    first.create(record(state=JobState.SENDING))
    second = open_journal(path, opened)
    records, claimed = second.load(claim=lambda _: True)
    assert (records[0].state, claimed) == (JobState.SENDING, set())
    assert raw(path, "SELECT state, owner FROM jobs") == [("sending", first.owners.token)]


@pytest.mark.parametrize("stale_lock_file", [False, True])
def test_an_owner_without_a_held_lock_is_dead(
    path: Path, opened: list[Journal], stale_lock_file: bool
) -> None:
    journal = open_journal(path, opened)
    pending = journal.create(record(state=JobState.PENDING, req_id="1"))
    sending = journal.create(record(state=JobState.SENDING))
    # A process killed long ago: its token is in the rows; its lock file is gone, or left behind
    # unlocked (the kernel drops the lock of a killed process, not the file).
    lock = path.parent / "owners" / "4242-deadbeef.lock"
    if stale_lock_file:
        lock.write_bytes(b"")
    connection = sqlite3.connect(path)
    connection.execute("UPDATE jobs SET owner = '4242-deadbeef'")
    connection.commit()
    connection.close()
    records, claimed = journal.load(claim=lambda _: True)
    assert claimed == {pending, sending}
    assert [job.state for job in records] == [JobState.PENDING, JobState.INTERRUPTED]
    assert not lock.exists()


def test_an_ownerless_job_is_claimed(path: Path, opened: list[Journal]) -> None:
    journal = open_journal(path, opened)
    job_id = journal.create(record(state=JobState.QUEUED))
    connection = sqlite3.connect(path)
    connection.execute("UPDATE jobs SET owner = NULL")
    connection.commit()
    connection.close()
    assert journal.load(claim=lambda _: True)[1] == {job_id}


def test_a_claim_that_refuses_an_origin_leaves_its_jobs_unclaimed(
    path: Path, opened: list[Journal]
) -> None:
    first = open_journal(path, opened)
    mine = first.create(record(ORIGIN, state=JobState.PENDING, req_id="1"))
    theirs = first.create(record(OTHER, state=JobState.PENDING, req_id="2"))
    stuck = first.create(record(OTHER, state=JobState.SENDING))
    dead = first.owners.token
    first.close()

    second = open_journal(path, opened)
    asked: list[Origin] = []

    def claim(origin: Origin) -> bool:
        asked.append(origin)
        return origin.account_id == ORIGIN.account_id

    records, claimed = second.load(claim=claim)
    assert claimed == {mine}
    assert sorted(asked, key=str) == sorted([ORIGIN, OTHER, OTHER], key=str)
    states = {job.id: job.state for job in records}
    assert states == {mine: JobState.PENDING, theirs: JobState.PENDING, stuck: JobState.INTERRUPTED}
    owners = {row[0]: row[1] for row in raw(path, "SELECT id, owner FROM jobs")}
    assert owners == {mine: second.owners.token, theirs: dead, stuck: dead}
    assert raw(path, "SELECT state FROM jobs WHERE id = ?", stuck) == [("sending",)]


def test_finished_jobs_are_never_claimed(path: Path, opened: list[Journal]) -> None:
    first = open_journal(path, opened)
    for state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED):
        first.create(record(state=state))
    first.close()
    second = open_journal(path, opened)
    records, claimed = second.load(claim=lambda _: True)
    assert claimed == set()
    assert [job.state for job in records] == [JobState.DONE, JobState.FAILED, JobState.CANCELLED]


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from cttui.records import JobRecord, JobState, Origin
    from cttui.store.journal import Journal

    journal = Journal.open(Path(sys.argv[1]))
    job = JobRecord(id=0, origin=Origin("TEST-ACC-0001", "https://api.clevertap.com"),
                    query=None, state=JobState.SENDING, req_id="9")
    print(journal.create(job), flush=True)
    sys.stdin.read()
    """
)


def test_a_killed_process_loses_its_jobs_to_the_next_one(path: Path, opened: list[Journal]) -> None:
    path.parent.mkdir(parents=True)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "the child never created its job"
        job_id = int(child.stdout.readline())
        journal = open_journal(path, opened)
        records, claimed = journal.load(claim=lambda _: True)
        assert (records[0].state, claimed) == (JobState.SENDING, set())
        assert journal.elsewhere() == {job_id}
        child.kill()
        child.wait(timeout=60)
        records, claimed = journal.load(claim=lambda _: True)
        assert (records[0].state, claimed) == (JobState.INTERRUPTED, {job_id})
        assert journal.elsewhere() == set()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=60)
        if child.stdin is not None:
            child.stdin.close()
        if child.stdout is not None:
            child.stdout.close()


# --- Files that are not ours to write -------------------------------------------------------------


def corrupt(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "random":
        path.write_bytes(random.Random(5).randbytes(8_192))
    else:
        path.write_text("job 1: pending\njob 2: done\n" * 40)


@pytest.mark.parametrize("kind", ["random", "text"])
def test_a_corrupt_file_is_refused_naming_it_and_left_as_it_is(path: Path, kind: str) -> None:
    corrupt(path, kind)
    before = path.read_bytes()
    with pytest.raises(JournalError) as raised:
        Journal.open(path)
    assert str(path) in raised.value.message
    assert "cannot be used" in raised.value.message
    assert path.read_bytes() == before
    assert siblings(path) == []


@pytest.mark.parametrize("kind", ["random", "text"])
async def test_the_writer_carries_on_in_memory_beside_a_corrupt_file(path: Path, kind: str) -> None:
    corrupt(path, kind)
    before = file_bytes(path)
    told: list[str] = []
    writer = JournalWriter(path, on_error=told.append)
    try:
        assert await writer.load(lambda _: True) == ([], set())
        assert writer.in_memory
        assert writer.error is not None
        assert str(path) in writer.error
        assert told == [writer.error]
        assert [await writer.create(record()) for _ in range(3)] == [1, 2, 3]
        await writer.save(record(state=JobState.DONE), Attempt(1.0, "submit", "x", 200, 0.1))
        await writer.remove([1])
        assert told == [writer.error]
    finally:
        writer.close()
    assert file_bytes(path) == before
    assert siblings(path) == []


def foreign_database(path: Path, user_version: int = 0, wal: bool = False) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    if wal:
        connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    connection.execute("INSERT INTO notes (text) VALUES ('keep me')")
    connection.execute(f"PRAGMA user_version = {user_version}")
    connection.commit()
    connection.close()
    return path.read_bytes()


@pytest.mark.parametrize("wal", [False, True])
def test_another_programs_database_is_refused_and_untouched(path: Path, wal: bool) -> None:
    before = foreign_database(path, wal=wal)
    with pytest.raises(JournalError, match="not a cttui job journal") as raised:
        Journal.open(path)
    assert str(path) in raised.value.message
    assert path.read_bytes() == before
    assert siblings(path) == []
    assert raw(path, "SELECT text FROM notes") == [("keep me",)]


def test_another_programs_database_with_a_user_version_is_refused_and_untouched(
    path: Path, opened: list[Journal]
) -> None:
    # Many programs number their schema in user_version; 1 is this journal's current version.
    before = foreign_database(path, user_version=SCHEMA_VERSION)
    refused: str | None = None
    try:
        open_journal(path, opened).close()
    except JournalError as error:
        refused = error.message
    assert path.read_bytes() == before
    assert siblings(path) == []
    assert refused is not None
    assert "not a cttui job journal" in refused


def test_a_journal_from_a_newer_cttui_is_refused_and_untouched(
    path: Path, opened: list[Journal]
) -> None:
    journal = open_journal(path, opened)
    journal.create(record(state=JobState.PENDING, req_id="1"))
    journal.close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    before = path.read_bytes()
    assert siblings(path) == []
    with pytest.raises(JournalError, match="newer") as raised:
        Journal.open(path)
    assert str(path) in raised.value.message
    assert path.read_bytes() == before
    assert siblings(path) == []


def test_an_empty_file_becomes_a_journal(path: Path, opened: list[Journal]) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    journal = open_journal(path, opened)
    assert journal.create(record()) == 1
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]


# --- Migrations -----------------------------------------------------------------------------------


def test_a_journal_is_migrated_forward_keeping_its_jobs(
    path: Path, opened: list[Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = open_journal(path, opened)
    first = record(state=JobState.PENDING, req_id="11")
    first.id = journal.create(first)
    attempt = Attempt(1_000.0, "submit", "partial: req_id 11", 200, 0.5)
    first.attempts.append(attempt)
    journal.save(first.id, journal_rows.job_row(first), attempt)
    second = record(OTHER, state=JobState.DONE, count=3)
    second.id = journal.create(second)
    journal.close()

    step = "ALTER TABLE jobs ADD COLUMN note TEXT; CREATE TABLE extra (id INTEGER PRIMARY KEY)"
    monkeypatch.setattr(journal_schema, "MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr(journal_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    migrated = open_journal(path, opened)
    records, _ = migrated.load()
    assert [as_dict(job) for job in records] == [as_dict(first), as_dict(second)]
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]
    assert "note" in [column[1] for column in raw(path, "PRAGMA table_info(jobs)")]
    assert raw(path, "SELECT count(*) FROM extra") == [(0,)]
    # It still works after the migration, and a second open migrates nothing more.
    assert migrated.create(record()) == 3
    migrated.close()
    again = open_journal(path, opened)
    assert len(again.load()[0]) == 3
    again.close()
    # And the cttui that knows only the old schema now refuses the file.
    monkeypatch.undo()
    with pytest.raises(JournalError, match="newer"):
        Journal.open(path)


def test_a_new_journal_runs_every_migration(
    path: Path, opened: list[Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        journal_schema, "MIGRATIONS", (*MIGRATIONS, "ALTER TABLE jobs ADD COLUMN note TEXT")
    )
    monkeypatch.setattr(journal_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    journal = open_journal(path, opened)
    assert journal.create(record()) == 1
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]


def test_a_failing_migration_leaves_the_journal_at_its_version(
    path: Path, opened: list[Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = open_journal(path, opened)
    journal.create(record())
    journal.close()
    broken = "ALTER TABLE jobs ADD COLUMN note TEXT; THIS IS NOT SQL"
    monkeypatch.setattr(journal_schema, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(journal_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(JournalError, match="cannot be used"):
        Journal.open(path)
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert "note" not in [column[1] for column in raw(path, "PRAGMA table_info(jobs)")]
    assert raw(path, "SELECT count(*) FROM jobs") == [(1,)]


# --- Locks ----------------------------------------------------------------------------------------


@pytest.fixture
def locked(path: Path, opened: list[Journal]) -> Iterator[sqlite3.Connection]:
    """A journal in WAL mode with one job, held by another program's exclusive transaction."""
    journal = open_journal(path, opened)
    journal.create(record(state=JobState.PENDING, req_id="1"))
    journal.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


def test_a_locked_journal_is_reported_locked_naming_the_file(
    path: Path, opened: list[Journal], locked: sqlite3.Connection
) -> None:
    # Readers still get through to a WAL file, so the lock may only show when a claim needs to
    # write; either way it is a JournalError (which the command line reports as such), never a
    # bare sqlite3 error.
    with pytest.raises(JournalError, match="locked") as raised:
        open_journal(path, opened, busy_timeout=0.2).load(claim=lambda _: True)
    assert str(path) in raised.value.message


def test_a_locked_journal_can_still_be_listed(
    path: Path, opened: list[Journal], locked: sqlite3.Connection
) -> None:
    # `cttui jobs list` reads with no claim: nothing to write, and a WAL reader is never blocked
    # by a writer, so it neither waits nor fails.
    journal = open_journal(path, opened, busy_timeout=0.2)
    records, claimed = journal.load()
    assert ([job.req_id for job in records], claimed) == (["1"], set())
    assert journal.elsewhere() == set()


def test_a_journal_locked_before_it_is_in_wal_mode_fails_to_open(path: Path) -> None:
    path.parent.mkdir(parents=True)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        other.execute("CREATE TABLE placeholder (x)")
        with pytest.raises(JournalError, match="locked") as raised:
            Journal.open(path, busy_timeout=0.2)
        assert str(path) in raised.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_the_writer_reports_a_locked_journal_and_carries_on_in_memory(
    path: Path, locked: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Journal.open

    def quick_open(path: Path, *, busy_timeout: float = 0.2) -> Journal:
        return original(path, busy_timeout=busy_timeout)

    monkeypatch.setattr(Journal, "open", quick_open)
    told: list[str] = []
    writer = JournalWriter(path, on_error=told.append)
    try:
        assert await writer.load(lambda _: True) == ([], set())
        assert writer.error is not None
        assert "locked" in writer.error
        assert str(path) in writer.error
        assert told == [writer.error]
        assert await writer.create(record()) == 1
    finally:
        writer.close()
    locked.execute("ROLLBACK")
    assert raw(path, "SELECT count(*) FROM jobs") == [(1,)]


# --- The writer -----------------------------------------------------------------------------------


async def test_the_writer_keeps_jobs_in_the_file(path: Path) -> None:
    writer = JournalWriter(path)
    try:
        await writer.load()
        job = record()
        job.id = await writer.create(job)
        job.state = JobState.PENDING
        job.req_id = "8"
        attempt = Attempt(1_000.0, "submit", "partial: req_id 8", 200, 0.2)
        job.attempts.append(attempt)
        await writer.save(job, attempt)
        other = record()
        other.id = await writer.create(other)
        await writer.remove([other.id])
        assert not writer.in_memory
        assert writer.error is None
    finally:
        writer.close()
    journal = Journal.open(path)
    try:
        records, _ = journal.load()
    finally:
        journal.close()
    assert [as_dict(loaded) for loaded in records] == [as_dict(job)]


async def test_the_writer_without_a_file_counts_ids_in_memory() -> None:
    writer = JournalWriter(None)
    try:
        assert await writer.create(record()) == 1
        assert await writer.load() == ([], set())
        assert await writer.create(record()) == 2
        await writer.save(record())
        await writer.remove([1])
        assert writer.in_memory
        assert writer.error is None
    finally:
        writer.close()


async def test_a_create_before_load_waits_for_it_and_takes_a_fresh_id(
    path: Path, opened: list[Journal]
) -> None:
    journal = open_journal(path, opened)
    for _ in range(2):
        journal.create(record(state=JobState.DONE))
    journal.close()
    writer = JournalWriter(path)
    try:
        early = asyncio.ensure_future(writer.create(record()))
        await asyncio.sleep(0)
        assert not early.done()
        records, _ = await writer.load()
        assert [job.id for job in records] == [1, 2]
        assert await asyncio.wait_for(early, timeout=60) == 3
    finally:
        writer.close()


async def test_a_write_failing_later_moves_the_writer_to_memory_once(path: Path) -> None:
    told: list[str] = []
    writer = JournalWriter(path, on_error=told.append)
    try:
        await writer.load()
        jobs = [record() for _ in range(3)]
        for job in jobs:
            job.id = await writer.create(job)
        assert [job.id for job in jobs] == [1, 2, 3]
        await writer.remove([3])
        # Another program breaks the file under it.
        other = sqlite3.connect(path)
        other.executescript("DROP TABLE attempts; DROP TABLE jobs;")
        other.close()
        jobs[0].state = JobState.PENDING
        attempt = Attempt(1.0, "submit", "partial: req_id 1", 200, 0.1)
        # Two writes in flight fail together: still one error, told once.
        await asyncio.gather(writer.save(jobs[0], attempt), writer.save(jobs[1]))
        assert writer.in_memory
        assert writer.error is not None
        assert str(path) in writer.error
        assert "no such table" in writer.error
        assert told == [writer.error]
        # Later calls do not raise, and ids carry on after the highest seen.
        assert await writer.create(record()) == 4
        await writer.save(jobs[0])
        await writer.remove([1, 2])
        assert await writer.create(record()) == 5
        assert told == [writer.error]
        # The file is not touched again: a table put back stays empty.
        other = sqlite3.connect(path)
        other.executescript(MIGRATIONS[0])
        other.close()
        await writer.create(record())
        await writer.save(jobs[0], attempt)
    finally:
        writer.close()
    assert raw(path, "SELECT count(*) FROM jobs") == [(0,)]
    assert raw(path, "SELECT count(*) FROM attempts") == [(0,)]
    assert told == [writer.error]


async def test_a_create_failing_later_carries_on_after_the_loaded_ids(
    path: Path, opened: list[Journal]
) -> None:
    journal = open_journal(path, opened)
    for _ in range(4):
        journal.create(record(state=JobState.DONE))
    journal.close()
    told: list[str] = []
    writer = JournalWriter(path, on_error=told.append)
    try:
        records, _ = await writer.load()
        assert [job.id for job in records] == [1, 2, 3, 4]
        other = sqlite3.connect(path)
        other.executescript("DROP TABLE attempts; DROP TABLE jobs;")
        other.close()
        # The first create after the failure already does not reuse an id the file had.
        assert await writer.create(record()) == 5
        assert writer.in_memory
        assert len(told) == 1
        assert await writer.create(record()) == 6
    finally:
        writer.close()


async def test_the_writer_tells_whether_another_connection_wrote(path: Path) -> None:
    """What the app's refresh each second asks before reading every job and count again: only
    another connection's writes (another cttui, a hand edit) count, never the writer's own."""
    writer = JournalWriter(path)
    try:
        await writer.load()
        assert not await writer.changed_elsewhere()  # nothing since the load
        job = record()
        job.id = await writer.create(job)
        job.state = JobState.PENDING
        await writer.save(job)
        assert not await writer.changed_elsewhere()
        other = Journal.open(path)
        try:
            other.create(record())
        finally:
            other.close()
        assert await writer.changed_elsewhere()
        assert not await writer.changed_elsewhere()
    finally:
        writer.close()


async def test_a_writer_without_a_file_has_nothing_changed_elsewhere() -> None:
    writer = JournalWriter(None)
    try:
        assert not await writer.changed_elsewhere()
    finally:
        writer.close()


# --- Listing -------------------------------------------------------------------------------------


def test_a_listing_reads_every_job_as_a_load_does_one_at_a_time(
    path: Path, opened: list[Journal]
) -> None:
    """`cttui jobs --json` streams the journal: its attempts, read beside the jobs in job order,
    must land on their own jobs however their writes interleaved, and a dead owner's job, a
    live one's and a job without requests read as `load()` and `elsewhere()` read them."""
    live = open_journal(path, opened)
    running = live.create(record(state=JobState.PENDING, req_id="7"))
    dead = open_journal(path, opened)
    ids = [dead.create(record(created=1_000.0 + n)) for n in range(4)]
    sending = dead.create(record(state=JobState.SENDING))
    for at, job_id in enumerate([ids[0], ids[2], ids[0], running, ids[2], ids[3], ids[0]]):
        attempt = Attempt(2_000.0 + at, "poll", f"answer {at}", 200, 0.1)
        target = live if job_id == running else dead
        target.save(job_id, {"polls": at}, attempt)
    dead.close()

    reader = Journal.open(path, read_only=True)
    opened.append(reader)
    listed = list(reader.listing())
    records, _ = reader.load()
    assert [as_dict(job) for job, _ in listed] == [as_dict(job) for job in records]
    assert [len(job.attempts) for job, _ in listed] == [1, 3, 0, 2, 1, 0]
    assert (
        [job.id for job, elsewhere in listed if elsewhere] == [running] == list(reader.elsewhere())
    )
    assert (listed[-1][0].id, listed[-1][0].state) == (sending, JobState.INTERRUPTED)


def test_a_load_of_unfinished_jobs_leaves_the_finished_out_but_the_req_ids(
    path: Path, opened: list[Journal]
) -> None:
    """`cttui count` from cron reads the jobs it may resume, and the one its `poll` names, not
    a year of finished runs; each with its own attempts, and the next job id after them all."""
    writer = open_journal(path, opened)
    states = [JobState.DONE, JobState.PENDING, JobState.FAILED, JobState.DONE, JobState.QUEUED]
    ids = [
        writer.create(record(state=state, req_id=f"r{n}", created=1_000.0 + n))
        for n, state in enumerate(states)
    ]
    for n, job_id in enumerate(ids * 2):
        writer.save(job_id, {"polls": n}, Attempt(2_000.0 + n, "poll", f"answer {n}", 200, 0.1))
    writer.create(record(state=JobState.CANCELLED))
    writer.close()

    reader = open_journal(path, opened)
    everything, _ = reader.load()
    records, claimed = reader.load(lambda _: True, finished=False, req_id="r3")
    assert [job.id for job in records] == [ids[1], ids[3], ids[4]]
    assert claimed == {ids[1], ids[4]}
    by_id = {job.id: job for job in everything}
    assert [job.attempts for job in records] == [by_id[job.id].attempts for job in records]
    assert [len(job.attempts) for job in records] == [2, 2, 2]
    assert [job.id for job in reader.load(finished=False)[0]] == [ids[1], ids[4]]
    assert reader.last_id() == len(states) + 1


def test_the_newest_finished_jobs_and_the_pages_before_them(
    path: Path, opened: list[Journal]
) -> None:
    """The app reads every unfinished job and the newest N finished ones; older pages come
    on request, each the newest `limit` before the oldest held, with their attempts."""
    writer = open_journal(path, opened)
    states = [JobState.DONE] * 6 + [JobState.PENDING] + [JobState.FAILED] * 3
    ids = [writer.create(record(state=s, created=1_000.0 + n)) for n, s in enumerate(states)]
    writer.save(ids[2], {"polls": 1}, Attempt(2_000.0, "poll", "answer", 200, 0.1))
    writer.close()
    reader = open_journal(path, opened)
    records, claimed = reader.load(lambda _: True, finished=4)
    # The newest 4 finished are 10, 9, 8 and 6; 7 is pending.
    assert [job.id for job in records] == ids[5:]
    assert claimed == {ids[6]}
    page = reader.older(ids[5], 3)
    assert [job.id for job in page] == ids[2:5]
    assert [len(job.attempts) for job in page] == [1, 0, 0]
    assert reader.finished_before(ids[2]) == 2
    assert [job.id for job in reader.older(ids[2], 10)] == ids[:2]
    assert reader.older(ids[0], 10) == []


def _open_at_once(paths: list[str], ready: object, problems: object) -> None:
    """One of several processes: for each path, wait for the others, then open the journal."""
    import multiprocessing.synchronize

    assert isinstance(ready, multiprocessing.synchronize.Barrier)
    for each in paths:
        ready.wait(timeout=120)
        try:
            Journal.open(Path(each)).close()
        except JournalError as error:
            problems.put(str(error))  # type: ignore[attr-defined]


def test_processes_creating_a_new_journal_at_once_all_open_it(tmp_path: Path) -> None:
    """A cron job and the app, or three `cttui count` started together, on a fresh machine: the
    first to open the file creates it, and the others wait for it rather than call it another
    program's database or give up on a lock they could have waited for."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    processes, rounds = 6, 25
    paths = [str(tmp_path / f"round-{n}" / "journal.sqlite3") for n in range(rounds)]
    ready, problems = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=_open_at_once, args=(paths, ready, problems))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    seen = []
    while not problems.empty():
        seen.append(problems.get())
    assert seen == []
    assert [worker.exitcode for worker in workers] == [0] * processes
    for each in paths:
        journal = Journal.open(Path(each))
        assert journal.load() == ([], set())
        assert journal.create(record()) == 1
        journal.close()
        assert raw(Path(each), "PRAGMA user_version") == [(SCHEMA_VERSION,)]


@pytest.mark.parametrize(
    "columns",
    [journal_rows.JOB_COLUMNS, journal_rows.ATTEMPT_COLUMNS, journal_rows.RUN_COLUMNS],
    ids=["jobs", "attempts", "favorite_counts"],
)
def test_sqlite_flags_exactly_the_rows_the_checks_refuse(
    columns: tuple[tuple[str, tuple[type, ...]], ...],
) -> None:
    """A long journal is checked in SQL (`damaged`), and only a flagged row in Python: so
    every value the Python checks refuse must be flagged, and no other, column by column."""
    values: list[object] = [
        None, 0, 1, -1, 2**62, -(2**62), 1.5, 5.0, -0.0, 1e300, float("inf"), float("-inf"),
        32_503_680_000, 32_503_680_001, 32_503_680_000.5, "", "x", "5", b"", b"x",
    ]  # fmt: skip
    names = [name.rstrip("?") for name, _ in columns]
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.execute(f"CREATE TABLE t ({', '.join(names)})")
    insert = f"INSERT INTO t VALUES ({', '.join('?' * len(names))})"  # noqa: S608 - ours
    good = {name.rstrip("?"): (1 if kinds != (str,) else "x") for name, kinds in columns}
    for name in names:
        for value in values:
            db.execute("DELETE FROM t")
            db.execute(insert, list({**good, name: value}.values()))
            read = db.execute(journal_rows.select(columns, "t")).fetchone()
            try:
                journal_rows.checked(read, columns, "here")
            except journal_rows.Unreadable:
                refused = True
            else:
                refused = False
            # Python's check alone, for the row as SQLite gave it back.
            alone = journal_rows._problem_in(read, journal_rows._checks(columns)) is not None
            assert (bool(read["damaged"]), refused) == (alone, alone), (name, value)
