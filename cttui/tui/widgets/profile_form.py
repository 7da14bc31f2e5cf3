"""The form for one profile: name, account ID (or a dashboard URL that fills it and the
region), region and passcode, its buttons, and a status line under them."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from cttui.api.errors import UsageError
from cttui.api.regions import DEFAULT_REGION, REGIONS, Region, get_region
from cttui.api.regions import parse_dashboard_url as dashboard_url
from cttui.store.config import Profile, account_id_warning, check_account_id, check_profile_name
from cttui.store.credentials import check_passcode
from cttui.store.selection import ENV_PASSCODE


def region_label(region: Region) -> str:
    return f"{region.code:<5} {region.name} ({region.host})"


class ProfileForm(VerticalScroll):
    """What the user types for a profile; the screen decides what it means and says so here."""

    def __init__(self, *, first_run: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self._first_run = first_run
        self._from_url: str | None = None

    def compose(self) -> ComposeResult:
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
                [(region_label(region), region.code) for region in REGIONS],
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

    def fill(self, name: str, account_id: str, region: str) -> None:
        self.query_one("#name", Input).value = name
        self.query_one("#account-id", Input).value = account_id
        self.query_one("#region", Select).value = region
        self.query_one("#passcode", Input).value = ""

    def values(self) -> tuple[str, str, str]:
        """The name, account ID and region code as typed."""
        region = self.query_one("#region", Select).value
        return (
            self.query_one("#name", Input).value.strip(),
            self.query_one("#account-id", Input).value.strip(),
            region if isinstance(region, str) else DEFAULT_REGION.code,
        )

    @property
    def passcode(self) -> str:
        return self.query_one("#passcode", Input).value

    def say(self, text: str, kind: str = "") -> None:
        """The status line: `kind` is "error", "ok", "busy" or nothing."""
        status = self.query_one("#status", Static)
        status.update(text)
        for name in ("-error", "-ok", "-busy"):
            status.set_class(name == f"-{kind}", name)

    def problem(self, field: str, text: str) -> None:
        """Say what is wrong, the focus on `field` (an input's id) when there is one."""
        self.say(text, "error")
        if field:
            self.query_one(f"#{field}").focus()

    @staticmethod
    def note(note: Static, text: str, warning: bool = False) -> None:
        """A line under a field, taking no room when there is nothing to say."""
        note.update(text)
        note.display = bool(text)
        note.set_class(warning, "-warning")

    def show_passcode_note(self, saved: bool | None, unsaveable: bool, where: str) -> None:
        """Under the passcode: whether one is `saved`, or cannot be (`unsaveable`), and
        `where` it is kept."""
        note = self.query_one("#passcode-note", Static)
        passcode = self.query_one("#passcode", Input)
        if saved:
            passcode.placeholder = "saved: type a new one to replace it"
            self.note(note, f"A passcode is saved {where}. It is never shown again.")
        elif unsaveable:
            passcode.placeholder = "passcode (hidden as you type)"
            self.note(note, "With no usable keyring it cannot be saved: see above.", True)
        else:
            passcode.placeholder = "passcode (hidden as you type)"
            self.note(note, f"It will be kept {where}, and nowhere else.")

    def show_banners(
        self, session_only: bool, keyring_error: str | None, overrides: Sequence[str]
    ) -> None:
        """Above the fields: where passcodes go when not to the keyring, and which values the
        environment overrides."""
        banner = self.query_one("#keyring-banner")
        text = self.query_one("#keyring-text", Static)
        button = self.query_one("#session-only", Button)
        if session_only:
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
        env.display = bool(overrides)
        if overrides:
            env.update(
                f"{', '.join(overrides)} from the environment override the active profile for "
                "this run; they are never saved."
            )

    @on(Input.Changed, "#account-id")
    def _account_changed(self, event: Input.Changed) -> None:
        note = self.query_one("#account-note", Static)
        text = event.value.strip()
        if "dashboard.clevertap.com" in text.lower():
            try:
                region, account_id = dashboard_url(text)
            except UsageError as error:
                self.note(note, error.message, warning=True)
                return
            self._from_url = account_id
            event.input.value = account_id
            self.query_one("#region", Select).value = region.code
            self.note(note, f"Filled from the dashboard URL: {account_id} in {region.name}.")
            return
        if text == self._from_url:
            return  # The value just filled in from a URL: keep saying where it came from.
        self._from_url = None
        warning = account_id_warning(text) if text else None
        self.note(note, warning or "", warning=True)

    def profile(self, named: bool = True) -> tuple[Profile, str]:
        """The form as a profile and the typed passcode; `named=False` for a test, which
        needs no name."""
        name_text, account_text, region_code = self.values()
        try:
            name = check_profile_name(name_text) if named else name_text
        except UsageError as error:
            raise FieldError("name", error.message) from None
        try:
            account_id = check_account_id(account_text)
        except UsageError as error:
            raise FieldError("account-id", error.message) from None
        passcode = self.passcode
        if passcode:
            try:
                check_passcode(passcode, "the passcode")
            except UsageError as error:
                raise FieldError("passcode", error.message) from None
        return Profile(name, account_id, get_region(region_code)), passcode


class FieldError(Exception):
    """What the form holds is not a profile: `text` says why, `field` where."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field
        self.text = text
