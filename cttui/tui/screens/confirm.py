"""A yes/no question before anything that cannot be undone."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.widgets.footer import KeysFooter


class ConfirmScreen(ShowsFailedWorkers, ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("confirm")

    def __init__(self, question: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self._question = question
        self._labels = (yes, no)

    def compose(self) -> ComposeResult:
        yes, no = self._labels
        with Vertical(id="confirm"):
            yield Static(self._question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(yes, id="yes", variant="error")
                yield Button(no, id="no")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
