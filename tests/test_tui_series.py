"""A series from the app: s on a favourite, ctrl+t in the editor; the form, its checks, and the
counts arriving in the favourite's history. Pilot, against the emulator over loopback."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Static

from cttui.api.periods import Every, periods
from cttui.emulator import Emulator
from cttui.store.favorites import Favorite
from cttui.store.paths import favorites_file
from cttui.tui.screens.chart import ChartScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.series_form import SeriesFormScreen
from cttui.tui.widgets.job_panel import JobPanel
from cttui.tui.widgets.query_editor import QueryEditor
from tests.apps import TODAY, settle, until
from tests.conftest import partial_config
from tests.test_tui_favorites import app_on, cell, open_favorites, saved

SIZE = (80, 24)
WEEKLY = Favorite("Weekly buyers", "Charged", ())


def history_of(app: object, name: str) -> dict[tuple[str, str], int]:
    runs = app.session.favorites.history().get(name, ())  # type: ignore[attr-defined]
    return {(run.start.isoformat(), run.end.isoformat()): run.count for run in runs}


async def open_form(pilot: Pilot[int]) -> SeriesFormScreen:
    """s on the favourites screen (on its first favourite): the form, ready."""
    await open_favorites(pilot)
    await pilot.press("s")
    await settle(pilot, SeriesFormScreen)
    form = pilot.app.screen
    assert isinstance(form, SeriesFormScreen)
    return form


async def test_s_on_a_favourite_fills_twelve_weeks_of_its_history(
    emulator: Emulator, tmp_path: Path
) -> None:
    saved(WEEKLY)
    app = app_on(emulator, tmp_path / "journal.sqlite3")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_form(pilot)
        await pilot.press("ctrl+r")
        # The chart opens at once, before anything is sent, and fills as the counts come.
        await settle(pilot, ChartScreen)
        expected = {
            (p.dates.start.isoformat(), p.dates.end.isoformat())
            for p in periods(Every.WEEK, 12, TODAY)
        }
        await until(
            pilot, lambda: set(history_of(app, WEEKLY.name)) == expected, "twelve weeks counted"
        )
        assert len(emulator.requests) >= 12
        said = [str(toast.message) for toast in app._notifications]
        assert "12 weeks: 12 asked" in said
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        await until(pilot, lambda: len(chart.points) == 12, "the chart's twelve points")
        # The counts drawn are in sight: no toast of jobs ending covers the line under the chart.
        main = next(s for s in app.screen_stack if isinstance(s, MainScreen))
        assert isinstance(main, MainScreen)
        panel = main.query_one(JobPanel)
        await until(
            pilot, lambda: not panel.flushing and not main.toasts.gathering, "the jobs shown"
        )
        assert [str(toast.message) for toast in app._notifications] == ["12 weeks: 12 asked"]


@pytest.fixture
def unanswered(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator whose every count answers partial and stays so for an hour: the series'
    jobs stay out, whatever the machine's load."""
    with Emulator(partial_config(tmp_path / "unanswered-cache", 3_600.0)) as running:
        yield running


async def test_the_chart_says_it_is_counting_while_none_is_drawn(unanswered: Emulator) -> None:
    saved(WEEKLY)
    app = app_on(unanswered)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        form.query_one("#series-last", Input).value = "3"
        await pilot.press("ctrl+r")
        await settle(pilot, ChartScreen)
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        empty = chart.query_one("#chart-empty", Static)
        # Three jobs out and none answered: not "no counts yet".
        said = "counting: 3 range(s) on their way, each drawn as it comes"
        await until(pilot, lambda: str(empty.content) == said, "counting")
        assert empty.display
        assert chart.points == []


async def test_the_form_refuses_a_count_it_cannot_ask_and_keeps_what_was_typed(
    emulator: Emulator,
) -> None:
    saved(WEEKLY)
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        last = form.query_one("#series-last", Input)
        last.value = "500"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen is form
        problem = form.query_one("#series-problem", Static)
        assert problem.display
        assert "from 1 to 120" in str(problem.content)
        assert last.value == "500"
        await pilot.press("escape")
        await settle(pilot, FavoritesScreen)
        assert emulator.requests == []


async def test_months_and_without_the_period_under_way(emulator: Emulator) -> None:
    saved(WEEKLY)
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        months = next(b for b in form.query(RadioButton) if b.name == "month")
        months.value = True
        form.query_one("#series-last", Input).value = "3"
        form.query_one("#series-current").value = False  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        expected = {
            (p.dates.start.isoformat(), p.dates.end.isoformat())
            for p in periods(Every.MONTH, 3, TODAY, current=False)
        }
        await until(pilot, lambda: set(history_of(app, WEEKLY.name)) == expected, "three months")


async def test_ctrl_t_in_the_editor_keeps_the_counts_as_a_new_favourite(
    emulator: Emulator,
) -> None:
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press(*"Charged")
        await pilot.press("ctrl+t")
        await settle(pilot, SeriesFormScreen)
        name = app.screen.query_one("#series-name", Input)
        assert name.value == "Charged"
        name.value = "Charged weekly"
        app.screen.query_one("#series-last", Input).value = "2"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(history_of(app, "Charged weekly")) == 2, "two weeks")
        with favorites_file().open("rb") as file:
            kept = tomllib.load(file)
        assert [item["name"] for item in kept["favorite"]] == ["Charged weekly"]
        assert isinstance(app.screen, ChartScreen)
        assert app.screen.favorite_name == "Charged weekly"
        await pilot.press("escape")
        await settle(pilot, MainScreen)
        assert app.screen.query_one(QueryEditor).draft.event_name == "Charged"


def seed_weeks(journal: Path, favorite: Favorite, counts: list[int]) -> None:
    """`favorite` in favorites.toml, with a count for each of the last whole weeks."""
    from cttui.api.models import Query
    from cttui.store.journal_writer import JournalWriter
    from tests.saved_favorites import write_counts

    saved(favorite)
    weeks = periods(Every.WEEK, len(counts), TODAY, current=False)

    async def seed() -> None:
        writer = JournalWriter(journal)
        await writer.load()
        queries = [Query(favorite.event_name, p.dates, favorite.filters) for p in weeks]
        at = [1_700_000_000.0 + n for n in range(len(counts))]
        await write_counts(writer, favorite.name, list(zip(queries, counts, at, strict=True)))
        writer.close()

    asyncio.run(seed())


def test_the_list_says_the_change_and_marks_a_breached_limit(
    emulator: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    alerted = Favorite("Weekly buyers", "Charged", (), extra={"alert": {"change_below": "-20%"}})
    seed_weeks(journal, alerted, [1000, 700])

    async def look() -> None:
        app = app_on(emulator, journal)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_favorites(pilot)
            await until(pilot, lambda: cell(screen, "Weekly buyers", "change") == "-30%", "change")
            assert cell(screen, "Weekly buyers", "last") == "!700"
            detail = str(screen.query_one("#favorites-detail", Static).content)
            assert "Change: 700 in 2026-11-16..11-22, -30% vs 2026-11-09..11-15" in detail
            assert "Alert: change -30% vs " in detail

    asyncio.run(look())
