"""A job in every state, on a clock that never moves: for the snapshot and the screenshot of the
job panel, which must come out the same every time."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any, cast

from textual.pilot import Pilot

from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.records import Attempt, JobRecord, JobState, Origin
from cttui.tui.app import CttuiApp
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.job_panel import JobPanel
from tests.apps import settle

NOW = datetime(2026, 11, 23, 10, 30, 0).timestamp()
ORIGIN = Origin("W9R-486-4W5Z", "https://in1.api.clevertap.com", "work")
NOVEMBER = DateRange(date(2026, 11, 1), date(2026, 11, 23))
YEAR = DateRange(date(2025, 11, 24), date(2026, 11, 23))


class FrozenClock:
    def now(self) -> float:
        return NOW

    async def sleep(self, seconds: float) -> None:
        raise AssertionError("nothing runs on a frozen clock")


class StillClock(FrozenClock):
    """Time stands still for what is shown, while sleeps are real: for screenshots of jobs that
    answer at once (a pending one would wait for ever)."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def every_state() -> list[JobRecord]:
    """Oldest first: one job per state, the newest a pending one three polls in."""
    amount = PropertyFilter.from_text("Amount", "greater_than", "49.5")
    ios = PropertyFilter.from_text("platform", "equals", "iOS")
    poll = Attempt(NOW - 140, "poll", "partial: req_id 384649162721759", 200, 0.21)
    return [
        JobRecord(
            1,
            ORIGIN,
            Query("Charged", NOVEMBER, (amount,)),
            JobState.DONE,
            count=4211,
            created=NOW - 3600,
            finished=NOW - 3591,
        ),
        JobRecord(
            2,
            ORIGIN,
            Query("Chargd", NOVEMBER),
            JobState.FAILED,
            error="Invalid event : Chargd",
            http_status=200,
            created=NOW - 3000,
            finished=NOW - 2999,
        ),
        JobRecord(
            3,
            ORIGIN,
            Query("App Launched", YEAR),
            JobState.CANCELLED,
            req_id="5",
            polls=4,
            created=NOW - 2400,
            finished=NOW - 2280,
        ),
        # Killed mid-POST 4 s after it started: its elapsed time stops there.
        JobRecord(
            4,
            ORIGIN,
            Query("App Launched", YEAR, (ios,)),
            JobState.INTERRUPTED,
            created=NOW - 1800,
            updated=NOW - 1796,
        ),
        JobRecord(5, ORIGIN, Query("Product Viewed", NOVEMBER), JobState.QUEUED, created=NOW - 2),
        JobRecord(6, ORIGIN, Query("Added To Cart", YEAR), JobState.SENDING, created=NOW - 1),
        JobRecord(
            7,
            ORIGIN,
            Query("Searched", YEAR),
            JobState.PENDING,
            req_id="938271650012",
            polls=1,
            created=NOW - 65,
            next_poll_at=NOW + 25,
        ),
        JobRecord(
            8,
            ORIGIN,
            Query("choseNewFavoriteFood", YEAR),
            JobState.PENDING,
            req_id="384649162721759",
            polls=3,
            created=NOW - 125,
            next_poll_at=NOW + 17,
            attempts=[poll],
        ),
    ]


async def show_every_state(pilot: Pilot[int]) -> None:
    """Put `every_state()` in the app's job list, as running here (7 in another cttui)."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    await settle(pilot, MainScreen)
    records = every_state()
    app.session.jobs.adopt(records, set(), {7})
    for job in app.session.jobs.jobs:
        if job.state in (JobState.QUEUED, JobState.SENDING, JobState.PENDING) and not job.elsewhere:
            # Never used: nothing runs on the frozen clock; the panel only asks if it has one.
            job.client = cast(Any, object())
    panel = app.screen.query_one(JobPanel)
    panel.table.focus()
    await settle(pilot, MainScreen, lambda: panel.table.row_count == len(records))
