"""A series in the session: each period a job through the gate, counted once, resumed after a
stop, asked again on --refresh. Real loopback HTTP to the emulator, journals on disk."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import date
from pathlib import Path

import httpx

from cttui.api.models import DateRange, Query
from cttui.api.periods import Every
from cttui.emulator import Emulator
from cttui.records import JobState
from cttui.session.changes import Change, JobChanged
from cttui.session.core import Session
from cttui.session.series import Series, SeriesRequest, start_series
from cttui.session.setup import SessionSetup
from cttui.store.config import Config
from cttui.store.credentials import CredentialStore, SessionPasscodes
from cttui.store.favorites import Favorite
from tests.conftest import DEFAULTS
from tests.fakeclock import FakeClock
from tests.test_jobs import Server
from tests.test_session import session_on

WEEKLY = Favorite("weekly buyers", "Charged", ())


def environ(emulator: Emulator) -> dict[str, str]:
    return {
        "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
        "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        "CTTUI_BASE_URL": emulator.base_url,
    }


def session_at(emulator: Emulator, journal: Path) -> Session:
    return session_on(
        environ=environ(emulator), journal=journal, today=emulator.config.resolved_today()
    )


async def settled(session: Session, series: Series, limit: float = 60) -> None:
    """Wait, bounded, until every point of `series` is settled and told of (a job's state
    changes a moment before the journal has it)."""
    done = asyncio.Event()
    told: set[int] = set()

    def heard(change: Change | None) -> None:
        if isinstance(change, JobChanged) and change.job.state.finished:
            told.add(change.job.id)
        points = series.points
        if all(point.settled and (point.job is None or point.job.id in told) for point in points):
            done.set()

    session.subscribe(heard)
    for point in series.points:
        if point.job is not None and point.job.state.finished:
            told.add(point.job.id)
    heard(None)
    try:
        async with asyncio.timeout(limit):
            await done.wait()
    finally:
        session.unsubscribe(heard)


async def filled(emulator: Emulator, journal: Path, request: SeriesRequest) -> Series:
    """`request` counted to its end by a session of its own, closed after."""
    session = session_at(emulator, journal)
    try:
        await session.adopt_journal()
        series = await start_series(session, request)
        await settled(session, series)
    finally:
        await session.close()
    return series


def posted_ranges(emulator: Emulator) -> list[tuple[str, str]]:
    found = []
    for request in emulator.requests:
        if request.method == "POST":
            body = json.loads(request.body)
            found.append((str(body["from"]), str(body["to"])))
    return found


def weeks(last: int = 12, **options: object) -> SeriesRequest:
    query = WEEKLY.query(date(2026, 1, 1))
    return SeriesRequest(query, Every.WEEK, last, favorite=WEEKLY, **options)  # type: ignore[arg-type]


async def test_twelve_weeks_are_twelve_jobs_through_the_gate_each_kept_by_its_dates(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.reset_log()
    session = session_at(emulator, tmp_path / "journal.sqlite3")
    try:
        await session.adopt_journal()
        series = await start_series(session, weeks())
        await settled(session, series)
        assert [point.job.state for point in series.points if point.job] == [JobState.DONE] * 12
        assert series.asked == 12
        assert series.saved == 0
        posted = posted_ranges(emulator)
        assert len(posted) == 12
        assert len(set(posted)) == 12
        assert emulator.max_in_flight <= 3
        history = session.favorites.history()[WEEKLY.name]
        kept = {(run.start, run.end): run.count for run in history}
        assert kept == {
            (point.period.dates.start, point.period.dates.end): point.count
            for point in series.points
        }
        assert series.points[-1].period.current
    finally:
        await session.close()


async def test_the_same_series_again_asks_only_for_the_period_under_way(
    emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    await filled(emulator, journal, weeks())
    emulator.reset_log()
    again = session_at(emulator, journal)
    try:
        await again.adopt_journal(finished=False)
        series = await start_series(again, weeks())
        await settled(again, series)
        assert series.saved == 11
        assert series.asked == 1
        assert [point.known is None for point in series.points] == [False] * 11 + [True]
        assert len(posted_ranges(emulator)) == 1
        # Refresh: every one is asked again.
        emulator.reset_log()
        fresh = await start_series(again, weeks(refresh=True))
        await settled(again, fresh)
        assert fresh.saved == 0
        assert len(posted_ranges(emulator)) == 12
    finally:
        await again.close()


async def test_a_query_of_the_command_line_reuses_the_done_jobs_of_its_account(
    emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    query = Query("App Launched", DateRange(date(2026, 1, 1), date(2026, 1, 1)))
    request = SeriesRequest(query, Every.DAY, 5, current=False)
    counts = [point.count for point in (await filled(emulator, journal, request)).points]
    assert None not in counts
    again = session_at(emulator, journal)
    try:
        await again.adopt_journal(finished=False)
        series = await start_series(again, request)
        assert series.saved == 5
        assert [point.count for point in series.points] == counts
    finally:
        await again.close()


async def test_pending_points_resume_with_their_req_ids_in_the_next_series(
    partial_emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    first = session_at(partial_emulator, journal)
    try:
        await first.adopt_journal()
        series = await start_series(first, weeks(4))
        waiting = asyncio.Event()

        def heard(_: Change) -> None:
            if all(point.job and point.job.req_id for point in series.points):
                waiting.set()

        first.subscribe(heard)
        async with asyncio.timeout(60):
            await waiting.wait()
        req_ids = {point.period.dates: point.job.req_id for point in series.points if point.job}
        ids = {point.period.dates: point.job_id for point in series.points}
    finally:
        # Stopped, not cancelled: the pending jobs stay pending in the journal.
        await first.close()
    partial_emulator.reset_log()
    again = session_at(partial_emulator, journal)
    try:
        await again.adopt_journal(finished=False)
        series = await start_series(again, weeks(4))
        assert series.resumed == 4
        assert series.asked == 0
        await settled(again, series)
        assert all(point.count is not None for point in series.points)
        assert {point.period.dates: point.job_id for point in series.points} == ids
        assert {point.period.dates: point.job.req_id for point in series.points if point.job} == (
            req_ids
        )
        assert posted_ranges(partial_emulator) == []
    finally:
        await again.close()


def clocked_session(clock: FakeClock, server: Server) -> Session:
    """A session on CleverTap's own host (the 30 s rule holds) over an in-memory transport,
    with virtual time; no journal file."""
    setup = SessionSetup(
        CredentialStore(None, SessionPasscodes(), Config()),
        {
            "CLEVERTAP_ACCOUNT_ID": "TEST-ACC-0001",
            "CLEVERTAP_PASSCODE": "p",
            "CLEVERTAP_REGION": "eu1",
        },
        poll_interval=30.0,
        today=lambda: date(2026, 12, 2),
        clock=clock,
        transport=httpx.MockTransport(server.handle),
    )
    return Session(setup)


async def test_on_a_fake_clock_a_series_keeps_the_gate_and_the_30_s_rule() -> None:
    """Every POST answers partial after 5 s; each req_id is done at its second poll."""
    clock = FakeClock()
    polls: dict[str, int] = {}
    ids = iter(range(1000, 2000))

    def answer(request: httpx.Request) -> tuple[int, dict[str, object]]:
        if request.method == "POST":
            return 200, {"status": "partial", "req_id": next(ids)}
        req_id = request.url.params["req_id"]
        polls[req_id] = polls.get(req_id, 0) + 1
        if polls[req_id] < 2:
            return 200, {"status": "partial", "req_id": int(req_id)}
        return 200, {"status": "success", "count": int(req_id) - 1000}

    server = Server(clock, answer, latency=5.0)
    session = clocked_session(clock, server)
    try:
        series = await start_series(session, weeks())
        await clock.run_until(lambda: all(point.settled for point in series.points))
        assert [point.count is not None for point in series.points] == [True] * 12
        assert server.posts == 12
        assert server.max_in_flight <= 3
        for point in series.points:
            assert point.job is not None
            asked = [a.at for a in point.job.attempts]
            assert all(later - earlier >= 30 for earlier, later in itertools.pairwise(asked[1:]))
        # Again: only the week under way is asked; with refresh, every one.
        again = await start_series(session, weeks())
        assert (again.saved, again.asked) == (11, 1)
        await clock.run_until(lambda: all(point.settled for point in again.points))
        fresh = await start_series(session, weeks(refresh=True))
        assert (fresh.saved, fresh.asked) == (0, 12)
        await clock.run_until(lambda: all(point.settled for point in fresh.points))
        assert server.posts == 12 + 1 + 12
    finally:
        await session.close()
