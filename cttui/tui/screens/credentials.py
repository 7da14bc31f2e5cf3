"""Profiles: name, account ID and region in config.toml; the passcode in the OS keyring.

Blocking keyring and file work (keyring_work.py) runs in thread workers, the connection test in
an async one; each posts a message and the handlers here own what the screen shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header, Input, OptionList, Select
from textual.widgets.option_list import Option

from cttui.api.errors import CttuiError
from cttui.api.regions import DEFAULT_REGION
from cttui.store.config import Config, Profile
from cttui.tui.commands import Unbound
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.keys import bindings
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.keyring_work import (
    ConnectionTested,
    DeletePlanned,
    PasscodeChecked,
    ProfileDeleted,
    ProfileSaved,
    StoreFailed,
    delete_profile,
    plan_delete,
    read_saved_passcode,
    save_profile,
)
from cttui.tui.widgets.footer import KeysFooter
from cttui.tui.widgets.profile_form import FieldError, ProfileForm
from cttui.tui.workers import start

# Fewer rows than this and the form goes without borders (see on_resize).
SHORT = 32

if TYPE_CHECKING:
    from cttui.session.core import Session

NEW_PROFILE = "\x00new"


class CredentialsScreen(ShowsFailedWorkers, Screen[None]):
    # The app action that shows this screen: the app leaves its key out while it shows.
    OPENED_BY: ClassVar[str] = "credentials"
    BINDINGS: ClassVar[list[BindingType]] = bindings("credentials-screen")
    # Below 100 columns the profile list narrows and the buttons go two by two (cttui.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012

    def __init__(self, session: Session, first_run: bool = False) -> None:
        super().__init__()
        self.session = session
        self._first_run = first_run
        self._editing: str | None = None
        self._loaded: tuple[str, str, str] = ("", "", DEFAULT_REGION.code)
        self._saved_passcode: bool | None = None
        self._keyring_error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="credentials"):
            with Vertical(id="profile-pane"):
                yield OptionList(id="profiles")
            yield ProfileForm(first_run=self._first_run, id="profile-form")
        yield KeysFooter()

    def on_resize(self, event: events.Resize) -> None:
        # Below 32 rows the form's fields and buttons drop their borders: at 80x24 every field,
        # button and the status line show without scrolling.
        short = event.size.height < SHORT
        for widget in self.query("#profile-form Input, #profile-form Select, #profile-form Button"):
            if isinstance(widget, Input | Select | Button):
                widget.compact = short
        self.set_class(short, "-short")

    def on_mount(self) -> None:
        self.query_one("#profile-pane").border_title = "Profiles"
        self.query_one("#profile-form").border_title = "Profile"
        self._show_banners(keyring_error=None)
        config = self.session.config
        selection = self.session.selection
        current = selection.profile.name if selection and selection.profile else config.active
        self._fill_list(config, current)
        profile = config.profile(current) if current else None
        self._load(profile)

    # The form

    def _fill_list(self, config: Config, highlight: str | None) -> None:
        options = self.query_one("#profiles", OptionList)
        options.clear_options()
        for profile in config.profiles:
            mark = "* " if profile.name == config.active else "  "
            options.add_option(
                Option(f"{mark}{profile.name}  {profile.region.code}", id=profile.name)
            )
        options.add_option(Option("+ new profile", id=NEW_PROFILE))
        target = highlight if highlight and config.profile(highlight) else NEW_PROFILE
        options.highlighted = options.get_option_index(target)

    def _load(self, profile: Profile | None) -> None:
        self._editing = profile.name if profile else None
        name, account_id, region = (
            (profile.name, profile.account_id, profile.region.code)
            if profile
            else ("", "", DEFAULT_REGION.code)
        )
        self._loaded = (name, account_id, region)
        self.form.fill(name, account_id, region)
        self._saved_passcode = None
        self._show_passcode_note()
        self.form.say("")
        self.query_one("#delete", Button).disabled = profile is None
        self.query_one("#use", Button).disabled = profile is None
        self.query_one("#profile-form").border_title = (
            f"Profile {profile.name}" if profile else "New profile"
        )
        if profile is not None:
            self._check_passcode(profile)
        self.query_one("#name" if profile is None else "#account-id", Input).focus()

    @property
    def form(self) -> ProfileForm:
        return self.query_one(ProfileForm)

    @property
    def dirty(self) -> bool:
        return self.form.values() != self._loaded or bool(self.form.passcode)

    def _show_passcode_note(self) -> None:
        where = "for this session only" if self.session.session_only else "in the OS keyring"
        if self.session.demo is not None:
            where = "in memory (demo)"
        unsaveable = bool(self._keyring_error) and not self.session.session_only
        self.form.show_passcode_note(self._saved_passcode, unsaveable, where)

    def _show_banners(self, keyring_error: str | None) -> None:
        self._keyring_error = keyring_error
        selection = self.session.selection
        self.form.show_banners(
            self.session.session_only and self.session.demo is None,
            keyring_error,
            selection.overrides if selection else (),
        )

    # Reacting to the user

    @on(OptionList.OptionSelected, "#profiles")
    def _pick(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name == self._editing or (name == NEW_PROFILE and self._editing is None):
            return
        profile = self.session.config.profile(name) if name and name != NEW_PROFILE else None
        self._leave_form(lambda: self._load(profile))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "save": self.action_save,
            "test": self.action_test,
            "use": self.action_use,
            "delete": self.action_delete,
            "session-only": self.action_session_only,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    def palette_unbound(self) -> Iterable[Unbound]:
        yield Unbound("use", "Use this profile", "Make the profile in the form the active one")
        yield Unbound(
            "session_only",
            "Keep passcodes for this session only",
            "With no usable keyring: in memory until cttui quits",
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use":
            return self._editing is not None
        if action == "session_only":
            return self.query_one("#session-only", Button).display and bool(
                self.query_one("#keyring-banner").display
            )
        return True

    def action_session_only(self) -> None:
        self.session.use_session_passcodes()
        self._show_banners(keyring_error=None)
        self._saved_passcode = False
        self._show_passcode_note()
        self.form.say(
            "Passcodes are now kept in memory until you quit. Save again to keep this one."
        )

    def _leave_form(self, then: Callable[[], object]) -> None:
        """Run `then` once unsaved edits are saved or knowingly dropped: never lose them."""
        if not self.dirty:
            then()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                then()
            else:
                self._fill_list(self.session.config, self._editing)

        self.app.push_screen(
            ConfirmScreen(
                "This profile has unsaved changes. Discard them?", "Discard", "Keep editing"
            ),
            answered,
        )

    def action_new(self) -> None:
        if self._editing is not None or self.dirty:
            self._leave_form(lambda: self._load(None))

    def action_back(self) -> None:
        self._leave_form(self.app.pop_screen)

    def action_save(self) -> None:
        try:
            profile, passcode = self.form.profile()
        except FieldError as error:
            self.form.problem(error.field, error.text)
            return
        save = partial(
            save_profile, self, self.session.store, profile, passcode or None, self._editing
        )
        self.form.say("Saving...", "busy")
        start(self, save, name="Saving the profile", thread=True)

    def action_delete(self) -> None:
        name = self._editing
        if name is None:
            self.form.problem("", "This profile is not saved yet: there is nothing to delete.")
            return
        plan = partial(plan_delete, self, self.session.store, name, self._loaded[1])
        # The keyring tells what will happen to the passcode: asked on a thread, it may block.
        start(self, plan, name="Reading the keyring", thread=True)

    def on_delete_planned(self, message: DeletePlanned) -> None:
        name = message.name
        delete = partial(delete_profile, self, self.session.store, name)

        def answered(yes: bool | None) -> None:
            if yes:
                start(self, delete, name="Deleting the profile", thread=True)

        fate = message.plan.describe(done=False)
        self.app.push_screen(
            ConfirmScreen(
                f"Delete profile {name} ({message.account_id})? {fate[:1].upper()}{fate[1:]}.",
                "Delete",
            ),
            answered,
        )

    def action_use(self) -> None:
        if self._editing is None or self.dirty:
            self.form.problem("", "Save this profile first, then make it the active one.")
            return
        start(
            self,
            switch_profile(self.app, self.session, self._editing),
            name=f"Switching to profile {self._editing}",
        )

    def action_test(self) -> None:
        try:
            profile, passcode = self.form.profile(named=False)
        except FieldError as error:
            self.form.problem(error.field, error.text)
            return
        from cttui.session.connection import destination

        where = destination(self.session.setup, profile)
        self.form.say(f"Testing {profile.account_id} {where}...", "busy")
        start(
            self,
            self._test(profile, passcode),
            name="Testing the connection",
            group="test-connection",
            exclusive=True,
        )

    async def _test(self, profile: Profile, typed: str) -> None:
        # With none typed, the saved passcode of the profile being edited, on its own account.
        saved = self.session.config.profile(self._editing) if self._editing else None
        result = await self.session.test_connection(profile, typed or None, saved)
        self.post_message(ConnectionTested(result.ok, result.message))

    # What the workers report

    def _check_passcode(self, profile: Profile) -> None:
        start(
            self,
            partial(read_saved_passcode, self, self.session.store, profile),
            name="Reading the keyring",
            group="passcode-check",
            exclusive=True,
            thread=True,
        )

    def on_passcode_checked(self, message: PasscodeChecked) -> None:
        self._show_banners(message.error)
        if message.name == self._editing:
            self._saved_passcode = message.saved
        self._show_passcode_note()

    def on_profile_saved(self, message: ProfileSaved) -> None:
        self.session.apply_config(message.config)
        self._fill_list(message.config, message.name)
        self._load(message.config.profile(message.name))
        self._saved_passcode = True
        self._show_passcode_note()
        active = " It is the active profile." if message.config.active == message.name else ""
        self.form.say(f"Saved profile {message.name}.{active}", "ok")
        self.notify(f"Saved profile {message.name}", title="Credentials")

    def on_profile_deleted(self, message: ProfileDeleted) -> None:
        self.session.apply_config(message.config)
        active = message.config.active_profile
        self._fill_list(message.config, active.name if active else None)
        self._load(active)
        self.form.say(f"Deleted profile {message.name}; {message.note}.", "ok")
        self.notify(f"Deleted profile {message.name}", title="Credentials")

    def on_store_failed(self, message: StoreFailed) -> None:
        if message.keyring:
            self._show_banners(message.text)
            self._show_passcode_note()
            self.form.problem(
                "passcode", f"Not saved: the OS keyring is not usable ({message.text})."
            )
        else:
            self.form.problem(message.field, message.text)

    def on_connection_tested(self, message: ConnectionTested) -> None:
        self.form.say(message.text, "ok" if message.ok else "error")


async def switch_profile(app: App[Any], session: Session, name: str) -> None:
    """Make `name` the active profile, saying so (or why not) in a toast."""
    try:
        await session.switch_profile(name)
    except CttuiError as error:
        app.notify(error.message, title="Profile not switched", severity="error")
    else:
        app.notify(f"Active profile: {name}")
