"""The query's dates: a preset, from and to fields to type into, and a calendar for each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select

from cttui.api.errors import QueryError
from cttui.api.models import DateRange, parse_date
from cttui.api.ranges import DEFAULT_PRESET, RangePreset, matching_preset
from cttui.tui.keys import bindings
from cttui.tui.widgets.live_text import LiveText

CUSTOM = "custom"
PRESET_OPTIONS = [(preset.label, preset.value) for preset in RangePreset] + [("Custom", CUSTOM)]
TITLES = {"from": "From date", "to": "To date"}


class DateRangeField(Vertical):
    """Picking a preset fills the dates; typing dates shows the preset they match, or Custom."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("date-range")

    @dataclass
    class PickRequested(Message):
        """The user asks to pick `which` date ("from" or "to") on a calendar: the screen shows
        one, opened on `initial` with `today` marked, and hands the day back with `picked`."""

        field: DateRangeField
        which: str
        initial: date
        today: date
        title: str

        @property
        def control(self) -> DateRangeField:
            return self.field

        def picked(self, day: date | None) -> None:
            """The calendar's answer: None when it was cancelled."""
            self.field.take_pick(self.which, day)

    def __init__(self, today: Callable[[], date], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._today = today
        self._problem: str | None = None

    def compose(self) -> ComposeResult:
        initial = DEFAULT_PRESET.resolve(self._today())
        yield Select(
            PRESET_OPTIONS, value=DEFAULT_PRESET.value, allow_blank=False, id="preset", compact=True
        )
        with Horizontal(classes="date-fields"):
            for which, day in (("from", initial.start), ("to", initial.end)):
                yield Label(which, classes=f"date-label -{which}")
                yield Input(
                    day.isoformat(),
                    placeholder="YYYY-MM-DD",
                    max_length=10,
                    id=which,
                    classes="date-input",
                    compact=True,
                )
                yield Button(
                    "▦", id=f"{which}-calendar", compact=True, tooltip="Pick on a calendar"
                )
        yield LiveText(id="dates-note")

    def on_mount(self) -> None:
        self._show_note()

    @property
    def texts(self) -> tuple[str, str]:
        return self.input("from").value, self.input("to").value

    @property
    def preset(self) -> RangePreset | None:
        """The preset chosen, or None for custom dates."""
        value = self.query_one("#preset", Select).value
        return None if value == CUSTOM else RangePreset(str(value))

    def input(self, which: str) -> Input:
        return self.query_one(f"#{which}", Input)

    def set_texts(self, start: str, end: str) -> None:
        self.input("from").value = start
        self.input("to").value = end

    def apply_preset(self, preset: RangePreset) -> None:
        dates = preset.resolve(self._today())
        self.set_texts(dates.start.isoformat(), dates.end.isoformat())
        self.query_one("#preset", Select).value = preset.value

    def show_problem(self, problem: str | None) -> None:
        self._problem = problem
        self._show_note()

    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        if event.value != CUSTOM:
            dates = RangePreset(str(event.value)).resolve(self._today())
            self.set_texts(dates.start.isoformat(), dates.end.isoformat())

    @on(Input.Changed, ".date-input")
    def _date_typed(self) -> None:
        dates = self._dates()
        preset = matching_preset(dates, self._today()) if dates else None
        self.query_one("#preset", Select).value = preset.value if preset else CUSTOM
        self._show_note()

    @on(Button.Pressed, "#from-calendar, #to-calendar")
    def _calendar_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.open_calendar("to" if event.button.id == "to-calendar" else "from")

    def action_calendar(self) -> None:
        self.open_calendar("to" if self.input("to").has_focus else "from")

    def open_calendar(self, which: str) -> None:
        today = self._today()
        try:
            initial = parse_date(self.input(which).value, which)
        except QueryError:
            initial = today
        self.post_message(self.PickRequested(self, which, initial, today, TITLES[which]))

    def take_pick(self, which: str, day: date | None) -> None:
        field = self.input(which)
        if day is not None:
            field.value = day.isoformat()
        field.focus()

    def _dates(self) -> DateRange | None:
        try:
            return DateRange.parse(*self.texts)
        except QueryError:
            return None

    def _show_note(self) -> None:
        note = self.query_one("#dates-note", LiveText)
        dates = self._dates()
        if self._problem:
            text = self._problem
        elif dates is not None and not dates.problems():
            days = "1 day" if dates.days == 1 else f"{dates.days:,} days"
            text = f"{days}, both ends included"
        else:
            text = ""
        note.show(text)
        note.set_class(bool(self._problem), "-error")
