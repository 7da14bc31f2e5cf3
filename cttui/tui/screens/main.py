"""The main screen: the account counts go to, and the way to everything else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cttui.tui.failures import ShowsFailedWorkers

if TYPE_CHECKING:
    from cttui.store.credentials import Selection
    from cttui.tui.app import CttuiApp


class MainScreen(ShowsFailedWorkers, Screen[None]):
    app: CttuiApp  # narrows Textual's App to this app's API

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="main"):
            yield Static(id="connection", markup=False)
            yield Static(
                "F2 (or ctrl+p, Credentials) manages profiles; F1 lists the keys.\n"
                "From a shell, on the same profile: cttui count EVENT --from DATE --to DATE",
                id="main-hint",
                markup=False,
            )
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "selection", self._show_selection)

    def _show_selection(self, selection: Selection | None) -> None:
        app = self.app
        panel = self.query_one("#connection", Static)
        panel.border_title = "Counting on"
        if selection is None:
            panel.update(app.selection_error or "no profile yet")
            panel.set_class(True, "-missing")
            return
        panel.set_class(False, "-missing")
        region = selection.region
        rows = [
            ("Profile", selection.label if selection.profile else "(none)"),
            ("Account ID", selection.account_id),
            ("Region", f"{region.code} {region.name} ({region.host})"),
            ("Credentials", selection.source),
        ]
        if app.setup.demo:
            rows[0] = ("Profile", "demo: the built-in emulator, in memory only")
            rows[2] = ("Region", f"{region.code} {region.name} (emulated on this machine)")
        panel.update("\n".join(f"{label:<12} {value}" for label, value in rows))
