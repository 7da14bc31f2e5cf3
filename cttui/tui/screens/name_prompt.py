"""A name for a favourite (to rename one), checked as it is typed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from cttui.api.errors import CttuiError
from cttui.store.favorites import NAME_MAX, check_favorite_name, taken_name
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.widgets.footer import KeysFooter


def name_problem(text: str, taken: Sequence[str]) -> str | None:
    """What is wrong with `text` as a new favourite's name, if anything."""
    try:
        name = check_favorite_name(text)
    except CttuiError as error:
        return error.message
    clash = taken_name(taken, name)
    if clash is not None:
        return f"{clash!r} is taken; pick another name"
    return None


class NamePromptScreen(ShowsFailedWorkers, ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("name-prompt")

    def __init__(self, title: str, name: str, note: str, taken: Sequence[str]) -> None:
        super().__init__()
        self._title = title
        self._name = name
        self._note = note
        self._taken = list(taken)

    def compose(self) -> ComposeResult:
        with Vertical(id="name-prompt", classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            yield Input(self._name, max_length=NAME_MAX, id="name-input")
            yield Static(id="name-problem", classes="dialog-problem", markup=False)
            yield Static(self._note, classes="dialog-note", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="name-save", variant="primary")
                yield Button("Cancel", id="name-cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#name-problem").display = False
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _typed(self) -> None:
        self.query_one("#name-problem").display = False

    @on(Input.Submitted)
    @on(Button.Pressed, "#name-save")
    def _save(self) -> None:
        text = self.query_one(Input).value
        problem = name_problem(text, self._taken)
        if problem is not None:
            shown = self.query_one("#name-problem", Static)
            shown.update(problem)
            shown.display = True
            return
        self.dismiss(check_favorite_name(text))

    @on(Button.Pressed, "#name-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
