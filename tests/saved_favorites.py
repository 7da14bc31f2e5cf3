"""Favourites with months of counts behind them, on a clock that never moves: for the snapshot
and the screenshot of the favourites screen, which must come out the same every time."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from cttui.api.models import DateRange, PropertyFilter, Query
from cttui.api.operators import Operator
from cttui.api.ranges import RangePreset
from cttui.records import JobRecord, JobState
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.journal_writer import JournalWriter
from cttui.store.paths import favorites_file
from cttui.tui.app import CttuiApp
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from tests.apps import settle
from tests.job_states import NOW, ORIGIN

DAY = 86_400.0
FAVORITES = (
    Favorite(
        "Weekly buyers",
        "Charged",
        (PropertyFilter("Amount", Operator.GREATER_THAN, 100),),
        RangePreset.LAST_7_DAYS,
        notes="Big spenders, for the Monday growth review.",
    ),
    Favorite(
        "iOS launches",
        "App Launched",
        (PropertyFilter("platform", Operator.EQUALS, "iOS"),),
        RangePreset.YESTERDAY,
        profile="work",
    ),
    Favorite(
        "Cart adds, Black Friday",
        "Added To Cart",
        (),
        DateRange(date(2025, 11, 28), date(2025, 11, 30)),
    ),
    Favorite("Product views", "Product Viewed", (), RangePreset.THIS_MONTH),
    Favorite(
        "Pizza lovers",
        "choseNewFavoriteFood",
        (PropertyFilter("value", Operator.CONTAINS, "piz"),),
        RangePreset.LAST_30_DAYS,
    ),
)
# Oldest first: one count a week for the buyers, one a day for the launches.
HISTORY = {
    "Weekly buyers": [
        (NOW - (11 - week) * 7 * DAY - 3_600, count)
        for week, count in enumerate(
            [812, 845, 790, 901, 958, 1_004, 987, 1_120, 1_096, 1_187, 1_240, 1_315]
        )
    ],
    "iOS launches": [
        (NOW - (9 - day) * DAY - 600, count)
        for day, count in enumerate(
            [5_210, 5_388, 4_902, 4_655, 5_731, 6_012, 5_874, 6_240, 6_105, 6_398]
        )
    ],
    "Cart adds, Black Friday": [(NOW - 360 * DAY, 2_945)],
}


def save_favorites(journal: Path) -> None:
    """FAVORITES in favorites.toml, and HISTORY in `journal` (its jobs removed again: a
    favourite's counts outlive them)."""
    store = FavoritesStore(favorites_file())
    for favorite in FAVORITES:
        store.save(favorite)
    asyncio.run(_seed(journal))


async def _seed(journal: Path) -> None:
    writer = JournalWriter(journal)
    await writer.load()
    ids = []
    for favorite in FAVORITES:
        counts = [
            (favorite.query(date.fromtimestamp(at)), count, at)
            for at, count in HISTORY.get(favorite.name, [])
        ]
        ids += await write_counts(writer, favorite.name, counts)
    await writer.remove(ids)
    writer.close()


async def write_counts(
    writer: JournalWriter, name: str, counts: list[tuple[Query, int, float]]
) -> list[int]:
    """A done job of favourite `name` for each query, count and time it was counted; their ids."""
    ids = []
    for query, count, at in counts:
        record = JobRecord(
            0, ORIGIN, query, JobState.DONE, count=count, created=at - 4, finished=at, favorite=name
        )
        record.id = await writer.create(record)
        await writer.save(record)
        ids.append(record.id)
    return ids


async def show_favorites(pilot: Pilot[int]) -> None:
    """F3, with the pizza lovers marked and the cursor on the weekly buyers."""
    await press_f3(pilot, len(FAVORITES))
    await pilot.press(*["down"] * (len(FAVORITES) - 1), "space", *["up"] * len(FAVORITES))
    await settle(pilot, FavoritesScreen)


async def press_f3(pilot: Pilot[int], rows: int) -> None:
    """From the editor to the favourites, once their `rows` rows and their history are read."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    await settle(pilot, MainScreen)
    await pilot.press("f3")
    await settle(
        pilot,
        FavoritesScreen,
        lambda: (
            app.screen.query_one("#favorites-table", DataTable).row_count == rows
            and bool(app.session.journal.history())
        ),
    )
