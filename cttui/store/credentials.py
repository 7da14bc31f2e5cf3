"""Where a run's credentials come from: a profile, its passcode in the OS keyring, and the
environment, which overrides them for one run and is never saved.

The passcode lives in the OS keyring (service `cttui`, username the account ID) and nowhere else.
`keyring` is imported on first use, so commands that never need a stored passcode never pay
for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cttui.api.errors import UsageError
from cttui.api.regions import DEFAULT_REGION, Region, check_base_url, get_region, region_of
from cttui.store.config import (
    Config,
    Profile,
    check_account_id,
    load_config,
    save_config,
    unknown_profile,
)

ENV_ACCOUNT_ID = "CLEVERTAP_ACCOUNT_ID"
ENV_PASSCODE = "CLEVERTAP_PASSCODE"
ENV_REGION = "CLEVERTAP_REGION"
ENV_BASE_URL = "CTTUI_BASE_URL"
KEYRING_SERVICE = "cttui"
# The demo's profile, held in memory only; its jobs carry this name in the demo's journal.
DEMO_PROFILE = "demo"

if TYPE_CHECKING:
    from cttui.api.client import Credentials

NO_CREDENTIALS = (
    "no credentials: save a profile with 'cttui credentials set --account-id ID --region R', "
    f"or set {ENV_ACCOUNT_ID} and {ENV_PASSCODE}"
)


class KeyringUnavailable(UsageError):
    """The OS keyring cannot be used: missing, locked, refused, or not reachable."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the OS keyring is not usable ({reason})")
        self.reason = reason


class PasscodeMissing(UsageError):
    """A profile cannot be saved without a passcode when none is stored for its account."""


class Passcodes(Protocol):
    """Where passcodes are kept, by account ID."""

    def get(self, account_id: str) -> str | None: ...

    def set(self, account_id: str, passcode: str) -> None: ...

    def delete(self, account_id: str) -> bool: ...


def _reason(error: Exception) -> str:
    from keyring.errors import KeyringLocked, NoKeyringError

    detail = str(error).strip().rstrip(".")
    if isinstance(error, NoKeyringError):
        return "no keyring backend found; install and unlock one such as gnome-keyring or KWallet"
    if isinstance(error, KeyringLocked):
        return "the keyring is locked; unlock it and try again"
    if isinstance(error, RuntimeError) and not detail:
        detail = "the Secret Service could not be reached"
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


class OsKeyring:
    """The OS keyring through the `keyring` package; any failure is a KeyringUnavailable."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service

    def get(self, account_id: str) -> str | None:
        import keyring

        try:
            passcode: str | None = keyring.get_password(self.service, account_id)
        except Exception as error:  # Backends raise anything from D-Bus, locks or prompts.
            raise KeyringUnavailable(_reason(error)) from None
        return passcode

    def set(self, account_id: str, passcode: str) -> None:
        import keyring

        try:
            keyring.set_password(self.service, account_id, passcode)
            kept = keyring.get_password(self.service, account_id)
        except Exception as error:
            raise KeyringUnavailable(_reason(error)) from None
        if kept != passcode:
            raise KeyringUnavailable("it accepted the passcode but did not keep it")

    def delete(self, account_id: str) -> bool:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            if keyring.get_password(self.service, account_id) is None:
                return False
            keyring.delete_password(self.service, account_id)
        except PasswordDeleteError:
            return False
        except Exception as error:
            raise KeyringUnavailable(_reason(error)) from None
        return True


@dataclass
class SessionPasscodes:
    """Passcodes held in this process only, for when there is no usable keyring (or the demo)."""

    _kept: dict[str, str] = field(default_factory=dict, repr=False)

    def get(self, account_id: str) -> str | None:
        return self._kept.get(account_id)

    def set(self, account_id: str, passcode: str) -> None:
        self._kept[account_id] = passcode

    def delete(self, account_id: str) -> bool:
        return self._kept.pop(account_id, None) is not None


@dataclass(frozen=True)
class Connection:
    """Everything needed to talk to one account: who, and on which host."""

    credentials: Credentials
    region: Region
    base_url: str
    source: str
    profile: str | None = None


@dataclass(frozen=True)
class Selection:
    """Which account a run talks to, before its passcode is looked up.

    `profile` is the stored profile it came from, if any; `overrides` names the environment
    variables that replaced what the profile says.
    """

    account_id: str
    region: Region
    base_url: str
    profile: Profile | None
    overrides: tuple[str, ...]
    env_passcode: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.profile.name if self.profile else self.account_id

    @property
    def source(self) -> str:
        if self.profile is None:
            return "environment"
        if self.overrides:
            return f"profile {self.profile.name}, with {', '.join(self.overrides)} from environment"
        return f"profile {self.profile.name}"


def needs_config(environ: Mapping[str, str], profile_name: str | None) -> bool:
    """Whether config.toml has to be read: not when the environment says everything."""
    env_complete = bool(environ.get(ENV_ACCOUNT_ID, "").strip() and environ.get(ENV_PASSCODE))
    return profile_name is not None or not env_complete


def select(environ: Mapping[str, str], config: Config, profile_name: str | None) -> Selection:
    """The account to use: `profile_name` or the active profile, each field overridden by the
    environment. A different account ID from the environment brings its own region (or the
    default one), never the profile's."""
    profile: Profile | None
    if profile_name is not None:
        profile = config.profile(profile_name)
        if profile is None:
            raise unknown_profile(profile_name, config)
    else:
        profile = config.active_profile
    overrides: list[str] = []
    env_account = environ.get(ENV_ACCOUNT_ID, "").strip()
    env_region = environ.get(ENV_REGION, "").strip()
    env_passcode = environ.get(ENV_PASSCODE) or None
    if env_account:
        account_id = check_account_id(env_account)
        if profile is not None and profile.account_id != account_id:
            profile = None
        overrides.append(ENV_ACCOUNT_ID)
    elif profile is not None:
        account_id = profile.account_id
    elif env_passcode:
        raise UsageError(
            f"{ENV_PASSCODE} is set but there is no {ENV_ACCOUNT_ID} and no saved profile; "
            f"set {ENV_ACCOUNT_ID} too, or save a profile with 'cttui credentials set'"
        )
    else:
        raise UsageError(NO_CREDENTIALS)
    if env_region:
        region = get_region(env_region)
        overrides.append(ENV_REGION)
    else:
        region = profile.region if profile is not None else DEFAULT_REGION
    if env_passcode:
        overrides.append(ENV_PASSCODE)
    base_url_text = environ.get(ENV_BASE_URL, "").strip()
    base_url = check_base_url(base_url_text) if base_url_text else region.base_url
    return Selection(account_id, region, base_url, profile, tuple(overrides), env_passcode)


def for_job(
    environ: Mapping[str, str], config: Config, account_id: str, base_url: str, profile: str | None
) -> Selection:
    """The account a job from the journal runs on: its own account and host, whatever is
    active now. The passcode comes from the environment when that names the same account,
    else from the keyring, as for any run."""
    env_passcode = None
    if environ.get(ENV_ACCOUNT_ID, "").strip() == account_id:
        env_passcode = environ.get(ENV_PASSCODE) or None
    stored = config.profile(profile) if profile else None
    if stored is not None and stored.account_id != account_id:
        stored = None
    url = check_base_url(base_url)
    region = stored.region if stored else region_of(url)
    return Selection(account_id, region, url, stored, (), env_passcode)


def connect(selection: Selection, passcodes: Passcodes) -> Connection:
    """The selection with its passcode: from the environment, else from the keyring."""
    from cttui.api.client import Credentials  # Brings httpx: only for a run that connects.

    passcode = selection.env_passcode
    if passcode is None:
        try:
            passcode = passcodes.get(selection.account_id)
        except KeyringUnavailable as error:
            raise UsageError(
                f"cannot read the passcode for {selection.label}: {error}; set {ENV_PASSCODE} "
                "for this run, or install and unlock a keyring such as gnome-keyring"
            ) from None
        if passcode is None:
            how = (
                f"--profile {selection.profile.name}"
                if selection.profile
                else f"--account-id {selection.account_id}"
            )
            raise UsageError(
                f"no passcode for {selection.label} in the keyring; save it with "
                f"'cttui credentials set {how}' or set {ENV_PASSCODE}"
            )
    credentials = Credentials(selection.account_id, passcode)
    profile = selection.profile.name if selection.profile else None
    return Connection(credentials, selection.region, selection.base_url, selection.source, profile)


def from_environment(environ: Mapping[str, str]) -> Connection:
    """Credentials from the environment alone (the demo's emulator, and runs with no profile)."""
    return connect(select(environ, Config(), None), SessionPasscodes())


@dataclass(frozen=True)
class Deleted:
    """What deleting a profile did to the keyring: removed its passcode, found none, left it
    because another profile shares the account, or could not reach the keyring (`error`)."""

    passcode_removed: bool
    shared: bool = False
    error: str | None = None


class CredentialStore:
    """Profiles in config.toml with their passcodes, kept in step: what both the credentials
    screen and `cttui credentials` do. With no `config_path` the profiles live in memory only
    (the demo)."""

    def __init__(
        self, config_path: Path | None, passcodes: Passcodes, config: Config | None = None
    ) -> None:
        self.config_path = config_path
        self.passcodes = passcodes
        self._memory = config or Config()

    def load(self) -> Config:
        if self.config_path is None:
            return self._memory
        return load_config(self.config_path)

    def _write(self, config: Config) -> Config:
        if self.config_path is None:
            self._memory = config
        else:
            save_config(config, self.config_path)
        return config

    def save_profile(
        self, profile: Profile, passcode: str | None, replacing: str | None = None
    ) -> Config:
        """Store the profile (in place of `replacing`, for an edit) and its passcode if given.

        The passcode goes to the keyring before the profile is written, so a keyring failure
        leaves config.toml as it was."""
        config = self.load()
        old = config.profile(replacing) if replacing else None
        changed = config.with_profile(profile, old.name if old else None)
        if passcode:
            self.passcodes.set(profile.account_id, passcode)
        elif self.passcodes.get(profile.account_id) is None:
            raise PasscodeMissing(
                f"enter the passcode for {profile.account_id}: none is saved for it yet"
            )
        self._write(changed)
        accounts = {p.account_id for p in changed.profiles}
        if old is not None and old.account_id not in accounts:
            # The old account's passcode would otherwise stay in the keyring with no profile.
            with suppress(KeyringUnavailable):
                self.passcodes.delete(old.account_id)
        return changed

    def delete_profile(self, name: str) -> tuple[Config, Deleted]:
        config = self.load()
        profile = config.profile(name)
        if profile is None:
            raise unknown_profile(name, config)
        if config.shares_account(profile):
            outcome = Deleted(passcode_removed=False, shared=True)
        else:
            try:
                outcome = Deleted(passcode_removed=self.passcodes.delete(profile.account_id))
            except KeyringUnavailable as error:
                outcome = Deleted(passcode_removed=False, error=error.reason)
        return self._write(config.without_profile(name)), outcome

    def use(self, name: str) -> Config:
        return self._write(self.load().with_active(name))

    def set_theme(self, theme: str) -> Config:
        return self._write(self.load().with_theme(theme))
