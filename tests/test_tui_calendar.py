"""The date-picker popup, driven with Pilot inside a bare host app that uses cttui's stylesheet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest
from textual.app import App
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Button, Static

import cttui.tui
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.screens.calendar import CalendarScreen, DayCell
from tests.apps import until, until_equal

SIZE = (80, 30)
INITIAL = date(2026, 11, 12)
TODAY = date(2026, 11, 3)


class Host(App[None]):
    CSS_PATH = Path(cttui.tui.__file__).parent / "cttui.tcss"

    def __init__(self, picker: CalendarScreen) -> None:
        super().__init__()
        self._picker = picker
        self.results: list[date | None] = []

    def on_mount(self) -> None:
        self.push_screen(self._picker, self.results.append)


@asynccontextmanager
async def shown(screen: CalendarScreen) -> AsyncIterator[tuple[Pilot[None], Host]]:
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: isinstance(app.screen, CalendarScreen) and bool(app.screen.query(DayCell)),
            "the calendar",
        )
        yield pilot, app


async def picked(pilot: Pilot[None], app: Host, result: date | None) -> None:
    """Wait, bounded, until the calendar has closed with `result`."""
    await until(
        pilot,
        lambda: bool(app.results) and not isinstance(app.screen, CalendarScreen),
        "the calendar to close",
    )
    assert app.results == [result]


async def still_open(pilot: Pilot[None], app: Host) -> None:
    """The calendar is still up and picked nothing: a key pressed after what came before moves
    its cursor, so everything before it has been handled."""
    before = picker(app).cursor
    await pilot.press("up")
    await until(pilot, lambda: picker(app).cursor != before, "the cursor to move")
    assert app.results == []


@asynccontextmanager
async def opened(
    initial: date = INITIAL, today: date = TODAY
) -> AsyncIterator[tuple[Pilot[None], Host]]:
    async with shown(CalendarScreen(initial, today, "From date")) as opened:
        yield opened


def picker(app: Host) -> CalendarScreen:
    screen = app.screen
    assert isinstance(screen, CalendarScreen)
    return screen


def month_title(app: Host) -> str:
    return str(picker(app).query_one("#month-title", Static).render())


def cells(app: Host) -> list[DayCell]:
    return list(picker(app).query(DayCell))


def cell_of(app: Host, day: date) -> DayCell:
    [cell] = [cell for cell in cells(app) if cell.day == day]
    return cell


def days_with(app: Host, css_class: str) -> list[date | None]:
    return [cell.day for cell in cells(app) if cell.has_class(css_class)]


async def test_opens_on_the_initial_month_with_the_cursor_on_the_initial_day() -> None:
    async with opened() as (_, app):
        screen = picker(app)
        assert screen.cursor == INITIAL
        assert month_title(app) == "November 2026"
        assert screen.query_one("#calendar").border_title == "From date"
        weekdays = [str(label.render()) for label in screen.query(".weekday").results(Static)]
        assert weekdays == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
        grid = cells(app)
        assert len(grid) == 42
        # November 2026 starts on a Sunday: the grid opens on Monday 26 October.
        assert grid[0].day == date(2026, 10, 26)
        assert str(grid[0].render()) == "26"
        assert grid[-1].day == date(2026, 12, 6)
        assert days_with(app, "-cursor") == [INITIAL]


async def test_a_cursor_set_before_the_push_is_shown() -> None:
    screen = CalendarScreen(INITIAL, TODAY, "To date")
    screen.cursor = date(2027, 3, 4)
    async with shown(screen) as (pilot, app):
        assert screen.query_one("#calendar").border_title == "To date"
        assert month_title(app) == "March 2027"
        assert days_with(app, "-cursor") == [date(2027, 3, 4)]
        assert days_with(app, "-selected") == []
        await pilot.press("enter")
        await picked(pilot, app, date(2027, 3, 4))


async def test_today_selected_and_other_month_classes_follow_the_shown_month() -> None:
    async with opened() as (pilot, app):
        assert days_with(app, "-today") == [TODAY]
        assert days_with(app, "-selected") == [INITIAL]
        assert days_with(app, "-other-month") == [
            *(date(2026, 10, day) for day in range(26, 32)),
            *(date(2026, 12, day) for day in range(1, 7)),
        ]
        await pilot.press("pagedown")
        # December's grid runs from 30 November: neither today nor the field's value is on it.
        await until_equal(pilot, lambda: days_with(app, "-cursor"), [date(2026, 12, 12)])
        assert days_with(app, "-today") == []
        assert days_with(app, "-selected") == []
        assert days_with(app, "-other-month") == [
            date(2026, 11, 30),
            *(date(2027, 1, day) for day in range(1, 11)),
        ]


@pytest.mark.parametrize(
    ("initial", "keys", "expected", "title"),
    [
        pytest.param(INITIAL, ["right"], date(2026, 11, 13), "November 2026", id="right"),
        pytest.param(INITIAL, ["left"], date(2026, 11, 11), "November 2026", id="left"),
        pytest.param(INITIAL, ["down"], date(2026, 11, 19), "November 2026", id="down"),
        pytest.param(INITIAL, ["up"], date(2026, 11, 5), "November 2026", id="up"),
        pytest.param(
            date(2026, 11, 1), ["left"], date(2026, 10, 31), "October 2026", id="left-out"
        ),
        pytest.param(
            date(2026, 11, 30), ["right"], date(2026, 12, 1), "December 2026", id="right-out"
        ),
        pytest.param(
            date(2026, 1, 5), ["up"], date(2025, 12, 29), "December 2025", id="up-out-of-year"
        ),
        pytest.param(
            date(2026, 11, 28), ["down"], date(2026, 12, 5), "December 2026", id="down-out"
        ),
        pytest.param(
            date(2026, 1, 31), ["pagedown"], date(2026, 2, 28), "February 2026", id="clamp"
        ),
        pytest.param(
            date(2024, 1, 31), ["pagedown"], date(2024, 2, 29), "February 2024", id="leap"
        ),
        pytest.param(
            date(2026, 3, 31), ["pageup"], date(2026, 2, 28), "February 2026", id="pageup"
        ),
        pytest.param(
            date(2026, 1, 15), ["pageup"], date(2025, 12, 15), "December 2025", id="pageup-year"
        ),
        pytest.param(
            date(2026, 12, 15), ["pagedown"], date(2027, 1, 15), "January 2027", id="pagedown-year"
        ),
        pytest.param(INITIAL, ["home"], date(2026, 11, 1), "November 2026", id="home"),
        pytest.param(INITIAL, ["end"], date(2026, 11, 30), "November 2026", id="end"),
        pytest.param(date(2024, 2, 10), ["end"], date(2024, 2, 29), "February 2024", id="end-leap"),
        pytest.param(date(2026, 3, 15), ["t"], TODAY, "November 2026", id="today"),
        pytest.param(INITIAL, ["down"] * 3, date(2026, 12, 3), "December 2026", id="weeks"),
    ],
)
async def test_keys_move_the_cursor_and_the_month_follows(
    initial: date, keys: list[str], expected: date, title: str
) -> None:
    async with opened(initial) as (pilot, app):
        await pilot.press(*keys)
        await until_equal(pilot, lambda: picker(app).cursor, expected)
        await until_equal(pilot, lambda: month_title(app), title)
        await until_equal(pilot, lambda: days_with(app, "-cursor"), [expected])
        assert app.results == []


async def test_stepping_past_the_first_or_last_date_python_knows_leaves_the_cursor() -> None:
    async with opened(date.max, today=date.max) as (pilot, app):
        # The December 9999 grid runs past date.max: those cells are blank and pick nothing.
        beyond = [cell for cell in cells(app) if cell.day is None]
        assert beyond
        assert all(str(cell.render()) == "" for cell in beyond)
        await pilot.press("right", "down", "pagedown")
        await pilot.pause()
        # Nothing is to change: the pause lets the keys land, and the cursor must not have moved.
        assert picker(app).cursor == date.max
        await pilot.click(f"#{beyond[0].id}")
        await pilot.press("left")
        await until(pilot, lambda: picker(app).cursor == date(9999, 12, 30), "the cursor")
        assert app.results == []
    async with opened(date.min, today=date.min) as (pilot, app):
        await pilot.press("left", "up", "pageup")
        await pilot.pause()
        # As above: the cursor must not have moved, so there is no change to wait for.
        assert picker(app).cursor == date.min
        await until_equal(pilot, lambda: month_title(app), "January 1")


async def test_enter_picks_the_cursor_date() -> None:
    async with opened() as (pilot, app):
        await pilot.press("right", "right", "down", "enter")
        await picked(pilot, app, date(2026, 11, 21))


async def test_escape_cancels() -> None:
    async with opened() as (pilot, app):
        await pilot.press("right", "escape")
        await picked(pilot, app, None)


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 11, 20), id="this-month"),
        pytest.param(date(2026, 12, 3), id="dimmed-next-month"),
        pytest.param(date(2026, 10, 26), id="dimmed-previous-month"),
    ],
)
async def test_clicking_a_day_picks_it(day: date) -> None:
    async with opened() as (pilot, app):
        assert await pilot.click(f"#{cell_of(app, day).id}")
        await picked(pilot, app, day)


async def test_clicking_a_weekday_name_picks_nothing() -> None:
    async with opened() as (pilot, app):
        assert await pilot.click(".weekday")
        await still_open(pilot, app)


@pytest.mark.parametrize(
    ("initial", "button", "expected", "title"),
    [
        pytest.param(INITIAL, "#next-month", date(2026, 12, 12), "December 2026", id="next"),
        pytest.param(INITIAL, "#previous-month", date(2026, 10, 12), "October 2026", id="prev"),
        pytest.param(
            date(2026, 1, 31), "#next-month", date(2026, 2, 28), "February 2026", id="clamped"
        ),
    ],
)
async def test_the_arrow_buttons_change_the_month(
    initial: date, button: str, expected: date, title: str
) -> None:
    async with opened(initial) as (pilot, app):
        assert await pilot.click(button)
        await until_equal(pilot, lambda: picker(app).cursor, expected)
        await until_equal(pilot, lambda: month_title(app), title)
        # The click stops at the button rather than reaching the screen as a backdrop click.
        assert app.results == []
        assert isinstance(app.screen, CalendarScreen)


async def test_the_buttons_never_take_the_keys() -> None:
    async with opened() as (pilot, app):
        assert not any(button.focusable for button in picker(app).query(Button))
        await pilot.click("#next-month")
        await pilot.press("tab", "right")
        # Waiting on the move shows both keys landed; no focus is a state that never changes.
        await until_equal(pilot, lambda: picker(app).cursor, date(2026, 12, 13))
        assert app.focused is None
        # Enter on a focused button would press it again instead of picking.
        await pilot.press("enter")
        await picked(pilot, app, date(2026, 12, 13))


async def test_clicking_outside_the_popup_cancels() -> None:
    async with opened() as (pilot, app):
        assert await pilot.click(offset=(1, 1))
        await picked(pilot, app, None)


async def test_clicking_the_popup_frame_picks_nothing() -> None:
    async with opened() as (pilot, app):
        assert await pilot.click("#calendar", offset=(0, 0))
        await pilot.click("#calendar-hint")
        await still_open(pilot, app)


def test_every_key_binding_has_an_id_and_a_description() -> None:
    bindings = CalendarScreen.BINDINGS
    assert all(isinstance(binding, Binding) for binding in bindings)
    described = {
        binding.key: binding.id
        for binding in bindings
        if isinstance(binding, Binding) and binding.description
    }
    assert described == {
        "left": "calendar-previous-day",
        "right": "calendar-next-day",
        "up": "calendar-previous-week",
        "down": "calendar-next-week",
        "pageup": "calendar-previous-month",
        "pagedown": "calendar-next-month",
        "home": "calendar-month-start",
        "end": "calendar-month-end",
        "t": "calendar-today",
        "enter": "calendar-pick",
        "escape": "calendar-cancel",
    }


def test_failed_workers_mixin_comes_first() -> None:
    assert CalendarScreen.__mro__[1] is ShowsFailedWorkers
