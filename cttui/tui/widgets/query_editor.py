"""The query editor: event name, filter rows and dates, and the problems with what they hold.

The editor only reads and shows: `draft` is what it holds as text, `show_problems` puts each
problem beside its field, and `Edited` tells the screen that the draft changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from cttui.api.draft import FilterDraft, QueryDraft
from cttui.api.errors import QueryError
from cttui.api.ranges import DEFAULT_PRESET
from cttui.tui.widgets.date_range import DateRangeField
from cttui.tui.widgets.filter_row import FilterRow
from cttui.tui.widgets.live_text import LiveText
from cttui.tui.widgets.suggestions import NameSuggester, case_twin

_FILTER_FIELD = re.compile(r"^filters\[([0-9]+)\]\.(name|operator|value)$")


class QueryEditor(Vertical):
    class Edited(Message):
        """The draft changed (a key, a choice, a row added or removed)."""

    class Resized(Message):
        """The editor grew or shrank (a row, a note, the width): the screen gives it room."""

    def __init__(
        self,
        today: Callable[[], date],
        events: Callable[[], Iterable[str]],
        properties: Callable[[], Iterable[str]],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._today = today
        self._events = events
        self._properties = properties
        self._everything = False
        # The rows in order, each listed once it has mounted and until it starts to go: the
        # DOM also holds rows half-mounted or half-removed while messages are handled.
        self._rows: list[FilterRow] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="editor-line"):
            yield Label("Event", classes="editor-label")
            yield Input(
                placeholder="the exact event name (→ takes a suggestion)",
                id="event",
                compact=True,
                suggester=NameSuggester(self._events),
            )
        yield LiveText(id="event-note", classes="editor-note")
        with Horizontal(classes="editor-line"):
            yield Label("Filters", classes="editor-label")
            yield Button("+ Add filter", id="add-filter", compact=True)
            yield Static("every filter must match", id="filters-hint")
        yield Vertical(id="filters")
        with Horizontal(classes="editor-line"):
            yield Label("Dates", classes="editor-label")
            yield DateRangeField(self._today, id="dates")
        # Each runs the screen's action that the key on its label runs.
        with Horizontal(id="editor-buttons"):
            yield Button(
                "Run  ctrl+r", id="run", variant="primary", compact=True, action="screen.run"
            )
            yield Button(
                "Copy as curl  ctrl+y", id="copy-curl", compact=True, action="screen.copy_curl"
            )
            yield Button(
                "New query  ctrl+l", id="new-query", compact=True, action="screen.new_query"
            )

    def on_mount(self) -> None:
        self.border_title = "Query"

    def on_resize(self) -> None:
        self.post_message(self.Resized())

    @property
    def rows(self) -> list[FilterRow]:
        return list(self._rows)

    @property
    def dates(self) -> DateRangeField:
        return self.query_one("#dates", DateRangeField)

    @property
    def draft(self) -> QueryDraft:
        start, end = self.dates.texts
        rows = tuple(row.draft for row in self.rows)
        return QueryDraft(self.query_one("#event", Input).value, rows, start, end)

    def blank(self) -> QueryDraft:
        """What a new query holds: nothing but the default dates."""
        dates = DEFAULT_PRESET.resolve(self._today())
        return QueryDraft("", (), dates.start.isoformat(), dates.end.isoformat())

    async def load(self, draft: QueryDraft) -> None:
        """Hold `draft` instead, with no problems shown until the next run."""
        self._everything = False
        self.query_one("#event", Input).value = draft.event_name
        filters = self.query_one("#filters")
        self._rows = []
        await filters.remove_children()
        rows = [FilterRow(item, self._properties) for item in draft.filters]
        await filters.mount_all(rows)
        self._rows = rows
        if draft == self.blank():
            self.dates.apply_preset(DEFAULT_PRESET)
        else:
            self.dates.set_texts(draft.start, draft.end)
        self.query_one("#event", Input).focus()
        self.post_message(self.Edited())

    async def add_filter(self, draft: FilterDraft | None = None) -> FilterRow:
        row = FilterRow(draft, self._properties)
        await self.query_one("#filters").mount(row)
        self._rows.append(row)
        row.field("name").focus()
        self.post_message(self.Edited())
        return row

    async def remove_filter(self, row: FilterRow) -> None:
        if row not in self._rows:
            return
        index = self._rows.index(row)
        self._rows.remove(row)
        had_focus = row.has_focus_within
        await row.remove()
        rest = self._rows
        if had_focus:
            if rest:
                rest[min(index, len(rest) - 1)].field("name").focus()
            else:
                self.query_one("#add-filter").focus()
        self.post_message(self.Edited())

    def show_problems(self, problems: Sequence[QueryError], *, everything: bool) -> None:
        """Each field's first problem beside it. Until `everything`, a field left empty is not
        yet a mistake: its problem waits for a run."""
        self._everything = self._everything or everything
        event_problem: str | None = None
        row_problems: dict[int, str] = {}
        date_problem: str | None = None
        for problem in problems:
            if not self._everything and self._unfinished(problem.field):
                continue
            found = _FILTER_FIELD.match(problem.field)
            if problem.field == "event_name":
                event_problem = event_problem or problem.message
            elif found:
                row_problems.setdefault(int(found.group(1)), problem.message)
            elif problem.field in ("from", "to"):
                date_problem = date_problem or problem.message
        self._show_event_note(event_problem)
        for index, row in enumerate(self.rows):
            row.show_problem(row_problems.get(index))
        self.dates.show_problem(date_problem)

    def focus_problem(self, problem: QueryError) -> None:
        self.field_for(problem.field).focus()

    def field_for(self, name: str) -> Widget:
        """The widget a problem's field names."""
        found = _FILTER_FIELD.match(name)
        if found:
            return self.rows[int(found.group(1))].field(found.group(2))
        if name in ("from", "to"):
            return self.dates.input(name)
        return self.query_one("#event", Input)

    def _unfinished(self, name: str) -> bool:
        """True for a field still empty, or a date still being typed."""
        field = self.field_for(name)
        if isinstance(field, Input):
            typing_date = name in ("from", "to") and field.has_focus and len(field.value) < 10
            return not field.value.strip() or typing_date
        return isinstance(field, Select) and field.value == Select.NULL

    def _show_event_note(self, problem: str | None) -> None:
        note = self.query_one("#event-note", LiveText)
        text = problem or ""
        if not text:
            typed = self.query_one("#event", Input).value
            twin = case_twin(typed, self._events())
            if twin:
                text = f"did you mean {twin!r}? CleverTap matches event names case-sensitively"
        note.show(text)
        note.display = bool(text)
        note.set_class(bool(problem), "-error")
        note.set_class(not problem and bool(text), "-warning")

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self) -> None:
        self.post_message(self.Edited())

    @on(Input.Blurred, ".date-input")
    def _date_left(self) -> None:
        # A date half typed is not shown as wrong until its field is left.
        self.post_message(self.Edited())

    @on(Button.Pressed, "#add-filter")
    async def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.add_filter()

    @on(FilterRow.RemoveRequested)
    async def _remove_requested(self, event: FilterRow.RemoveRequested) -> None:
        event.stop()
        await self.remove_filter(event.row)
