"""A favourite with weeks of 7-day counts and a few 30-day ones behind it, on a clock that never
moves: for the chart's tests, its snapshots and its screenshot, which must come out the same
every time."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from cttui.api.models import DateRange, Query
from cttui.store.favorites_store import FavoritesStore
from cttui.store.journal_writer import JournalWriter
from cttui.store.paths import favorites_file
from tests.apps import TODAY, settle
from tests.saved_favorites import FAVORITES, press_f3, write_counts

BUYERS = FAVORITES[0]
SUNDAY = TODAY - timedelta(days=TODAY.weekday() + 1)
WEEKLY = [812, 845, 790, 901, 958, 1_004, 987, 1_120, 1_096, 1_187, 1_240, 1_315]
MONTHLY = [4_310, 4_875, 5_402]


def week(weeks_ago: int) -> DateRange:
    end = SUNDAY - timedelta(weeks=weeks_ago)
    return DateRange(end - timedelta(days=6), end)


def thirty_days(months_ago: int) -> DateRange:
    end = SUNDAY - timedelta(days=30 * months_ago)
    return DateRange(end - timedelta(days=29), end)


def counted_at(dates: DateRange, hour: int) -> float:
    """The morning after the range: when cron's `cttui run` counts it."""
    return datetime.combine(dates.end + timedelta(days=1), datetime.min.time()).timestamp() + (
        hour * 3_600
    )


# Oldest first; a count of the query the favourite held before comes first, and is not drawn.
COUNTS: list[tuple[DateRange, int, float]] = sorted(
    [(week(11 - n), count, counted_at(week(11 - n), 7)) for n, count in enumerate(WEEKLY)]
    + [
        (thirty_days(2 - n), count, counted_at(thirty_days(2 - n), 8))
        for n, count in enumerate(MONTHLY)
    ],
    key=lambda entry: entry[2],
)
EARLIER_QUERY = Query("Charged", week(12))
# The jobs whose counts these are: the newest few are still in the job list, the others were
# removed from it (their counts outlive them).
KEPT = 3


def save_chart_history(journal: Path, kept: int = KEPT) -> list[int]:
    """BUYERS alone in favorites.toml and COUNTS in `journal`; the job ids, oldest first."""
    FavoritesStore(favorites_file()).save(BUYERS)
    return asyncio.run(_seed(journal, kept))


async def _seed(journal: Path, kept: int) -> list[int]:
    writer = JournalWriter(journal)
    await writer.load()
    earlier = counted_at(EARLIER_QUERY.date_range, 7)
    counts = [(EARLIER_QUERY, 700, earlier)] + [
        (replace(BUYERS.query(TODAY), date_range=dates), count, at) for dates, count, at in COUNTS
    ]
    ids = await write_counts(writer, BUYERS.name, counts)
    await writer.remove(ids[: len(ids) - kept])
    writer.close()
    return ids[1:]


async def show_chart(pilot: Pilot[int]) -> None:
    """F3, then g on the weekly buyers: their chart, the newest count highlighted."""
    from cttui.tui.screens.chart import ChartScreen

    await press_f3(pilot, 1)
    await pilot.press("g")
    await settle(pilot, ChartScreen)
