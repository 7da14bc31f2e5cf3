"""A favourite's counts over time, in the journal: a job run for a favourite adds its count when it
is done (and only then), the count outlives the job, follows a rename and goes with a delete; the
writer's copy matches the file, and carries on in memory without one; a schema-1 journal is
migrated to hold it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest

from cttui.api.client import CleverTapClient, Credentials
from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.operators import Operator
from cttui.jobs import Job, JobManager
from cttui.pacing import RetryPolicy
from cttui.records import FavoriteRun, JobRecord, JobState, Origin
from cttui.store.favorites import query_key
from cttui.store.journal import Journal
from cttui.store.journal_schema import MIGRATIONS, SCHEMA_VERSION
from cttui.store.journal_writer import JournalWriter

WEEK = DateRange(date(2026, 1, 5), date(2026, 1, 11))
MONTH = DateRange(date(2025, 12, 1), date(2025, 12, 31))
QUERY = Query("Charged", WEEK, (PropertyFilter("Amount", Operator.GREATER_THAN, 100),))
# What each count of QUERY says it counted, whatever its dates.
KEY = query_key(QUERY.event_name, QUERY.filters)
BASE_URL = "https://in1.api.clevertap.com"
START = 1_000.0
# On a CleverTap host a pending job polls 30 s after its POST: a job partial once ends then.
POLLED = START + 30.0

Answer = Callable[[httpx.Request], httpx.Response]


def counts(count: int) -> Answer:
    """Partial on the POST, the count on the first poll."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"status": "partial", "req_id": 77})
        return httpx.Response(200, json={"status": "success", "count": count})

    return answer


COUNTS = counts(7_138)


def pending(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "partial", "req_id": 77})


def refused(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"status": "fail", "error": "Invalid Credentials"})


class SteppingClock:
    """Virtual time: a sleep moves it on and returns at once, so every timestamp is exact; while
    `held`, a sleep lasts until it is cancelled, keeping a job pending for as long as needed."""

    def __init__(self) -> None:
        self._now = START
        self.held = False

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if self.held:
            await asyncio.get_running_loop().create_future()
        self._now += max(seconds, 0.0)
        await asyncio.sleep(0)


@dataclass
class Runner:
    """A JobManager over a JournalWriter, answering from `answer`."""

    writer: JournalWriter
    clock: SteppingClock
    answer: Answer = field(default=COUNTS)
    manager: JobManager = field(init=False)
    client: CleverTapClient = field(init=False)
    changed: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.client = CleverTapClient(
            Credentials("TEST-ACC-0001", "secret-passcode"),
            BASE_URL,
            transport=httpx.MockTransport(self._respond),
        )
        self.manager = JobManager(
            clock=self.clock, retry=RetryPolicy(attempts=2), recorder=self.writer
        )
        self.manager.subscribe(lambda _: self.changed.set())

    def _respond(self, request: httpx.Request) -> httpx.Response:
        # Looked up on each request: a test changes `answer` between jobs.
        return self.answer(request)

    async def add(self, favorite: str | None, query: Query = QUERY) -> Job:
        origin = Origin(self.client.account_id, self.client.base_url, "work")
        return await self.manager.add(origin, self.client, query, favorite=favorite)

    async def run(self, favorite: str | None, query: Query = QUERY) -> Job:
        job = await self.add(favorite, query)
        return await asyncio.wait_for(self.manager.run(job), timeout=60)

    async def until(self, job: Job, state: JobState) -> None:
        """Wait until the manager has recorded `job` in `state` (it tells only after that)."""
        while job.state is not state:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), timeout=60)


MakeRunner = Callable[..., Awaitable[Runner]]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
async def make_runner() -> AsyncIterator[MakeRunner]:
    made: list[Runner] = []

    async def build(journal: Path | None, answer: Answer = COUNTS) -> Runner:
        writer = JournalWriter(journal)
        await writer.load(lambda _: True)
        runner = Runner(writer, SteppingClock(), answer)
        made.append(runner)
        return runner

    yield build
    for runner in made:
        await runner.manager.close()
        await runner.client.aclose()
        runner.writer.close()


def file_history(path: Path) -> dict[str, list[FavoriteRun]]:
    journal = Journal.open(path)
    try:
        return journal.history()
    finally:
        journal.close()


def file_jobs(path: Path) -> list[JobRecord]:
    journal = Journal.open(path)
    try:
        return journal.load()[0]
    finally:
        journal.close()


def raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# --- A count joins the history --------------------------------------------------------------------


async def test_a_favourites_job_adds_its_count_when_done(
    path: Path, make_runner: MakeRunner
) -> None:
    runner = await make_runner(path)
    job = await runner.run("Weekly")
    assert (job.state, job.count, job.finished) == (JobState.DONE, 7_138, POLLED)
    first = FavoriteRun(job.id, POLLED, 7_138, date(2026, 1, 5), date(2026, 1, 11), KEY)
    assert runner.writer.history() == {"Weekly": [first]}

    runner.answer = counts(7_200)
    plain = await runner.run(None)
    runner.answer = counts(31)
    month = await runner.run("Weekly", Query("Charged", MONTH))
    assert (plain.state, month.state) == (JobState.DONE, JobState.DONE)
    # Another query (no filter) counted for the same favourite: its count says so.
    other = query_key("Charged", ())
    second = FavoriteRun(month.id, POLLED + 60.0, 31, date(2025, 12, 1), date(2025, 12, 31), other)
    assert runner.writer.history() == {"Weekly": [first, second]}
    runner.writer.close()

    # Reopened from the file, as the next cttui reads it.
    assert file_history(path) == {"Weekly": [first, second]}
    assert [(record.id, record.favorite) for record in file_jobs(path)] == [
        (job.id, "Weekly"),
        (plain.id, None),
        (month.id, "Weekly"),
    ]


async def test_a_count_is_kept_once_however_often_its_job_is_saved(
    path: Path, make_runner: MakeRunner
) -> None:
    runner = await make_runner(path)
    job = await runner.run("Weekly")
    await runner.writer.save(job)
    await runner.writer.save(job)
    assert len(runner.writer.history()["Weekly"]) == 1
    runner.writer.close()
    assert len(file_history(path)["Weekly"]) == 1


async def test_failed_and_cancelled_jobs_add_nothing(path: Path, make_runner: MakeRunner) -> None:
    runner = await make_runner(path, refused)
    failed = await runner.run("Weekly")
    assert (failed.state, failed.http_status) == (JobState.FAILED, 401)

    runner.answer = pending
    runner.clock.held = True
    waiting = await runner.add("Weekly")
    runner.manager.start(waiting)
    await runner.until(waiting, JobState.PENDING)
    # Pending is not a count either.
    assert runner.writer.history() == {}
    assert await runner.manager.cancel(waiting)
    assert waiting.state is JobState.CANCELLED

    assert runner.writer.history() == {}
    assert runner.writer.error is None
    runner.writer.close()
    assert file_history(path) == {}
    assert raw(path, "SELECT count(*) FROM favorite_counts") == [(0,)]
    assert [(record.state, record.favorite) for record in file_jobs(path)] == [
        (JobState.FAILED, "Weekly"),
        (JobState.CANCELLED, "Weekly"),
    ]


async def test_a_count_outlives_its_job(path: Path, make_runner: MakeRunner) -> None:
    runner = await make_runner(path)
    job = await runner.run("Weekly")
    kept = {"Weekly": [FavoriteRun(job.id, POLLED, 7_138, WEEK.start, WEEK.end, KEY)]}
    await runner.manager.remove([job])
    assert runner.manager.jobs == []
    assert runner.writer.history() == kept
    runner.writer.close()
    assert file_jobs(path) == []
    assert file_history(path) == kept


# --- Rename and delete ----------------------------------------------------------------------------


async def test_a_rename_moves_the_jobs_and_the_history(path: Path, make_runner: MakeRunner) -> None:
    runner = await make_runner(path)
    weekly = await runner.run("Weekly")
    runner.answer = counts(5)
    monthly = await runner.run("Monthly", Query("Charged", MONTH))
    before = runner.writer.history()
    moved, stayed = list(before["Weekly"]), list(before["Monthly"])

    await runner.writer.rename_favorite("Weekly", "Weekly buyers")
    assert runner.writer.history() == {"Weekly buyers": moved, "Monthly": stayed}
    # A name without history, and a name kept as it is, change nothing.
    await runner.writer.rename_favorite("Nobody", "Somebody")
    await runner.writer.rename_favorite("Monthly", "Monthly")
    assert runner.writer.history() == {"Weekly buyers": moved, "Monthly": stayed}
    assert runner.writer.error is None
    runner.writer.close()

    assert file_history(path) == {"Weekly buyers": moved, "Monthly": stayed}
    assert [(record.id, record.favorite) for record in file_jobs(path)] == [
        (weekly.id, "Weekly buyers"),
        (monthly.id, "Monthly"),
    ]


async def test_a_rename_onto_a_name_with_history_keeps_both_in_time_order(
    path: Path, make_runner: MakeRunner
) -> None:
    runner = await make_runner(path)
    old = await runner.run("Old")
    runner.answer = counts(2)
    new = await runner.run("New")
    runner.answer = counts(3)
    later = await runner.run("Old")
    await runner.writer.rename_favorite("Old", "New")
    order = [old.id, new.id, later.id]
    assert [run.job_id for run in runner.writer.history()["New"]] == order
    assert list(runner.writer.history()) == ["New"]
    runner.writer.close()
    assert [run.job_id for run in file_history(path)["New"]] == order


async def test_a_deleted_favourite_takes_its_history_and_leaves_its_jobs(
    path: Path, make_runner: MakeRunner
) -> None:
    runner = await make_runner(path)
    weekly = await runner.run("Weekly")
    runner.answer = counts(5)
    monthly = await runner.run("Monthly", Query("Charged", MONTH))
    stayed = list(runner.writer.history()["Monthly"])

    await runner.writer.forget_favorite("Weekly")
    assert runner.writer.history() == {"Monthly": stayed}
    runner.writer.close()

    assert file_history(path) == {"Monthly": stayed}
    records = file_jobs(path)
    assert [(record.id, record.favorite, record.count) for record in records] == [
        (weekly.id, None, 7_138),
        (monthly.id, "Monthly", 5),
    ]


async def test_a_new_favourite_of_a_deleted_name_starts_without_history(
    path: Path, make_runner: MakeRunner
) -> None:
    runner = await make_runner(path)
    await runner.run("Weekly")
    await runner.writer.forget_favorite("Weekly")
    runner.answer = counts(9)
    again = await runner.run("Weekly")
    assert runner.writer.history() == {
        "Weekly": [FavoriteRun(again.id, POLLED + 30.0, 9, WEEK.start, WEEK.end, KEY)]
    }
    runner.writer.close()
    assert file_history(path) == {
        "Weekly": [FavoriteRun(again.id, POLLED + 30.0, 9, WEEK.start, WEEK.end, KEY)]
    }


# --- The writer's copy ----------------------------------------------------------------------------


async def test_the_writers_history_is_the_files(path: Path, make_runner: MakeRunner) -> None:
    first = await make_runner(path)
    await first.run("Weekly")
    first.answer = counts(5)
    await first.run("Monthly", Query("Charged", MONTH))
    first.writer.close()
    on_file = file_history(path)
    assert sorted(on_file) == ["Monthly", "Weekly"]

    # The next cttui reads it back, and adds to it.
    second = await make_runner(path, counts(11))
    assert second.writer.history() == on_file
    added = await second.run("Weekly")
    assert added.id == 3
    assert [run.count for run in second.writer.history()["Weekly"]] == [7_138, 11]
    second.writer.close()
    assert file_history(path) == second.writer.history()


async def test_a_reload_takes_what_another_process_added_renamed_and_forgot(
    path: Path, make_runner: MakeRunner
) -> None:
    app = await make_runner(path)
    await app.run("Weekly")
    await app.run("Old")
    assert await app.writer.reload_history() is False  # nothing new on the file

    # Another cttui on the same journal: cron's `cttui run`, or a second window.
    cron = await make_runner(path, counts(5))
    added = await cron.run("Weekly")
    await cron.writer.rename_favorite("Old", "New")
    assert await app.writer.reload_history() is True
    assert [run.count for run in app.writer.history()["Weekly"]] == [7_138, 5]
    assert app.writer.history()["Weekly"][-1].job_id == added.id
    assert "Old" not in app.writer.history()
    await cron.writer.forget_favorite("Weekly")
    assert await app.writer.reload_history() is True
    assert list(app.writer.history()) == ["New"]
    assert app.writer.history() == file_history(path)


async def test_a_reload_without_a_file_keeps_the_counts_in_memory(
    path: Path, make_runner: MakeRunner
) -> None:
    corrupt(path)
    runner = await make_runner(path)
    await runner.run("Weekly")
    assert await runner.writer.reload_history() is False
    assert [run.count for run in runner.writer.history()["Weekly"]] == [7_138]


@pytest.mark.parametrize("broken", [True, False], ids=["broken file", "no file"])
async def test_the_writer_keeps_the_history_in_memory_without_a_file(
    path: Path, make_runner: MakeRunner, broken: bool
) -> None:
    before = corrupt(path) if broken else None
    runner = await make_runner(path if broken else None)
    assert runner.writer.in_memory
    assert (runner.writer.error is not None) == broken

    weekly = await runner.run("Weekly")
    runner.answer = counts(5)
    monthly = await runner.run("Monthly")
    assert runner.writer.history() == {
        "Weekly": [FavoriteRun(weekly.id, POLLED, 7_138, WEEK.start, WEEK.end, KEY)],
        "Monthly": [FavoriteRun(monthly.id, POLLED + 30.0, 5, WEEK.start, WEEK.end, KEY)],
    }
    await runner.writer.rename_favorite("Weekly", "Weekly buyers")
    await runner.writer.forget_favorite("Monthly")
    assert runner.writer.history() == {
        "Weekly buyers": [FavoriteRun(weekly.id, POLLED, 7_138, WEEK.start, WEEK.end, KEY)]
    }
    assert contents(path) == before


def corrupt(path: Path) -> bytes:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, " * 100)
    return path.read_bytes()


def contents(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


# --- Migration ------------------------------------------------------------------------------------


def version_1_journal(path: Path) -> None:
    path.parent.mkdir(parents=True)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(MIGRATIONS[0])
        connection.execute("PRAGMA user_version = 1")
        connection.execute(
            "INSERT INTO jobs (created, updated, profile, account_id, base_url, body, state, "
            "req_id, count, polls, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                900.0,
                930.0,
                "work",
                "TEST-ACC-0001",
                BASE_URL,
                QUERY.to_json(),
                "done",
                "77",
                42,
                1,
                930.0,
            ),
        )
        connection.execute(
            "INSERT INTO attempts (job_id, at, kind, answer, http_status, seconds) "
            "VALUES (1, 900.0, 'submit', 'partial: req_id 77', 200, 0.5)"
        )
        connection.commit()
    finally:
        connection.close()


def test_a_schema_1_journal_is_migrated_keeping_its_jobs(path: Path) -> None:
    version_1_journal(path)
    journal = Journal.open(path)
    try:
        [old], _ = journal.load()
        assert (old.id, old.state, old.count, old.req_id) == (1, JobState.DONE, 42, "77")
        assert old.query == QUERY
        assert old.origin == Origin("TEST-ACC-0001", BASE_URL, "work")
        assert [attempt.kind for attempt in old.attempts] == ["submit"]
        assert old.favorite is None
        assert journal.history() == {}
    finally:
        journal.close()
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert "favorite" in [column[1] for column in raw(path, "PRAGMA table_info(jobs)")]
    assert raw(path, "SELECT count(*) FROM favorite_counts") == [(0,)]


async def test_a_migrated_journal_takes_favourite_counts(
    path: Path, make_runner: MakeRunner
) -> None:
    version_1_journal(path)
    runner = await make_runner(path)
    job = await runner.run("Weekly")
    assert job.id == 2
    runner.writer.close()
    kept = FavoriteRun(2, POLLED, 7_138, WEEK.start, WEEK.end, KEY)
    assert file_history(path) == {"Weekly": [kept]}
    assert [(record.id, record.favorite) for record in file_jobs(path)] == [
        (1, None),
        (2, "Weekly"),
    ]
