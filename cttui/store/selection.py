"""Which account a run talks to and how it connects: a profile from config.toml, each of its
fields overridden by the environment for one run (never saved), or a job's own account and host;
then its passcode, from the environment or the OS keyring (see passcodes.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cttui.api.errors import UsageError
from cttui.api.regions import DEFAULT_REGION, Region, check_base_url, get_region, region_of
from cttui.store import environment
from cttui.store.config import Config, Profile, check_account_id, unknown_profile
from cttui.store.passcodes import (
    KeyringUnavailable,
    Passcodes,
    SessionPasscodes,
    check_passcode,
    stored_passcode,
)

# Named here too, where they are applied.
ENV_ACCOUNT_ID = environment.ENV_ACCOUNT_ID
ENV_PASSCODE = environment.ENV_PASSCODE
ENV_REGION = environment.ENV_REGION
ENV_BASE_URL = environment.ENV_BASE_URL
# The demo's profile, held in memory only; its jobs carry this name in the demo's journal.
DEMO_PROFILE = "demo"

if TYPE_CHECKING:
    from cttui.api.client import Credentials

NO_CREDENTIALS = (
    "no credentials: save a profile with 'cttui credentials set --account-id ID --region R', "
    f"or set {ENV_ACCOUNT_ID} and {ENV_PASSCODE}"
)


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
    def server(self) -> str | None:
        """Where requests go when that is not the region's own API host (CTTUI_BASE_URL, or a
        job's host), else None: then the region says it."""
        return None if self.base_url == self.region.base_url else self.base_url

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
        config.profiles_on(account_id),
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
        account_id, region, url, stored, (), env_passcode, config.profiles_on(account_id), lost
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
