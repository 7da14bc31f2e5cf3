"""Where a run's credentials come from: a profile, its passcode in the OS keyring, and the
environment, which overrides them for one run and is never saved.

The passcode lives in the OS keyring and nowhere else, one entry per profile: see passcodes.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
from cttui.store.passcodes import (
    KEYRING_SERVICE,
    KeyringUnavailable,
    OsKeyring,
    Passcodes,
    SessionPasscodes,
    check_passcode,
    entry_name,
    retire_legacy,
    stored_passcode,
)

# The faces take every credentials name from here, those of passcodes.py included.
__all__ = [
    "DEMO_PROFILE",
    "ENV_ACCOUNT_ID",
    "ENV_BASE_URL",
    "ENV_PASSCODE",
    "ENV_REGION",
    "KEYRING_SERVICE",
    "NO_CREDENTIALS",
    "Connection",
    "CredentialStore",
    "Deleted",
    "KeyringUnavailable",
    "OsKeyring",
    "PasscodeMissing",
    "Passcodes",
    "Selection",
    "SessionPasscodes",
    "check_passcode",
    "connect",
    "entry_name",
    "for_job",
    "from_environment",
    "needs_config",
    "profiles_on",
    "select",
]

ENV_ACCOUNT_ID = "CLEVERTAP_ACCOUNT_ID"
ENV_PASSCODE = "CLEVERTAP_PASSCODE"
ENV_REGION = "CLEVERTAP_REGION"
ENV_BASE_URL = "CTTUI_BASE_URL"
# The demo's profile, held in memory only; its jobs carry this name in the demo's journal.
DEMO_PROFILE = "demo"

if TYPE_CHECKING:
    from cttui.api.client import Credentials

NO_CREDENTIALS = (
    "no credentials: save a profile with 'cttui credentials set --account-id ID --region R', "
    f"or set {ENV_ACCOUNT_ID} and {ENV_PASSCODE}"
)


class PasscodeMissing(UsageError):
    """A profile cannot be saved without a passcode when none is stored for it."""


def profiles_on(config: Config, account_id: str) -> tuple[str, ...]:
    """The names of the profiles on `account_id`, in config.toml's order."""
    return tuple(p.name for p in config.profiles if p.account_id == account_id)


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
    variables that replaced what the profile says. `account_profiles` names config.toml's
    profiles on this account, where a passcode may be found; `lost_profile` is the profile a job
    from the journal ran on that config.toml no longer has.
    """

    account_id: str
    region: Region
    base_url: str
    profile: Profile | None
    overrides: tuple[str, ...]
    env_passcode: str | None = field(default=None, repr=False)
    account_profiles: tuple[str, ...] = ()
    lost_profile: str | None = None

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
    env_passcode = _env_passcode(environ)
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
    return Selection(
        account_id,
        region,
        base_url,
        profile,
        tuple(overrides),
        env_passcode,
        profiles_on(config, account_id),
    )


def _env_passcode(environ: Mapping[str, str]) -> str | None:
    passcode = environ.get(ENV_PASSCODE) or None
    if passcode is not None:
        check_passcode(
            passcode, ENV_PASSCODE, "set it to the passcode alone, as the dashboard shows it"
        )
    return passcode


def for_job(
    environ: Mapping[str, str], config: Config, account_id: str, base_url: str, profile: str | None
) -> Selection:
    """The account a job from the journal runs on: its own account and host, whatever is
    active now. The passcode comes from the environment when that names the same account,
    else from the keyring, as for any run."""
    env_passcode = None
    if environ.get(ENV_ACCOUNT_ID, "").strip() == account_id:
        env_passcode = _env_passcode(environ)
    stored = config.profile(profile) if profile else None
    if stored is not None and stored.account_id != account_id:
        stored = None  # Renamed, and the name now taken by a profile on another account.
    url = check_base_url(base_url)
    region = stored.region if stored else region_of(url)
    lost = profile if profile and stored is None else None
    return Selection(
        account_id, region, url, stored, (), env_passcode, profiles_on(config, account_id), lost
    )


def connect(selection: Selection, passcodes: Passcodes) -> Connection:
    """The selection with its passcode: from the environment, else from the keyring."""
    from cttui.api.client import Credentials  # Brings httpx: only for a run that connects.

    passcode = selection.env_passcode
    if passcode is None:
        passcode = _kept_passcode(selection, passcodes)
    credentials = Credentials(selection.account_id, passcode)
    profile = selection.profile.name if selection.profile else None
    return Connection(credentials, selection.region, selection.base_url, selection.source, profile)


def _kept_passcode(selection: Selection, passcodes: Passcodes) -> str:
    account_id, lost = selection.account_id, selection.lost_profile
    name = selection.profile.name if selection.profile else lost
    try:
        passcode = stored_passcode(passcodes, account_id, name, selection.account_profiles)
    except KeyringUnavailable as error:
        raise UsageError(
            f"cannot read the passcode for {selection.label}: {error}; set {ENV_PASSCODE} "
            "for this run, or install and unlock a keyring such as gnome-keyring"
        ) from None
    how = (
        f"--profile {selection.profile.name}" if selection.profile else f"--account-id {account_id}"
    )
    if passcode is None and lost:
        raise UsageError(
            f"profile {lost}, which ran this job, is no longer saved; add it again with "
            f"'cttui credentials set --profile {lost} --account-id {account_id}', "
            f"or set {ENV_PASSCODE}"
        )
    if passcode is None:
        raise UsageError(
            f"no passcode for {selection.label} in the keyring; save it with "
            f"'cttui credentials set {how}' or set {ENV_PASSCODE}"
        )
    return check_passcode(
        passcode,
        f"the passcode saved for {selection.label}",
        f"save it again with 'cttui credentials set {how}'",
    )


def from_environment(environ: Mapping[str, str]) -> Connection:
    """Credentials from the environment alone (the demo's emulator, and runs with no profile)."""
    return connect(select(environ, Config(), None), SessionPasscodes())


@dataclass(frozen=True)
class Deleted:
    """What deleting a profile does, or did, to the keyring. `own`: it has an entry of its own;
    `legacy`: the account has an entry of an older cttui, which `kept_for` (the account's other
    profiles with none of their own) still rely on; `siblings`: the account's other profiles;
    `error`: the keyring could not be used."""

    entry: str
    own: bool = False
    legacy: bool = False
    kept_for: tuple[str, ...] = ()
    siblings: tuple[str, ...] = ()
    error: str | None = None

    @property
    def passcode_removed(self) -> bool:
        return self.own or (self.legacy and not self.kept_for)

    def describe(self, done: bool) -> str:
        """One clause for a question (`done=False`) or for a report of what was done."""
        if self.error:
            what = "could not be removed" if done else "may stay in the keyring"
            return (
                f"its passcode {what}: the OS keyring is not usable ({self.error}); remove the "
                f"'{KEYRING_SERVICE}' entry '{self.entry}' with your keyring tool"
            )
        if not self.own and self.legacy and self.kept_for:
            users = "uses" if len(self.kept_for) == 1 else "use"
            return (
                f"its passcode stays in the OS keyring: {', '.join(self.kept_for)}, on the same "
                f"account, {users} it too"
            )
        if not self.passcode_removed:
            return "no passcode was saved for it" if done else "no passcode is saved for it"
        text = f"its passcode {'was' if done else 'is'} removed from the OS keyring"
        if self.siblings:
            keep = "keeps its passcode" if len(self.siblings) == 1 else "keep theirs"
            text += f"; {', '.join(self.siblings)}, on the same account, {keep}"
        return text


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

    def saved_passcode(self, profile: Profile, config: Config | None = None) -> str | None:
        """The passcode kept for `profile` as config.toml (or `config`) has it; see
        `stored_passcode`. Raises KeyringUnavailable."""
        on_account = profiles_on(config or self.load(), profile.account_id)
        return stored_passcode(self.passcodes, profile.account_id, profile.name, on_account)

    def save_profile(
        self, profile: Profile, passcode: str | None, replacing: str | None = None
    ) -> Config:
        """Store the profile (in place of `replacing`, for an edit) and its passcode if given;
        with none, the passcode the profile had, if it stays on the same account.

        The passcode goes to the keyring before the profile is written, so a keyring failure
        leaves config.toml as it was; old entries go only once the new ones are written."""
        config = self.load()
        old = config.profile(replacing) if replacing else None
        changed = config.with_profile(profile, old.name if old else None)
        entry = entry_name(profile.account_id, profile.name)
        if passcode:
            self.passcodes.set(entry, check_passcode(passcode, "the passcode"))
        else:
            same_account = old is not None and old.account_id == profile.account_id
            kept = self.saved_passcode(old if old and same_account else profile, config)
            if kept is None:
                raise PasscodeMissing(
                    f"enter the passcode for profile {profile.name} ({profile.account_id}): "
                    "none is saved for it yet"
                )
            if self.passcodes.get(entry) is None:
                self.passcodes.set(entry, kept)
        self._write(changed)
        with suppress(KeyringUnavailable):  # Left behind, an old entry holds nothing new.
            if old is not None and entry_name(old.account_id, old.name) != entry:
                self.passcodes.delete(entry_name(old.account_id, old.name))
                retire_legacy(self.passcodes, old.account_id, profiles_on(changed, old.account_id))
            retire_legacy(
                self.passcodes, profile.account_id, profiles_on(changed, profile.account_id)
            )
        return changed

    def delete_plan(self, name: str) -> Deleted:
        """What `delete_profile(name)` would do to the keyring, for the question before it."""
        config = self.load()
        profile = config.profile(name)
        if profile is None:
            raise unknown_profile(name, config)
        return self._plan(config, profile)

    def _plan(self, config: Config, profile: Profile) -> Deleted:
        entry = entry_name(profile.account_id, profile.name)
        siblings = tuple(n for n in profiles_on(config, profile.account_id) if n != profile.name)
        try:
            own = self.passcodes.get(entry) is not None
            legacy = self.passcodes.get(profile.account_id) is not None
            kept_for: tuple[str, ...] = ()
            if legacy:
                kept_for = tuple(
                    n
                    for n in siblings
                    if self.passcodes.get(entry_name(profile.account_id, n)) is None
                )
        except KeyringUnavailable as error:
            return Deleted(entry, siblings=siblings, error=error.reason)
        return Deleted(entry, own, legacy, kept_for, siblings)

    def delete_profile(self, name: str) -> tuple[Config, Deleted]:
        config = self.load()
        profile = config.profile(name)
        if profile is None:
            raise unknown_profile(name, config)
        outcome = self._plan(config, profile)
        try:
            if outcome.own:
                self.passcodes.delete(outcome.entry)
            if outcome.legacy and not outcome.kept_for:
                self.passcodes.delete(profile.account_id)
        except KeyringUnavailable as error:
            outcome = Deleted(outcome.entry, siblings=outcome.siblings, error=error.reason)
        return self._write(config.without_profile(name)), outcome

    def use(self, name: str) -> Config:
        return self._write(self.load().with_active(name))

    def set_theme(self, theme: str) -> Config:
        return self._write(self.load().with_theme(theme))
