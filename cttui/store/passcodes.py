"""Where passcodes are kept: the OS keyring (service `cttui`), or this process's memory.

One entry per profile, named `ACCOUNT_ID/PROFILE`, since two profiles on one account may hold
different passcodes (a user's own and an account passcode). Earlier versions kept one entry per
account, named by the account ID alone; such an entry still serves each profile of its account
until that profile has an entry of its own (see `stored_passcode`). `keyring` is imported on
first use, so commands that never need a stored passcode never pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Protocol

from cttui.api.errors import UsageError

KEYRING_SERVICE = "cttui"


class KeyringUnavailable(UsageError):
    """The OS keyring cannot be used: missing, locked, refused, or not reachable."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the OS keyring is not usable ({reason})")
        self.reason = reason


class Passcodes(Protocol):
    """Where passcodes are kept, by keyring username (see `entry_name`)."""

    def get(self, username: str) -> str | None: ...

    def set(self, username: str, passcode: str) -> None: ...

    def delete(self, username: str) -> bool: ...


def entry_name(account_id: str, profile: str) -> str:
    """The keyring username of a profile's passcode. Profile names hold no '/', so what follows
    the last '/' is always the profile's name, whatever the account ID holds."""
    return f"{account_id}/{profile}"


def check_passcode(
    passcode: str, source: str, fix: str = "copy it again from the CleverTap dashboard"
) -> str:
    """`passcode`, if an HTTP header can carry it as it is; otherwise a UsageError naming
    `source` and the problem. The message never quotes the passcode, nor any character of it."""
    if not passcode:
        problem = "is empty"
    elif not passcode.isascii():
        problem = (
            "holds a character that is not plain ASCII (an accented letter, a curly quote or a "
            "non-breaking space, often from a copy and paste)"
        )
    elif not passcode.isprintable():
        problem = "holds a line break or another control character"
    elif passcode != passcode.strip():
        problem = "starts or ends with a space"
    else:
        return passcode
    raise UsageError(f"{source} {problem}; {fix}")


def stored_passcode(
    passcodes: Passcodes, account_id: str, profile: str | None, account_profiles: Sequence[str]
) -> str | None:
    """The passcode kept for `profile` of `account_id` (one of `account_profiles`, the account's
    profiles in config.toml): its own entry, else the account's entry of an older cttui. That old
    entry is then copied to the profile's own, which is written and read back before the old one
    may go; it goes once no profile of the account relies on it, so a kill at any point loses
    nothing. With no profile (an environment run), the first of the account's profiles that has
    a passcode; with a profile config.toml no longer has, the old entry only."""
    if profile is not None and profile in account_profiles:
        own = passcodes.get(entry_name(account_id, profile))
        if own is not None:
            return own
        legacy = passcodes.get(account_id)
        if legacy is not None:
            with suppress(KeyringUnavailable):  # The old entry still serves; copied next time.
                passcodes.set(entry_name(account_id, profile), legacy)
                retire_legacy(passcodes, account_id, account_profiles)
        return legacy
    if profile is None:
        for name in account_profiles:
            found = passcodes.get(entry_name(account_id, name))
            if found is not None:
                return found
    return passcodes.get(account_id)


def retire_legacy(passcodes: Passcodes, account_id: str, account_profiles: Sequence[str]) -> None:
    """Delete the account's entry of an older cttui once each of its profiles has its own."""
    if all(passcodes.get(entry_name(account_id, name)) is not None for name in account_profiles):
        passcodes.delete(account_id)


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

    def get(self, username: str) -> str | None:
        import keyring

        try:
            passcode: str | None = keyring.get_password(self.service, username)
        except Exception as error:  # Backends raise anything from D-Bus, locks or prompts.
            raise KeyringUnavailable(_reason(error)) from None
        return passcode

    def set(self, username: str, passcode: str) -> None:
        import keyring

        try:
            keyring.set_password(self.service, username, passcode)
            kept = keyring.get_password(self.service, username)
        except Exception as error:
            raise KeyringUnavailable(_reason(error)) from None
        if kept != passcode:
            raise KeyringUnavailable("it accepted the passcode but did not keep it")

    def delete(self, username: str) -> bool:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            if keyring.get_password(self.service, username) is None:
                return False
            keyring.delete_password(self.service, username)
        except PasswordDeleteError:
            return False
        except Exception as error:
            raise KeyringUnavailable(_reason(error)) from None
        return True


class SessionPasscodes:
    """Passcodes held in this process only, for when there is no usable keyring (or the demo)."""

    def __init__(self) -> None:
        self._kept: dict[str, str] = {}

    def get(self, username: str) -> str | None:
        return self._kept.get(username)

    def set(self, username: str, passcode: str) -> None:
        self._kept[username] = passcode

    def delete(self, username: str) -> bool:
        return self._kept.pop(username, None) is not None
