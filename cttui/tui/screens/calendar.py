"""A popup month calendar for picking one date, by keyboard or mouse.

Dismisses with the picked date, or None when cancelled.
"""

from __future__ import annotations

import calendar
from contextlib import suppress
from datetime import date, timedelta
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.widgets.footer import KeysFooter

PREVIOUS = "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}"
NEXT = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"
WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
# Six weeks hold any month however its first day falls, so the popup never changes size.
CELLS = 6 * 7
# Broken by hand: wrapped at the popup's width, a line would start with a stray "·".
HINT = "←→↑↓ day/week\nPgUp/PgDn month · t today\nenter pick · esc cancel"


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, clamped to the end of a shorter month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


class MonthButton(Button, can_focus=False):
    """A month arrow: mouse only, so focus stays on the screen and enter always picks."""


class DayCell(Static):
    """One square of the month grid; `day` is None only past the last date Python can hold."""

    def __init__(self, index: int) -> None:
        super().__init__(id=f"day-{index}")
        self.day: date | None = None


class CalendarScreen(ShowsFailedWorkers, ModalScreen[date | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("calendar")

    cursor: reactive[date] = reactive(date.min, init=False)
    """The highlighted day; the popup always shows its month."""

    def __init__(self, initial: date, today: date, title: str) -> None:
        super().__init__()
        self.set_reactive(CalendarScreen.cursor, initial)
        self._initial = initial
        self._today = today
        self._title = title
        # Built here rather than queried, so that setting `cursor` before the push works too.
        self._month_title = Static(id="month-title")
        self._cells = [DayCell(index) for index in range(CELLS)]
        self._show()

    def compose(self) -> ComposeResult:
        with Vertical(id="calendar") as popup:
            popup.border_title = self._title
            with Horizontal(id="calendar-header"):
                yield MonthButton(
                    PREVIOUS, id="previous-month", compact=True, action="screen.move_months(-1)"
                )
                yield self._month_title
                yield MonthButton(
                    NEXT, id="next-month", compact=True, action="screen.move_months(1)"
                )
            with Grid(id="calendar-days"):
                for name in WEEKDAYS:
                    yield Static(name, classes="weekday")
                yield from self._cells
            yield Static(HINT, id="calendar-hint")
        yield KeysFooter()

    def watch_cursor(self) -> None:
        self._show()

    def _show(self) -> None:
        cursor = self.cursor
        self._month_title.update(f"{calendar.month_name[cursor.month]} {cursor.year}")
        month_start = cursor.replace(day=1)
        first = month_start.toordinal() - month_start.weekday()
        last = date.max.toordinal()
        for offset, cell in enumerate(self._cells):
            ordinal = first + offset
            day = date.fromordinal(ordinal) if ordinal <= last else None
            cell.day = day
            cell.update("" if day is None else str(day.day))
            cell.set_class(day == cursor, "-cursor")
            cell.set_class(day == self._today, "-today")
            cell.set_class(day == self._initial, "-selected")
            cell.set_class(day is None or day.month != cursor.month, "-other-month")

    def _move(self, days: int = 0, months: int = 0) -> None:
        # Stepping past date.min or date.max leaves the cursor where it is.
        with suppress(OverflowError, ValueError):
            self.cursor = add_months(self.cursor, months) + timedelta(days=days)

    def action_move_days(self, days: int) -> None:
        self._move(days=days)

    def action_move_months(self, months: int) -> None:
        self._move(months=months)

    def action_month_start(self) -> None:
        self.cursor = self.cursor.replace(day=1)

    def action_month_end(self) -> None:
        cursor = self.cursor
        self.cursor = cursor.replace(day=calendar.monthrange(cursor.year, cursor.month)[1])

    def action_today(self) -> None:
        self.cursor = self._today

    def action_pick(self) -> None:
        self.dismiss(self.cursor)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_click(self, event: events.Click) -> None:
        if isinstance(event.widget, DayCell):
            if event.widget.day is not None:
                self.dismiss(event.widget.day)
        elif event.widget is self:
            # The dimmed backdrop around the popup, as with a menu.
            self.dismiss(None)
