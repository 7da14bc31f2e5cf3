"""config.toml: the profiles (name, account ID, region), which one is active, the theme, and the
shared favourites files cttui reads beside favorites.toml.

Never the passcode: that lives in the OS keyring only. The file is small and may be edited by
hand, so a mistake in it is reported as one line naming the file and the key to fix, and keys
cttui does not know are written back as they were read.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from cttui.api.errors import UsageError
from cttui.api.regions import Region, get_region
from cttui.store.files import SMALL_FILE_MAX_BYTES, Unreadable, read_limited, write_atomically

PROFILE_NAME_MAX = 40
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]*")
# The key naming the favourites files of a team (read-only to cttui), as written by hand.
FAVORITES_FILES = "favorites_files"
_ACCOUNT_ID_SHAPE = re.compile(r"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{4}")
_KNOWN_KEYS = {"active_profile", "theme", "profiles", FAVORITES_FILES}


def check_profile_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise UsageError("a profile needs a name, such as 'work' or 'staging'")
    if len(name) > PROFILE_NAME_MAX or not _PROFILE_NAME.fullmatch(name):
        raise UsageError(
            f"profile name {name!r} may use letters, digits, spaces, '.', '_' and '-' "
            f"(up to {PROFILE_NAME_MAX} characters, starting with a letter or digit)"
        )
    return name


def check_account_id(text: str) -> str:
    account_id = text.strip()
    if not account_id:
        raise UsageError("enter the account ID from the dashboard (Settings > Project)")
    if not account_id.isascii() or not account_id.isprintable() or " " in account_id:
        raise UsageError(
            f"account ID {account_id!r} has spaces or unusual characters; copy it from the "
            "dashboard (Settings > Project)"
        )
    return account_id


def account_id_warning(account_id: str) -> str | None:
    """A warning, never a refusal: CleverTap account IDs usually look like XXX-XXX-XXXX."""
    if _ACCOUNT_ID_SHAPE.fullmatch(account_id.strip()):
        return None
    return "account IDs usually look like XXX-XXX-XXXX (letters and digits); check it"


class Profile(NamedTuple):
    name: str
    account_id: str
    region: Region


class Config(NamedTuple):
    profiles: tuple[Profile, ...] = ()
    active: str | None = None
    theme: str | None = None
    # Read-only, so that one empty mapping can be every Config's default.
    extra: Mapping[str, Any] = MappingProxyType({})
    # As written in the file (~ and relative paths resolved where they are read).
    favorites_files: tuple[str, ...] = ()

    def profile(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    @property
    def active_profile(self) -> Profile | None:
        return self.profile(self.active) if self.active else None

    def profiles_on(self, account_id: str) -> tuple[str, ...]:
        """The names of the profiles on `account_id`, in config.toml's order."""
        return tuple(p.name for p in self.profiles if p.account_id == account_id)

    def names(self) -> list[str]:
        return [profile.name for profile in self.profiles]

    def with_profile(self, profile: Profile, replacing: str | None = None) -> Config:
        """The profile added, or put in place of `replacing` (a rename keeps its position)."""
        old = replacing or profile.name
        if profile.name != old and self.profile(profile.name) is not None:
            raise UsageError(f"a profile named {profile.name!r} already exists; pick another name")
        names = self.names()
        profiles = list(self.profiles)
        if old in names:
            profiles[names.index(old)] = profile
        else:
            profiles.append(profile)
        active = profile.name if self.active in (None, old) else self.active
        return self._replace(profiles=tuple(profiles), active=active)

    def without_profile(self, name: str) -> Config:
        profiles = tuple(p for p in self.profiles if p.name != name)
        active = self.active
        if active == name:
            active = profiles[0].name if profiles else None
        return self._replace(profiles=profiles, active=active)

    def with_active(self, name: str) -> Config:
        if self.profile(name) is None:
            raise unknown_profile(name, self)
        return self._replace(active=name)

    def with_theme(self, theme: str) -> Config:
        return self._replace(theme=theme)

    def shares_account(self, profile: Profile) -> bool:
        """Whether another profile uses the same account ID, and so the same keyring entry."""
        return any(
            p.account_id == profile.account_id and p.name != profile.name for p in self.profiles
        )


def unknown_profile(name: str, config: Config) -> UsageError:
    known = ", ".join(config.names())
    hint = f"known: {known}" if known else "none saved yet: add one with 'cttui credentials set'"
    return UsageError(f"no profile named {name!r} ({hint})")


def load_config(path: Path) -> Config:
    try:
        data = read_limited(path, SMALL_FILE_MAX_BYTES)
    except Unreadable as error:
        raise UsageError(f"{path} {error.reason}") from None
    if data is None:
        return Config()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(
            f"{path} is not UTF-8 text (a byte at line {line} is not); save it as UTF-8 or "
            "move it aside"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML ({error}); fix it or move it aside") from None
    except RecursionError:
        raise UsageError(f"{path} is nested too deeply to read; fix it or move it aside") from None
    return _parse(raw, path)


def _parse(raw: dict[str, Any], path: Path) -> Config:
    def bad(key: str, what: str) -> UsageError:
        return UsageError(f"{path}: {key} {what}; fix it or move the file aside")

    profiles: list[Profile] = []
    table = raw.get("profiles", {})
    if not isinstance(table, dict):
        raise bad("profiles", "must be a table of [profiles.NAME] sections")
    for name, entry in table.items():
        key = f"profiles.{name}"
        if not isinstance(entry, dict):
            raise bad(key, "must be a table with account_id and region")
        try:
            check_profile_name(name)
            account_id = check_account_id(str(entry.get("account_id", "")))
            region = get_region(str(entry.get("region", "")))
        except UsageError as error:
            raise bad(key, f"is not usable ({error})") from None
        profiles.append(Profile(name, account_id, region))
    active = raw.get("active_profile")
    if active is not None and not isinstance(active, str):
        raise bad("active_profile", "must be a profile name in quotes")
    theme = raw.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise bad("theme", "must be a theme name in quotes")
    shared = raw.get(FAVORITES_FILES, [])
    if not isinstance(shared, list) or not all(isinstance(item, str) and item for item in shared):
        raise bad(FAVORITES_FILES, 'must be a list of file names, such as ["~/team/cttui.toml"]')
    config = Config(
        tuple(profiles),
        active,
        theme,
        MappingProxyType({k: v for k, v in raw.items() if k not in _KNOWN_KEYS}),
        tuple(shared),
    )
    if active is None or config.profile(active) is None:
        # None named, or a hand edit left the name dangling: the first, rather than refuse to start.
        config = config._replace(active=profiles[0].name if profiles else None)
    return config


def saved_theme(path: Path) -> tuple[str | None, str | None]:
    """The theme the config file at `path` names, and else the problem that kept it from being
    read (a missing file names none, and is no problem)."""
    try:
        return load_config(path).theme, None
    except UsageError as error:
        return None, error.message


def save_config(config: Config, path: Path) -> None:
    """Write the whole file at once: a crash mid-write leaves the old file, never half a new one."""
    import tomli_w

    document: dict[str, Any] = dict(config.extra)
    if config.active is not None:
        document["active_profile"] = config.active
    if config.theme is not None:
        document["theme"] = config.theme
    if config.favorites_files:
        document[FAVORITES_FILES] = list(config.favorites_files)
    document["profiles"] = {
        p.name: {"account_id": p.account_id, "region": p.region.code} for p in config.profiles
    }
    try:
        data = tomli_w.dumps(document).encode("utf-8")
    except RecursionError:
        raise UsageError(f"{path} holds keys nested too deeply to write back; fix it") from None
    write_atomically(path, data)
