"""A favourite's history out of the app: `y` copies it as TSV (to paste into a spreadsheet),
`w` saves it as CSV in a file named in a small prompt, asking before replacing one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from cttui.api.errors import CttuiError
from cttui.exports import Value, csv_chunks, export_file_name, history_rows, tsv_chunks
from cttui.store.files import write_export
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.widgets.footer import KeysFooter
from cttui.tui.workers import start

if TYPE_CHECKING:
    from cttui.session.core import Session
    from cttui.store.favorites import Favorite


def _history(
    screen: Screen[Any], session: Session, favorite: Favorite | None
) -> tuple[tuple[str, ...], list[tuple[Value, ...]]] | None:
    """The favourite's counts of its current query (as `cttui history` gives them); None, with
    a toast saying so, when there are none to export."""
    if favorite is None:
        return None
    runs = session.favorites.history().get(favorite.name, ())
    header, rows = history_rows(runs, favorite.query_key)
    if not rows:
        screen.notify(
            f"{favorite.name} has no counts of its query yet: enter runs it",
            title="Nothing to export",
            severity="warning",
        )
        return None
    return header, rows


def copy_history(screen: Screen[Any], session: Session, favorite: Favorite | None) -> None:
    history = _history(screen, session, favorite)
    if favorite is None or history is None:
        return
    header, rows = history
    screen.app.copy_to_clipboard("".join(tsv_chunks(header, rows)))
    screen.notify(
        f"{len(rows)} count(s) of {favorite.name} as TSV: paste them into a spreadsheet",
        title="Copied",
    )


def save_history(screen: Screen[Any], session: Session, favorite: Favorite | None) -> None:
    history = _history(screen, session, favorite)
    if favorite is None or history is None:
        return
    header, rows = history
    data = "".join(csv_chunks(header, rows)).encode("utf-8")
    path = f"~/{export_file_name(favorite.name)}-history.csv"
    title = f"Save the counts of {favorite.name} as CSV"
    screen.app.push_screen(SaveExportScreen(title, path, data, len(rows)))


# Dataclasses, as Textual's own messages are: Message.__post_init__ does its set-up.
@dataclass
class ExportSaved(Message):
    path: Path


@dataclass
class ExportRefused(Message):
    reason: str


def _write(node: SaveExportScreen, path: Path, data: bytes) -> None:
    # On a thread: the disk may be slow or gone, and the app must not wait for it.
    try:
        write_export(path, (data,))
    except CttuiError as error:
        node.post_message(ExportRefused(error.message))
    else:
        node.post_message(ExportSaved(path))


class SaveExportScreen(ShowsFailedWorkers, ModalScreen[None]):
    """Where to save an export: replacing a file only once asked; a failure keeps the prompt
    and what was typed in it."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("save-export")

    def __init__(self, title: str, path: str, data: bytes, rows: int) -> None:
        super().__init__()
        self._title = title
        self._path = path
        self._data = data
        self._rows = rows
        self._writing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="save-export", classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Input(self._path, id="export-path")
            yield Static(id="export-problem", classes="dialog-problem", markup=False)
            yield Static(
                "A path of your own; ~ is your home. A file that is there is replaced only "
                "once you say so.",
                classes="dialog-note",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="export-save", variant="primary")
                yield Button("Cancel", id="export-cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#export-problem").display = False
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _typed(self) -> None:
        self.query_one("#export-problem").display = False

    @on(Input.Submitted)
    @on(Button.Pressed, "#export-save")
    def _save(self) -> None:
        if self._writing:
            return
        text = self.query_one(Input).value.strip()
        if not text:
            self._problem("type the path of a file to save to, such as ~/counts.csv")
            return
        path = Path(text).expanduser().absolute()
        if path.is_file():

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start(path)

            self.app.push_screen(
                ConfirmScreen(f"{path} is there already. Replace it?", yes="Replace", no="Keep"),
                answered,
            )
            return
        self._start(path)

    def _start(self, path: Path) -> None:
        self._writing = True
        start(self, lambda: _write(self, path, self._data), name="Saving the export", thread=True)

    def _problem(self, text: str) -> None:
        shown = self.query_one("#export-problem", Static)
        shown.update(text)
        shown.display = True

    def on_export_saved(self, message: ExportSaved) -> None:
        self.notify(f"{self._rows} count(s) in {message.path}", title="Saved")
        self.dismiss()

    def on_export_refused(self, message: ExportRefused) -> None:
        self._writing = False
        self.notify(message.reason, title="Not saved", severity="error", timeout=15)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        # A bug's toast has been shown: the path stays, to try again.
        if event.state is WorkerState.ERROR:
            self._writing = False

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss()
