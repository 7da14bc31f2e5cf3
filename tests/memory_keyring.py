"""Keyring backends for in-process tests: one that keeps passwords in a dict, and ones that fail
the way real keyrings do on machines without one."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError


class _Backend(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's own is untyped


class MemoryKeyring(_Backend):
    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


class NoBusKeyring(_Backend):
    """What SecretService does when forced on a machine without a D-Bus session."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("No D-Bus session bus address")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("No D-Bus session bus address")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("No D-Bus session bus address")


class LockedKeyring(MemoryKeyring):
    """Reads work, writes are refused: a keyring whose unlock prompt was dismissed."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection")
