"""The Textual app: a shell on the session, with the header, screens, palette and themes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from cttui.api.errors import DEBUG_VARIABLE, CttuiError, unexpected
from cttui.session.changes import Change, Notice, SelectionChanged
from cttui.session.core import Session
from cttui.session.setup import SessionSetup
from cttui.store.favorites import Favorite
from cttui.tui.commands import ScreenActions, beneath_palette
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.key_order import KeysInOrder
from cttui.tui.keys import bindings
from cttui.tui.screens.main import MainScreen
from cttui.tui.workers import start

# The other screens are imported when first shown: the start pays only for the main screen.


class CttuiApp(ShowsFailedWorkers, KeysInOrder[int]):
    """Everything the app can do is a verb of `session`; the app turns its changes into toasts
    and the header, and its screens listen to it themselves."""

    CSS_PATH = "cttui.tcss"
    COMMANDS = App.COMMANDS | {ScreenActions}
    TITLE = "cttui"
    BINDINGS: ClassVar[list[BindingType]] = bindings("app")

    def __init__(self, setup: SessionSetup) -> None:
        super().__init__()
        self.session = Session(setup)
        self.session.subscribe(self._session_changed)
        self._main: MainScreen | None = None
        self.sub_title = self._identity()
        if setup.demo is not None:
            self.title = "cttui DEMO"

    def get_default_screen(self) -> Screen[None]:
        self._main = MainScreen(self.session)
        return self._main

    def on_mount(self) -> None:
        if self.session.demo is not None:
            self.add_class("-demo")
        self._apply_saved_theme()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for notice in self.session.setup.notices:
            self.notify(notice, severity="warning", timeout=20)
        # The journal and favorites.toml are read once the main screen is drawn, not before.
        self.call_after_refresh(self._read_stores)
        if self.session.selection is None and not self.session.config.profiles:
            self.call_after_refresh(self._first_run)

    def _read_stores(self) -> None:
        start(self, self.session.resume(), name="Reading the job journal")
        # Hand edits and other cttui processes' counts are picked up within a second.
        self._refresh()
        self.set_interval(1.0, self._refresh)

    def _first_run(self) -> None:
        from cttui.tui.screens.credentials import CredentialsScreen

        self.push_screen(CredentialsScreen(self.session, first_run=True))

    def _refresh(self) -> None:
        start(
            self,
            self.session.refresh(),
            name="Reading favorites.toml and the favourites' counts",
            group="refresh",
            exclusive=True,
        )

    def _session_changed(self, change: Change) -> None:
        if isinstance(change, Notice):
            self.notify(
                change.message,
                title=change.title,
                severity=change.severity,
                timeout=change.timeout,
            )
        elif isinstance(change, SelectionChanged):
            self.sub_title = self._identity()

    def _identity(self) -> str:
        selection = self.session.selection
        if selection is None:
            return "no profile yet"
        region = f"{selection.region.code} {selection.region.name}"
        where = " · from environment" if selection.overrides else ""
        if self.session.demo is not None:
            # The title says DEMO: room for the address at 80 columns.
            return f"built-in emulator → {selection.base_url}"
        server = f"→ {selection.server}" if selection.server else region
        return f"{selection.label} · {server}{where}"

    async def on_unmount(self) -> None:
        await self.session.close()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        # Toasts carry what people typed and servers said, never markup: an event named "a[/]"
        # would otherwise be parsed as markup, and crash the app.
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _fatal_error(self) -> None:
        # Textual's report is a traceback with local variables, and a local may be a passcode:
        # one line instead, and the traceback (without locals) only when asked for.
        error = sys.exc_info()[1] or self._exception or Exception("no details")
        self.bell()
        self._exit_renderables.append(Text(f"cttui: {unexpected(error)}"))
        if os.environ.get(DEBUG_VARIABLE):
            from rich.traceback import Traceback  # a crash's cost, not every start's

            self._exit_renderables.append(
                Traceback.from_exception(type(error), error, error.__traceback__)
            )
        self._close_messages_no_wait()

    def _apply_saved_theme(self) -> None:
        theme = self.session.config.theme
        if theme is None:
            return
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(
                f"config.toml names theme {theme!r}, which this version lacks; "
                "pick one with ctrl+p > Theme",
                severity="warning",
            )

    def _remember_theme(self, _: object) -> None:
        # The demo's store writes it to the demo's own state, never to the user's config.toml.
        theme = self.theme
        if not self.session.remember_theme(theme):
            return

        def save() -> None:
            try:
                self.session.store.set_theme(theme)
            except CttuiError as error:
                # A full disk or an unwritable config.toml is the user's to fix, not a bug.
                self.call_from_thread(
                    self.notify,
                    f"{error.message}; {theme} stays for this session only",
                    title="Theme not saved",
                    severity="warning",
                )

        start(self, save, name="Saving the theme", thread=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys for the screen already showing would do nothing: keep them out of the footer.
        return getattr(beneath_palette(self), "OPENED_BY", None) != action

    async def action_quit(self) -> None:
        if self._main is None or not self._main.holds_unsent_work:
            self.exit()
            return
        from cttui.tui.screens.confirm import ConfirmScreen

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                "The editor holds a query that was never run; quitting drops it. Quit anyway?",
                yes="Quit",
                no="Keep editing",
            ),
            answered,
        )

    def action_help(self) -> None:
        from cttui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_credentials(self) -> None:
        from cttui.tui.screens.credentials import CredentialsScreen

        if not isinstance(self.screen, CredentialsScreen):
            self.push_screen(CredentialsScreen(self.session))

    def action_favorites(self) -> None:
        from cttui.tui.screens.favorites import FavoritesScreen

        if not isinstance(self.screen, FavoritesScreen):
            self.push_screen(FavoritesScreen(self.session), self._load_favorite)

    async def _load_favorite(self, favorite: Favorite | None) -> None:
        if favorite is not None and self._main is not None:
            await self._main.load_favorite(favorite)

    def switch_profile(self, name: str) -> None:
        from cttui.tui.screens.credentials import switch_profile

        start(self, switch_profile(self, self.session, name), name=f"Switching to profile {name}")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # What a key does comes from ScreenActions; these are the actions no key has.
        selection = self.session.selection
        for profile in self.session.config.profiles:
            if selection is None or profile.name != selection.label:
                yield SystemCommand(
                    f"Switch profile: {profile.name}",
                    f"Make {profile.name} ({profile.account_id}, {profile.region.code}) active",
                    lambda name=profile.name: self.switch_profile(name),
                )
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command
