"""s on a favourite (ctrl+t in the editor): count it over time. The period (days, ISO weeks or
months), how many, and whether the period under way counts too; from the editor, also the name
of the favourite that will keep the counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from cttui.api.errors import CttuiError
from cttui.api.periods import PERIODS_MAX, Every
from cttui.store.favorites import NAME_MAX, check_favorite_name
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.widgets.footer import KeysFooter


@dataclass(frozen=True)
class SeriesChoice:
    every: Every
    last: int
    current: bool
    name: str | None = None


def how_many_problem(text: str) -> str | None:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= PERIODS_MAX:
        return f"how many: a whole number from 1 to {PERIODS_MAX}"
    return None


class SeriesFormScreen(ShowsFailedWorkers, ModalScreen[SeriesChoice | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("series-form")

    def __init__(self, title: str, *, name: str | None = None) -> None:
        """`name`: ask for the name of the favourite to keep the counts (from the editor)."""
        super().__init__()
        self._title = title
        self._name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="series-form", classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            if self._name is not None:
                with Horizontal(classes="series-line"):
                    yield Static("Kept as:", classes="dialog-label")
                    yield Input(self._name, max_length=NAME_MAX, id="series-name")
            with RadioSet(id="series-every"):
                for every in Every:
                    yield RadioButton(every.plural.capitalize(), every is Every.WEEK, name=every)
            with Horizontal(classes="series-line"):
                yield Static("How many:", classes="dialog-label")
                yield Input("12", max_length=3, id="series-last", restrict=r"[0-9]*")
                yield Checkbox("The period under way too", True, id="series-current")
            yield Static(id="series-problem", classes="dialog-problem", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Count", id="series-go", variant="primary")
                yield Button("Cancel", id="series-cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#series-problem").display = False
        first = "#series-name" if self._name is not None else "#series-every"
        self.query_one(first).focus()

    def _problem(self, text: str | None) -> None:
        shown = self.query_one("#series-problem", Static)
        shown.update(text or "")
        shown.display = text is not None

    @on(Input.Changed)
    def _typed(self) -> None:
        self._problem(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#series-go")
    def action_go(self) -> None:
        last = self.query_one("#series-last", Input).value
        problem = how_many_problem(last)
        name = None
        if problem is None and self._name is not None:
            try:
                name = check_favorite_name(self.query_one("#series-name", Input).value)
            except CttuiError as error:
                problem = error.message
        if problem is not None:
            self._problem(problem)
            return
        pressed = self.query_one(RadioSet).pressed_button
        every = Every(pressed.name) if pressed is not None and pressed.name else Every.WEEK
        current = self.query_one(Checkbox).value
        self.dismiss(SeriesChoice(every, int(last), current, name))

    @on(Button.Pressed, "#series-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
