"""Profiles: name, account ID and region in config.toml; the passcode in the OS keyring.

Blocking keyring and file work runs in thread workers, the connection test in an async one;
each posts a message and the handlers here own what the screen shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from cttui.api.errors import CttuiError, UsageError
from cttui.api.regions import DEFAULT_REGION, REGIONS, Region, get_region
from cttui.api.regions import parse_dashboard_url as dashboard_url
from cttui.store.config import (
    Config,
    Profile,
    account_id_warning,
    check_account_id,
    check_profile_name,
)
from cttui.store.credentials import Deleted, KeyringUnavailable, PasscodeMissing, check_passcode
from cttui.store.selection import ENV_PASSCODE
from cttui.tui.commands import Unbound
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.workers import start

if TYPE_CHECKING:
    from cttui.session.core import Session

NEW_PROFILE = "\x00new"


class PasscodeChecked(Message):
    def __init__(self, name: str, saved: bool | None, error: str | None) -> None:
        super().__init__()
        self.name = name
        self.saved = saved
        self.error = error


class DeletePlanned(Message):
    """What deleting profile `name` would do to the keyring, for the question before it."""

    def __init__(self, name: str, account_id: str, plan: Deleted) -> None:
        super().__init__()
        self.name = name
        self.account_id = account_id
        self.plan = plan


class ProfileSaved(Message):
    def __init__(self, config: Config, name: str) -> None:
        super().__init__()
        self.config = config
        self.name = name


class ProfileDeleted(Message):
    def __init__(self, config: Config, name: str, note: str) -> None:
        super().__init__()
        self.config = config
        self.name = name
        self.note = note


class StoreFailed(Message):
    """Saving or deleting was refused; `keyring` says whether the keyring was the cause."""

    def __init__(self, text: str, field: str, keyring: bool) -> None:
        super().__init__()
        self.text = text
        self.field = field
        self.keyring = keyring


class ConnectionTested(Message):
    def __init__(self, ok: bool, text: str) -> None:
        super().__init__()
        self.ok = ok
        self.text = text


def _region_label(region: Region) -> str:
    return f"{region.code:<5} {region.name} ({region.host})"


class CredentialsScreen(ShowsFailedWorkers, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="save-profile"),
        Binding("ctrl+t", "test", "Test connection", id="test-connection"),
        Binding("ctrl+n", "new", "New profile", id="new-profile"),
        Binding("f8", "delete", "Delete", id="delete-profile"),
        Binding("escape", "back", "Back", id="back"),
    ]

    def __init__(self, session: Session, first_run: bool = False) -> None:
        super().__init__()
        self.session = session
        self._first_run = first_run
        self._editing: str | None = None
        self._loaded: tuple[str, str, str] = ("", "", DEFAULT_REGION.code)
        self._saved_passcode: bool | None = None
        self._from_url: str | None = None
        self._keyring_error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="credentials"):
            with Vertical(id="profile-pane"):
                yield OptionList(id="profiles")
            with VerticalScroll(id="profile-form"):
                if self._first_run:
                    yield Static(
                        "Welcome to cttui. Add the CleverTap account to count on: its account "
                        "ID and region are on the dashboard (Settings > Project), and its "
                        "passcode goes to the OS keyring.",
                        id="welcome",
                    )
                with Vertical(id="keyring-banner", classes="banner"):
                    yield Static(id="keyring-text", markup=False)
                    yield Button("Keep passcodes for this session only", id="session-only")
                yield Static(id="env-banner", classes="banner", markup=False)
                with Horizontal(classes="field"):
                    yield Label("Profile name")
                    yield Input(
                        placeholder="work, staging, ...",
                        id="name",
                        max_length=40,
                        select_on_focus=False,
                    )
                with Horizontal(classes="field"):
                    yield Label("Account ID")
                    yield Input(
                        placeholder="XXX-XXX-XXXX, or paste a dashboard URL",
                        id="account-id",
                        select_on_focus=False,
                    )
                yield Static(id="account-note", classes="note", markup=False)
                with Horizontal(classes="field"):
                    yield Label("Region")
                    yield Select[str](
                        [(_region_label(region), region.code) for region in REGIONS],
                        allow_blank=False,
                        value=DEFAULT_REGION.code,
                        id="region",
                    )
                with Horizontal(classes="field"):
                    yield Label("Passcode")
                    yield Input(password=True, id="passcode", select_on_focus=False)
                yield Static(id="passcode-note", classes="note", markup=False)
                with Horizontal(id="form-buttons"):
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Test connection", id="test")
                    yield Button("Use this profile", id="use")
                    yield Button("Delete", id="delete", variant="error")
                yield Static(id="status", markup=False)
        yield Footer()

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
        self.query_one("#name", Input).value = name
        self.query_one("#account-id", Input).value = account_id
        self.query_one("#region", Select).value = region
        self.query_one("#passcode", Input).value = ""
        self._saved_passcode = None
        self._show_passcode_note()
        self._say("")
        self.query_one("#delete", Button).disabled = profile is None
        self.query_one("#use", Button).disabled = profile is None
        self.query_one("#profile-form").border_title = (
            f"Profile {profile.name}" if profile else "New profile"
        )
        if profile is not None:
            self._check_passcode(profile)
        self.query_one("#name" if profile is None else "#account-id", Input).focus()

    def _values(self) -> tuple[str, str, str]:
        region = self.query_one("#region", Select).value
        return (
            self.query_one("#name", Input).value.strip(),
            self.query_one("#account-id", Input).value.strip(),
            region if isinstance(region, str) else DEFAULT_REGION.code,
        )

    @property
    def dirty(self) -> bool:
        return self._values() != self._loaded or bool(self.query_one("#passcode", Input).value)

    def _say(self, text: str, kind: str = "") -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        for name in ("-error", "-ok", "-busy"):
            status.set_class(name == f"-{kind}", name)

    def _problem(self, field: str, text: str) -> None:
        self._say(text, "error")
        if field:
            self.query_one(f"#{field}").focus()

    @staticmethod
    def _note(note: Static, text: str, warning: bool = False) -> None:
        """A line under a field, taking no room when there is nothing to say."""
        note.update(text)
        note.display = bool(text)
        note.set_class(warning, "-warning")

    def _show_passcode_note(self) -> None:
        note = self.query_one("#passcode-note", Static)
        passcode = self.query_one("#passcode", Input)
        where = "for this session only" if self.session.session_only else "in the OS keyring"
        if self.session.demo is not None:
            where = "in memory (demo)"
        if self._saved_passcode:
            passcode.placeholder = "saved: type a new one to replace it"
            self._note(note, f"A passcode is saved {where}. It is never shown again.")
        elif self._keyring_error and not self.session.session_only:
            passcode.placeholder = "the account's passcode (hidden as you type)"
            self._note(note, "With no usable keyring it cannot be saved: see above.", True)
        else:
            passcode.placeholder = "the account's passcode (hidden as you type)"
            self._note(note, f"It will be kept {where}, and nowhere else.")

    def _show_banners(self, keyring_error: str | None) -> None:
        self._keyring_error = keyring_error
        banner = self.query_one("#keyring-banner")
        text = self.query_one("#keyring-text", Static)
        button = self.query_one("#session-only", Button)
        if self.session.session_only and self.session.demo is None:
            text.update(
                "Passcodes are kept for this session only and forgotten when cttui quits. "
                f"For scripts, set {ENV_PASSCODE} instead."
            )
            banner.display, button.display = True, False
        elif keyring_error:
            text.update(
                f"No usable OS keyring: {keyring_error}. cttui keeps passcodes nowhere else. "
                f"Keep this one for this session only, or quit and set {ENV_PASSCODE}."
            )
            banner.display, button.display = True, True
        else:
            banner.display = False
        env = self.query_one("#env-banner", Static)
        selection = self.session.selection
        overrides = selection.overrides if selection else ()
        env.display = bool(overrides)
        if overrides:
            env.update(
                f"{', '.join(overrides)} from the environment override the active profile for "
                "this run; they are never saved."
            )

    # Reacting to the user

    @on(OptionList.OptionSelected, "#profiles")
    def _pick(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name == self._editing or (name == NEW_PROFILE and self._editing is None):
            return
        profile = self.session.config.profile(name) if name and name != NEW_PROFILE else None
        self._leave_form(lambda: self._load(profile))

    @on(Input.Changed, "#account-id")
    def _account_changed(self, event: Input.Changed) -> None:
        note = self.query_one("#account-note", Static)
        text = event.value.strip()
        if "dashboard.clevertap.com" in text.lower():
            try:
                region, account_id = dashboard_url(text)
            except UsageError as error:
                self._note(note, error.message, warning=True)
                return
            self._from_url = account_id
            event.input.value = account_id
            self.query_one("#region", Select).value = region.code
            self._note(note, f"Filled from the dashboard URL: {account_id} in {region.name}.")
            return
        if text == self._from_url:
            return  # The value just filled in from a URL: keep saying where it came from.
        self._from_url = None
        warning = account_id_warning(text) if text else None
        self._note(note, warning or "", warning=True)

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
        self._say("Passcodes are now kept in memory until you quit. Save again to keep this one.")

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

    def _form_profile(self, named: bool = True) -> tuple[Profile, str]:
        """The form as a profile and the typed passcode; `named=False` for a test, which
        needs no name."""
        name_text, account_text, region_code = self._values()
        try:
            name = check_profile_name(name_text) if named else name_text
        except UsageError as error:
            raise _FieldError("name", error.message) from None
        try:
            account_id = check_account_id(account_text)
        except UsageError as error:
            raise _FieldError("account-id", error.message) from None
        passcode = self.query_one("#passcode", Input).value
        if passcode:
            try:
                check_passcode(passcode, "the passcode")
            except UsageError as error:
                raise _FieldError("passcode", error.message) from None
        return Profile(name, account_id, get_region(region_code)), passcode

    def action_save(self) -> None:
        try:
            profile, passcode = self._form_profile()
        except _FieldError as error:
            self._problem(error.field, error.text)
            return
        replacing = self._editing
        store = self.session.store

        def save() -> None:
            try:
                config = store.save_profile(profile, passcode or None, replacing)
            except KeyringUnavailable as error:
                self.post_message(StoreFailed(error.reason, "passcode", keyring=True))
            except PasscodeMissing as error:
                self.post_message(StoreFailed(error.message, "passcode", keyring=False))
            except CttuiError as error:
                self.post_message(StoreFailed(error.message, "name", keyring=False))
            else:
                self.post_message(ProfileSaved(config, profile.name))

        self._say("Saving...", "busy")
        start(self, save, name="Saving the profile", thread=True)

    def action_delete(self) -> None:
        name = self._editing
        if name is None:
            self._problem("", "This profile is not saved yet: there is nothing to delete.")
            return
        store = self.session.store
        account_id = self._loaded[1]

        def plan() -> None:
            try:
                planned = store.delete_plan(name)
            except CttuiError as error:
                self.post_message(StoreFailed(error.message, "", keyring=False))
            else:
                self.post_message(DeletePlanned(name, account_id, planned))

        # The keyring tells what will happen to the passcode: asked on a thread, it may block.
        start(self, plan, name="Reading the keyring", thread=True)

    def on_delete_planned(self, message: DeletePlanned) -> None:
        name, store = message.name, self.session.store

        def delete() -> None:
            try:
                config, outcome = store.delete_profile(name)
            except CttuiError as error:
                self.post_message(StoreFailed(error.message, "", keyring=False))
            else:
                self.post_message(ProfileDeleted(config, name, outcome.describe(done=True)))

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
            self._problem("", "Save this profile first, then make it the active one.")
            return
        start(
            self,
            switch_profile(self.app, self.session, self._editing),
            name=f"Switching to profile {self._editing}",
        )

    def action_test(self) -> None:
        try:
            profile, passcode = self._form_profile(named=False)
        except _FieldError as error:
            self._problem(error.field, error.text)
            return
        self._say(f"Testing {profile.account_id} in {profile.region.name}...", "busy")
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
        store = self.session.store

        def check() -> None:
            try:
                saved = store.saved_passcode(profile) is not None
            except KeyringUnavailable as error:
                self.post_message(PasscodeChecked(profile.name, None, error.reason))
            else:
                self.post_message(PasscodeChecked(profile.name, saved, None))

        start(
            self,
            check,
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
        self._say(f"Saved profile {message.name}.{active}", "ok")
        self.notify(f"Saved profile {message.name}", title="Credentials")

    def on_profile_deleted(self, message: ProfileDeleted) -> None:
        self.session.apply_config(message.config)
        active = message.config.active_profile
        self._fill_list(message.config, active.name if active else None)
        self._load(active)
        self._say(f"Deleted profile {message.name}; {message.note}.", "ok")
        self.notify(f"Deleted profile {message.name}", title="Credentials")

    def on_store_failed(self, message: StoreFailed) -> None:
        if message.keyring:
            self._show_banners(message.text)
            self._show_passcode_note()
            self._problem("passcode", f"Not saved: the OS keyring is not usable ({message.text}).")
        else:
            self._problem(message.field, message.text)

    def on_connection_tested(self, message: ConnectionTested) -> None:
        self._say(message.text, "ok" if message.ok else "error")


async def switch_profile(app: App[Any], session: Session, name: str) -> None:
    """Make `name` the active profile, saying so (or why not) in a toast."""
    try:
        await session.switch_profile(name)
    except CttuiError as error:
        app.notify(error.message, title="Profile not switched", severity="error")
    else:
        app.notify(f"Active profile: {name}")


class _FieldError(Exception):
    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field
        self.text = text
