"""`cttui credentials`: profiles in config.toml, their passcodes in the OS keyring."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NamedTuple

from cttui.api.errors import UsageError
from cttui.api.regions import (
    DEFAULT_REGION,
    Region,
    check_base_url,
    get_region,
    parse_dashboard_url,
)
from cttui.cli.exits import EXIT_API, EXIT_OK
from cttui.cli.output import say
from cttui.console import cells, pad
from cttui.store.config import (
    Config,
    Profile,
    account_id_warning,
    check_account_id,
    unknown_profile,
)
from cttui.store.config import check_profile_name as checked_name
from cttui.store.credentials import CredentialStore
from cttui.store.environment import ENV_ACCOUNT_ID, ENV_BASE_URL
from cttui.store.passcodes import KeyringUnavailable, OsKeyring, check_passcode
from cttui.store.paths import config_file

if TYPE_CHECKING:
    from cttui.cli.arguments import NameArgs, Scope, ScopeArgs


class CredentialsSetArgs(NamedTuple):
    scope: Scope
    account_id: str | None
    region: str | None
    passcode_stdin: bool


class CredentialsDeleteArgs(NamedTuple):
    scope: Scope
    yes: bool


def credential_store() -> CredentialStore:
    return CredentialStore(config_file(), OsKeyring())


def _target_profile(scope: Scope) -> tuple[CredentialStore, Config, Profile]:
    """The profile a credentials action is about (--profile, else the active one), with the
    store and the config it was read from."""
    store = credential_store()
    config = store.load()
    return store, config, profile_named(config, scope.profile)


def profile_named(config: Config, name: str | None) -> Profile:
    """Profile `name`, else the active one."""
    name = name or config.active
    if name is None:
        raise UsageError("no profiles yet: add one with 'cttui credentials set --account-id ID'")
    profile = config.profile(name)
    if profile is None:
        raise unknown_profile(name, config)
    return profile


def credentials_set(args: CredentialsSetArgs) -> int:
    store = credential_store()
    config = store.load()
    name = checked_name(args.scope.profile or config.active or "default")
    existing = config.profile(name)
    region: Region | None = get_region(args.region) if args.region else None
    account_text: str | None = args.account_id
    if account_text is not None and "dashboard.clevertap.com" in account_text.lower():
        url_region, account_text = parse_dashboard_url(account_text)
        if region is not None and region != url_region:
            raise UsageError(
                f"the dashboard URL is in region {url_region.code} but --region says "
                f"{region.code}; drop --region or use the matching URL"
            )
        region = url_region
    if account_text is None:
        if existing is None:
            raise UsageError(f"a new profile needs --account-id (for profile {name!r})")
        account_text = existing.account_id
    account_id = check_account_id(account_text)
    if region is None:
        same_account = existing is not None and existing.account_id == account_id
        region = existing.region if existing is not None and same_account else DEFAULT_REGION
    warning = account_id_warning(account_id)
    if warning:
        say(f"warning: {warning}")
    profile = Profile(name, account_id, region)
    try:
        passcode = _read_passcode(args, profile, existing, store)
        store.save_profile(profile, passcode, replacing=name if existing else None)
    except KeyringUnavailable as error:
        raise UsageError(
            f"{error}; nothing was saved. Install and unlock a keyring (such as gnome-keyring), "
            "or save nothing and set CLEVERTAP_ACCOUNT_ID and CLEVERTAP_PASSCODE for each run"
        ) from None
    print(
        f"saved profile {name}: account {account_id}, region {region.code} "
        f"({region.name}, {region.host}); passcode in the OS keyring"
    )
    return EXIT_OK


def _read_passcode(
    args: CredentialsSetArgs, profile: Profile, existing: Profile | None, store: CredentialStore
) -> str | None:
    """The passcode from stdin or a hidden prompt (never argv). None keeps the saved one."""

    if args.passcode_stdin:
        text = sys.stdin.read()
        passcode = text.removesuffix("\n").removesuffix("\r")
        if not passcode:
            raise UsageError("no passcode on standard input; pipe it in, e.g. from a secrets tool")
        if "\n" in passcode or "\r" in passcode:
            raise UsageError("the passcode on standard input must be a single line")
        return check_passcode(passcode, "the passcode on standard input")
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to ask for the passcode on; pipe it in and add --passcode-stdin"
        )
    # What enter keeps is the profile's own passcode, on the account it stays on.
    same_account = existing is not None and existing.account_id == profile.account_id
    saved = store.saved_passcode(existing if existing and same_account else profile) is not None
    keep = " (enter keeps the saved one)" if saved else ""
    import getpass  # here: only a prompt needs it (and termios)

    passcode = getpass.getpass(f"Passcode for {profile.name} ({profile.account_id}){keep}: ")
    if passcode:
        return check_passcode(passcode, "the passcode typed")
    if saved:
        return None
    raise UsageError("no passcode entered; nothing was saved")


def credentials_list(args: ScopeArgs) -> int:
    config = credential_store().load()
    if not config.profiles:
        say("no profiles yet: add one with 'cttui credentials set --account-id ID --region R'")
        return EXIT_OK
    width = max(cells(profile.name) for profile in config.profiles)
    for profile in config.profiles:
        mark = "*" if profile.name == config.active else " "
        print(
            f"{mark} {pad(profile.name, width)}  {profile.account_id:<14}  "
            f"{profile.region.code} ({profile.region.name})"
        )
    if os.environ.get(ENV_ACCOUNT_ID, "").strip():
        say(f"{ENV_ACCOUNT_ID} is set: it overrides the active profile in this shell")
    return EXIT_OK


def credentials_show(args: ScopeArgs) -> int:
    store, config, profile = _target_profile(args.scope)
    name = profile.name
    region = profile.region
    override = os.environ.get(ENV_BASE_URL, "").strip()
    server = check_base_url(override) if override else region.base_url
    try:
        saved = store.saved_passcode(profile, config) is not None
        passcode = "******** (in the OS keyring)" if saved else "not saved yet"
    except KeyringUnavailable as error:
        passcode = f"unknown: {error}"
    active = " (active)" if name == config.active else ""
    rows = [("profile", f"{name}{active}"), ("account ID", profile.account_id)]
    if server == region.base_url:
        rows.append(("region", f"{region.code} ({region.name}, {region.host})"))
    else:
        # Requests go where CTTUI_BASE_URL says, whatever the region.
        rows.append(
            ("region", f"{region.code} ({region.name}), not used while {ENV_BASE_URL} is set")
        )
        rows.append(("server", f"→ {server} ({ENV_BASE_URL})"))
    rows.append(("passcode", passcode))
    for label, value in rows:
        print(f"{label:<11} {value}")
    return EXIT_OK


def credentials_delete(args: CredentialsDeleteArgs) -> int:
    store, config, profile = _target_profile(args.scope)
    name = profile.name
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("add --yes to delete a profile without being asked")
        fate = store.delete_plan(name).describe(done=False)
        answer = input(
            f"Delete profile {name} ({profile.account_id})? {fate[:1].upper()}{fate[1:]}. [y/N] "
        )
        if answer.strip().lower() not in {"y", "yes"}:
            say("nothing deleted")
            return EXIT_OK
    config, outcome = store.delete_profile(name)
    if outcome.error:
        say(f"deleted profile {name}, but {outcome.describe(done=True)}")
        return EXIT_API
    print(f"deleted profile {name}; {outcome.describe(done=True)}")
    if config.active:
        print(f"active profile: {config.active}")
    return EXIT_OK


def credentials_use(args: NameArgs) -> int:
    store = credential_store()
    config = store.use(args.name.strip())
    print(f"active profile: {config.active}")
    return EXIT_OK
