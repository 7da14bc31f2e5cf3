"""F1: the keys that work on the screen below, and where everything else is."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.widgets.footer import KeysFooter

INTRO = (
    "cttui counts the CleverTap profiles that did an event in a date range. "
    "The command palette (ctrl+p) reaches every screen and action by name. "
    "Some keys work where the focus is: F8 removes the filter row you are in, ctrl+o opens "
    "the calendar from a date field. In the job list (tab to it): enter shows a job's details, "
    "p polls now, x cancels, r resubmits, c and y copy the count and the curl, l loads the job "
    "into the editor, d removes it, D clears the finished ones, o lists older ones. Jobs are kept "
    "in the journal: pending ones carry on after a restart. ctrl+s saves the query as a "
    "favourite; F3 lists them, to run again with enter (space selects several) and see their "
    "counts over time."
)


class HelpScreen(ShowsFailedWorkers, ModalScreen[None]):
    # The app action that shows this screen: the app leaves its key out while it shows.
    OPENED_BY: ClassVar[str] = "help"
    BINDINGS: ClassVar[list[BindingType]] = bindings("help-screen")

    def __init__(self, beneath: Screen[object]) -> None:
        super().__init__()
        self._beneath = beneath

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static("Help", id="help-title")
            yield Static(INTRO, id="help-intro")
            yield DataTable(id="help-keys", cursor_type="none", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action")
        seen: set[tuple[str, str]] = set()
        # The footer's keys first: they are the ones that matter here; editing keys after.
        bindings = sorted(
            self._beneath.active_bindings.items(), key=lambda item: not item[1].binding.show
        )
        for key, active in bindings:
            binding = active.binding
            # super+ keys are macOS's; Linux terminals never send them.
            if not binding.description or binding.system or key.startswith("super+"):
                continue
            # Textual calls its own palette binding just "palette".
            description = binding.description
            if binding.action in {"command_palette", "app.command_palette"}:
                description = "Command palette"
            row = (self.app.get_key_display(binding), description)
            if row not in seen:
                seen.add(row)
                table.add_row(*row, key=key)
