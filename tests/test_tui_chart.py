"""The chart of a favourite's counts (g on the favourites screen): its lines, the highlighted
point and the line under it, the job's details from enter, and a redraw when counts come."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import Static

from cttui.api.models import DateRange, Query
from cttui.emulator import Emulator
from cttui.records import FavoriteRun
from cttui.store.favorites import since_query_changed
from cttui.store.journal_writer import JournalWriter
from cttui.store.paths import journal_file
from cttui.trends import before, change_of, range_text
from cttui.tui.app import CttuiApp
from cttui.tui.screens.chart import ChartScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.job_details import JobDetailsScreen
from cttui.tui.widgets.count_chart import CountChart
from tests.apps import TODAY, WORK, build_app, settle, until
from tests.chart_history import BUYERS, COUNTS, KEPT, save_chart_history, show_chart
from tests.conftest import emulator_variables, run_cttui
from tests.job_states import FrozenClock
from tests.saved_favorites import write_counts
from tests.test_tui_favorites import LAUNCHES, app_on, open_favorites, saved
from tests.test_tui_help import actions, help_for

SIZE = (120, 40)


def text_of(pilot: Pilot[int], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).content)


def chart_screen(pilot: Pilot[int]) -> ChartScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChartScreen)
    return screen


async def open_chart(pilot: Pilot[int]) -> ChartScreen:
    await show_chart(pilot)
    return chart_screen(pilot)


def plot_text(pilot: Pilot[int]) -> str:
    """The plot as drawn now: its lines' labels, axes and dates."""
    drawn = pilot.app.screen.query_one(CountChart).render()
    assert isinstance(drawn, Text)
    return drawn.plain


def dates(run: FavoriteRun) -> DateRange:
    return DateRange(run.start, run.end)


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[CttuiApp, list[int]]:
    """The app over the weekly buyers' counts (seeded here: a Pilot test's loop is running)."""
    journal = tmp_path / "journal.sqlite3"
    ids = save_chart_history(journal)
    return build_app(profiles=(WORK,), clock=FrozenClock(), journal=journal), ids


async def test_g_opens_the_chart_of_the_highlighted_favourite_with_a_line_per_range_length(
    seeded: tuple[CttuiApp, list[int]],
) -> None:
    app, _ = seeded
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chart(pilot)
        assert screen.favorite_name == BUYERS.name
        _, runs = since_query_changed(
            app.session.favorites.history()[BUYERS.name], BUYERS.query_key
        )
        # The count of the query the favourite held before is left out.
        assert len(runs) == len(COUNTS) == len(screen.points)
        change = change_of(runs)
        assert change is not None
        assert text_of(pilot, "#chart-heading") == f"{BUYERS.name} · {change.described()}"
        assert change.text() == "+11% vs 2026-09-24..10-23"
        plot = plot_text(pilot)
        assert "7-day ranges" in plot
        assert "30-day ranges" in plot
        # The y axis starts at zero and says thousands as k.
        assert " 0┤" in plot
        assert "6k┤" in plot
        assert re.search(r"2026-\d\d-\d\d", plot)
        assert not screen.query_one("#chart-empty").display


async def test_left_right_home_and_end_move_the_highlight_and_the_line_under_it_follows(
    seeded: tuple[CttuiApp, list[int]],
) -> None:
    app, ids = seeded
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chart(pilot)
        points = screen.points
        # The newest range first shows: the 30-day one counted after that week's.
        assert screen.highlighted == points[-1]
        assert (points[-1].end - points[-1].start).days == 29
        assert text_of(pilot, "#chart-point") == (
            f"30 days {range_text(dates(points[-1]))}: 5,402 · +11% vs 2026-09-24..10-23 "
            f"· job {ids[-1]}"
        )
        await pilot.press("left")
        await until(pilot, lambda: screen.highlighted == points[-2], "the point before")
        week = points[-2]
        earlier = before(points, week)
        assert earlier is not None
        assert text_of(pilot, "#chart-point") == (
            f"7 days {range_text(dates(week))}: 1,315 · +6% vs {range_text(dates(earlier))} "
            f"· job {week.job_id}"
        )
        await pilot.press("home")
        await until(pilot, lambda: screen.highlighted == points[0], "the first point")
        assert "first count of 7 days" in text_of(pilot, "#chart-point")
        await pilot.press("left")  # the first stays the first
        await pilot.press("right", "right")
        await until(pilot, lambda: screen.highlighted == points[2], "two points on")
        await pilot.press("end")
        await until(pilot, lambda: screen.highlighted == points[-1], "the last point")
        await pilot.press("right")  # the last stays the last
        await pilot.pause()
        assert screen.highlighted == points[-1]


@pytest.fixture
def with_a_part(tmp_path: Path) -> CttuiApp:
    """The weekly buyers' counts and then a count of today alone, counted today (seeded here,
    outside the test's loop)."""
    journal = tmp_path / "journal.sqlite3"
    save_chart_history(journal)
    so_far = replace(BUYERS.query(TODAY), date_range=DateRange(TODAY, TODAY))
    at = datetime.combine(TODAY, datetime.min.time()).timestamp() + 3_600 * 18
    asyncio.run(_add_count(journal, so_far, at))
    return build_app(profiles=(WORK,), clock=FrozenClock(), journal=journal)


async def test_the_highlight_starts_on_the_count_the_heading_speaks_of(
    with_a_part: CttuiApp,
) -> None:
    """Today so far, counted last, ends last: the highlight starts on the count the change is
    of (as the heading says), not on a part."""
    app = with_a_part
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chart(pilot)
        change = change_of(screen.points)
        assert change is not None
        assert screen.points[-1].end == TODAY
        assert screen.highlighted == change.run != screen.points[-1]
        assert text_of(pilot, "#chart-heading") == f"{BUYERS.name} · {change.described()}"


async def _add_count(journal: Path, query: Query, at: float) -> None:
    writer = JournalWriter(journal)
    await writer.load()
    await write_counts(writer, BUYERS.name, [(query, 90, at)])
    writer.close()


async def test_enter_opens_the_jobs_details_and_a_removed_job_says_so(
    seeded: tuple[CttuiApp, list[int]],
) -> None:
    app, ids = seeded
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await show_chart(pilot)
        await until(pilot, lambda: app.session.jobs.find(ids[-1]) is not None, "the jobs read back")
        await pilot.press("enter")
        await settle(pilot, JobDetailsScreen)
        details = app.screen
        assert isinstance(details, JobDetailsScreen)
        assert details.job.id == ids[-1]
        # Its keys work as on the job list's own details: the job list carries them out.
        await pilot.press("c")
        await until(pilot, lambda: app.clipboard == "5402", "the count copied")
        await pilot.press("escape")
        await settle(pilot, ChartScreen)
        screen = chart_screen(pilot)
        await pilot.press("home")
        await until(pilot, lambda: screen.highlighted == screen.points[0], "the first point")
        gone = screen.points[0].job_id
        assert gone not in ids[-KEPT:]
        await pilot.press("enter")
        await until(
            pilot, lambda: any(n.title == "No details" for n in app._notifications), "the toast"
        )
        (toast,) = [n for n in app._notifications if n.title == "No details"]
        assert toast.message == (
            f"job {gone} is no longer in the job list; its count stays in the chart"
        )
        assert isinstance(app.screen, ChartScreen)


async def test_an_empty_history_says_how_to_fill_it_and_a_count_from_elsewhere_redraws(
    emulator: Emulator,
) -> None:
    """Cron's `cttui run` writes a count to the journal the open app holds: the session reads
    it (refresh), says HistoryChanged, and the chart draws it."""
    saved(LAUNCHES)
    app = app_on(emulator, journal=journal_file())
    async with app.run_test(size=SIZE) as pilot:
        await open_favorites(pilot)
        await until(
            pilot,
            lambda: app.session.journal.path is not None and app.session.journal.path.exists(),
            "journal",
        )
        await pilot.press("g")
        await settle(pilot, ChartScreen)
        screen = chart_screen(pilot)
        assert screen.favorite_name == LAUNCHES.name
        empty = screen.query_one("#chart-empty", Static)
        assert empty.display
        assert str(empty.content) == "no counts yet: press s to fill a series"
        assert not screen.query_one(CountChart).display
        assert text_of(pilot, "#chart-point") == ""
        result = await asyncio.to_thread(
            run_cttui, "run", LAUNCHES.name, env=emulator_variables(emulator)
        )
        assert result.code == 0, result.err
        expected = emulator.count("App Launched", 20261101, 20261122)
        await until(pilot, lambda: len(screen.points) == 1, "the count drawn")
        assert not empty.display
        assert screen.query_one(CountChart).display
        assert f": {expected:,} · first count of 22 days" in text_of(pilot, "#chart-point")
        assert "22-day ranges" in plot_text(pilot)
        # One date alone: the x axis spans days around it, not a century.
        years = set(re.findall(r"\b(\d{4})-\d\d-\d\d\b", plot_text(pilot)))
        assert years == {"2026"}
        await pilot.press("escape")
        await settle(pilot, FavoritesScreen)


async def test_f1_on_the_chart_lists_its_keys_first(seeded: tuple[CttuiApp, list[int]]) -> None:
    app, _ = seeded
    async with app.run_test(size=SIZE) as pilot:
        await show_chart(pilot)
        here, everywhere, _ = await help_for(pilot)
        assert here[0] == "On the chart"
        assert actions(here) == [
            "Back to the favourites",
            "Earlier count",
            "Later count",
            "First count",
            "Last count",
            "Count over time",
            "Job details",
        ]
        assert "Favourites" in actions(everywhere)


def colours_drawn(pilot: Pilot[int]) -> set[tuple[int, int, int]]:
    drawn = pilot.app.screen.query_one(CountChart).render()
    assert isinstance(drawn, Text)
    found = set()
    for span in drawn.spans:
        style = span.style
        if isinstance(style, Style) and style.color is not None:
            red, green, blue = style.color.get_truecolor()
            found.add((red, green, blue))
    return found


async def test_the_lines_and_the_highlight_take_the_themes_colours(
    seeded: tuple[CttuiApp, list[int]],
) -> None:
    app, _ = seeded
    async with app.run_test(size=SIZE) as pilot:
        await open_chart(pilot)
        for theme in ("textual-dark", "textual-light", "nord"):
            await shows_the_colours_of(pilot, theme)


async def shows_the_colours_of(pilot: Pilot[int], theme: str) -> None:
    """The first line's, the second's and the highlight's colours (cttui.tcss) in `theme`."""
    app = pilot.app
    app.theme = theme
    names = ("primary", "success", "accent")
    expected = {Color.parse(app.theme_variables[name]).rgb for name in names}
    await until(pilot, lambda: expected <= colours_drawn(pilot), f"{theme}'s colours")
