"""Profiles in config.toml and their passcodes in the OS keyring, changed together.

The passcode lives in the OS keyring and nowhere else, one entry per profile: see passcodes.py.
Which account a run talks to, and how it connects, is selection.py's.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

from cttui.api.errors import UsageError
from cttui.store.config import Config, Profile, load_config, save_config, unknown_profile
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

# The faces take the keyring's names from here too, those of passcodes.py included.
__all__ = [
    "KEYRING_SERVICE",
    "CredentialStore",
    "Deleted",
    "KeyringUnavailable",
    "OsKeyring",
    "PasscodeMissing",
    "Passcodes",
    "SessionPasscodes",
    "check_passcode",
    "entry_name",
]


class PasscodeMissing(UsageError):
    """A profile cannot be saved without a passcode when none is stored for it."""


class Deleted(NamedTuple):
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
    (the demo), and the theme too unless `theme_path` names a file of its own for it."""

    def __init__(
        self,
        config_path: Path | None,
        passcodes: Passcodes,
        config: Config | None = None,
        *,
        theme_path: Path | None = None,
    ) -> None:
        self.config_path = config_path
        self.passcodes = passcodes
        self.theme_path = theme_path
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
        on_account = (config or self.load()).profiles_on(profile.account_id)
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
                retire_legacy(self.passcodes, old.account_id, changed.profiles_on(old.account_id))
            retire_legacy(
                self.passcodes, profile.account_id, changed.profiles_on(profile.account_id)
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
        siblings = tuple(n for n in config.profiles_on(profile.account_id) if n != profile.name)
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
        if self.config_path is None and self.theme_path is not None:
            # Read first: a file that does not read is refused, never written over.
            save_config(load_config(self.theme_path).with_theme(theme), self.theme_path)
        return self._write(self.load().with_theme(theme))
