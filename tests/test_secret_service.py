"""The Secret Service fixture is real: keyring stores, reads and deletes through gnome-keyring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from tests.conftest import require
from tests.secret_service import SecretService, running_secret_service

SERVICE = "cttui-selftest"

# keyring as another program uses it: whatever backend the environment selects.
_KEYRING = """
import sys, keyring
action, service, username, *rest = sys.argv[1:]
if action == "set":
    keyring.set_password(service, username, rest[0])
elif action == "get":
    print(keyring.get_password(service, username))
elif action == "delete":
    keyring.delete_password(service, username)
print(type(keyring.get_keyring()).__module__, file=sys.stderr)
"""


def keyring_cli(service: SecretService, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _KEYRING, *args],
        env={**os.environ, **service.env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    # The item must have gone through the Secret Service, not some other backend that works.
    assert result.stderr.strip() == "keyring.backends.SecretService", result.stderr
    return result.stdout.strip()


def stored(service: SecretService, username: str) -> list[str]:
    return [
        secret
        for attributes, secret in service.items()
        if attributes.get("service") == SERVICE and attributes.get("username") == username
    ]


def test_another_process_stores_and_deletes_through_the_keyring(
    secret_service: SecretService,
) -> None:
    username = "ABC-DEF-1234"
    environ = dict(os.environ)

    keyring_cli(secret_service, "set", SERVICE, username, "s3cret")
    assert secret_service.lookup(SERVICE, username) == "s3cret"
    assert stored(secret_service, username) == ["s3cret"]
    assert keyring_cli(secret_service, "get", SERVICE, username) == "s3cret"

    keyring_cli(secret_service, "delete", SERVICE, username)
    assert secret_service.lookup(SERVICE, username) is None
    assert stored(secret_service, username) == []
    assert dict(os.environ) == environ


def test_keyring_in_process_round_trips(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends.SecretService import Keyring

    username = "ABC-DEF-5678"
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    backend: KeyringBackend = Keyring()  # type: ignore[no-untyped-call]

    backend.set_password(SERVICE, username, "in process")
    assert secret_service.lookup(SERVICE, username) == "in process"
    assert backend.get_password(SERVICE, username) == "in process"

    backend.delete_password(SERVICE, username)
    assert secret_service.lookup(SERVICE, username) is None
    assert backend.get_password(SERVICE, username) is None


def test_both_daemons_stop_on_the_way_out(tmp_path: Path) -> None:
    dbus_daemon = require("dbus-daemon", "CTTUI_REQUIRE_KEYRING")
    gnome_keyring = require("gnome-keyring-daemon", "CTTUI_REQUIRE_KEYRING")
    bus, control = tmp_path / "bus", tmp_path / "runtime" / "keyring" / "control"

    with running_secret_service(
        tmp_path, dbus_daemon=dbus_daemon, gnome_keyring=gnome_keyring
    ) as service:
        assert service.address == f"unix:path={bus}"  # its own bus, not the user's or system's
        assert bus.is_socket()
        assert control.is_socket()
        assert service.lookup(SERVICE, "nobody") is None
    # Each daemon removes its socket as it exits.
    assert not bus.exists()
    assert not control.exists()


def test_a_daemon_that_cannot_start_fails_with_its_output(tmp_path: Path) -> None:
    dbus_daemon = require("dbus-daemon", "CTTUI_REQUIRE_KEYRING")
    broken = tmp_path / "gnome-keyring-daemon"
    broken.write_text("#!/bin/sh\necho 'no keyring for you' >&2\nexit 3\n")
    broken.chmod(0o755)

    with (
        pytest.raises(AssertionError, match="exited with status 3") as failure,
        running_secret_service(tmp_path, dbus_daemon=dbus_daemon, gnome_keyring=str(broken)),
    ):
        pass
    assert "no keyring for you" in str(failure.value)
    assert not (tmp_path / "bus").exists()  # the bus it did start is stopped
