"""F1: the keys that work on the screen below, and where everything else is.

cttui's own keys come first: those of the focused widget and the screen (every one, with those
that do not apply now marked so: a job's keys are there whichever job is highlighted), then the
app's, which work everywhere; Textual's editing and moving keys come last, under a heading of
their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import Key, bindings, catalogue
from cttui.tui.widgets.footer import KeysFooter

INTRO = (
    "cttui counts the CleverTap profiles that did an event in a date range. "
    "The command palette (ctrl+p) reaches every screen and action by name. "
    "F4 goes to the editor's event name, F5 to the job list, F6 to the preview. Some keys work "
    "where the focus is: F8 in a filter row, ctrl+o in a date field, a job's keys in the job "
    "list. Jobs are kept in the journal: pending ones carry on after "
    "a restart. ctrl+s saves the query as a favourite; F3 lists them, to run again with enter "
    "(space selects several) and see their counts over time."
)
# Where the keys of the first section work, by the innermost node offering keys of cttui's.
WHERE = {
    "JobPanel": "In the job list",
    "FilterRow": "In a filter row",
    "DateRangeField": "In a date field",
    "MainScreen": "In the query editor",
    "JobDetailsScreen": "In the job's details",
    "FavoritesTable": "In the favourites",
    "FavoritesScreen": "In the favourites",
    "ChartScreen": "On the chart",
    "CredentialsScreen": "On the credentials screen",
}
EVERYWHERE = "Everywhere"
TEXTUALS = "Editing and moving (Textual's keys)"
# Keys of Textual's that are the app's to a person: they are listed with F1, F2 and F3.
APP_ACTIONS = {"command_palette": "Command palette", "quit": "Quit"}
# Why a key does not apply now, by its action ("not now" for the others).
NOT_NOW = {"act": "not for this job", "go_to": "the focus is there"}
# A job list's enter is its table's: it shows the job's details.
UNBOUND = {"JobPanel": (("enter", "Details"),)}

Row = tuple[str, str]


def _cttui_keys() -> dict[str, Key]:
    """keys.toml's keys by id."""
    return {key.id: key for keys in catalogue().values() for key in keys}


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
            with VerticalScroll(id="help-scroll"):
                for heading, rows in self.sections():
                    yield Static(heading, classes="help-heading", markup=False)
                    table: DataTable[str] = DataTable(
                        classes="help-keys", cursor_type="none", zebra_stripes=True
                    )
                    # The list scrolls as one, by the keys the scroll has focused.
                    table.can_focus = False
                    table.add_columns("Key", "Action")
                    table.add_rows(rows)
                    yield table
                yield Static(INTRO, id="help-intro")
        yield KeysFooter()

    def sections(self) -> list[tuple[str, list[Row]]]:
        """The headings, each with its keys and what they do, in the order shown."""
        here = list(self._here())
        listed = {action for _, action in here}
        everywhere = list(self._everywhere())
        listed |= {action for _, action in everywhere}
        textuals = [row for row in self._textuals() if row[1] not in listed]
        sections = [(self._where(), here), (EVERYWHERE, everywhere), (TEXTUALS, textuals)]
        return [(heading, rows) for heading, rows in sections if rows]

    def _chain(self) -> list[DOMNode]:
        """The focused widget and its ancestors up to the screen beneath, innermost first."""
        beneath = self._beneath
        focused = beneath.focused
        if focused is None:
            return [beneath]
        chain = focused.ancestors_with_self
        return chain[: chain.index(beneath) + 1] if beneath in chain else [beneath]

    def _where(self) -> str:
        for node in self._chain():
            if type(node).__name__ in WHERE:
                return WHERE[type(node).__name__]
        return "On this screen"

    def _display(self, keys: str) -> str:
        # "del, d": two keys, never read as one.
        return ", ".join(self.app.get_key_display(Binding(key, "")) for key in keys.split(","))

    def _here(self) -> Iterator[Row]:
        """Every key of cttui's on the focus chain, innermost first; those that do not apply
        now (the highlighted job's state, nothing older to list) say so."""
        active = self._beneath.active_bindings
        ours = _cttui_keys()
        seen: set[str] = set()
        for node in self._chain():
            for key, action in UNBOUND.get(type(node).__name__, ()):
                yield self._display(key), action
            for binding in getattr(type(node), "BINDINGS", ()):
                if not isinstance(binding, Binding) or binding.id not in ours or binding.id in seen:
                    continue
                seen.add(binding.id)
                keys = binding.key.split(",")
                works = any(
                    key in active and active[key].binding.id == binding.id and active[key].enabled
                    for key in keys
                )
                title = ours[binding.id].title
                if not works:
                    kind = binding.action.partition("(")[0]
                    title += f" ({NOT_NOW.get(kind, 'not now')})"
                yield self._display(binding.key), title

    def _everywhere(self) -> Iterator[Row]:
        for ours in catalogue()["app"]:
            yield self._display(ours.keys), ours.title
        for key, active in self._beneath.active_bindings.items():
            name = APP_ACTIONS.get(active.binding.action.removeprefix("app."))
            if name is not None:
                yield self._display(key), name

    def _textuals(self) -> Iterator[Row]:
        ours = _cttui_keys()
        seen: set[Row] = set()
        for key, active in self._beneath.active_bindings.items():
            binding = active.binding
            # super+ keys are macOS's; Linux terminals never send them.
            if binding.id in ours or not binding.description or binding.system:
                continue
            if key.startswith("super+") or binding.action.removeprefix("app.") in APP_ACTIONS:
                continue
            row = (self.app.get_key_display(binding), binding.description)
            if row not in seen:
                seen.add(row)
                yield row
