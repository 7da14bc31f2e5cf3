"""A real Secret Service for tests: gnome-keyring in a private D-Bus session, unlocked, headless.

Nothing here touches the user's session bus or keyrings: the bus has its own socket and config
(no service activation, so nothing else can be started on it), and the daemons get an environment
built from scratch with HOME and the XDG dirs under the given root.
"""

from __future__ import annotations

import contextlib
import html
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import secretstorage

# jeepney ships no type information; secretstorage (typed) is built on it.
from jeepney import DBusAddress, Properties, new_method_call  # type: ignore[import-untyped]
from jeepney.bus_messages import message_bus  # type: ignore[import-untyped]
from jeepney.io.blocking import Proxy, open_dbus_connection  # type: ignore[import-untyped]
from jeepney.wrappers import DBusErrorResponse, unwrap_msg  # type: ignore[import-untyped]

BACKEND = "keyring.backends.SecretService.Keyring"
START_LIMIT = 20.0  # seconds for both daemons to come up, all told
_CALL_LIMIT = 2.0  # seconds for any one D-Bus call while waiting
_SECRETS = "org.freedesktop.secrets"
_SERVICE = DBusAddress(
    "/org/freedesktop/secrets", bus_name=_SECRETS, interface="org.freedesktop.Secret.Service"
)
_SOCKET_PATH_MAX = 107  # sun_path is 108 bytes, NUL included
# A session bus of our own: the standard session.conf's policy, but no <servicedir>, so a call to
# org.freedesktop.secrets before our daemon owns the name fails at once instead of activating a
# second, locked gnome-keyring. The reply timeout bounds every call through this bus, keyring's
# included, should the daemon hang.
_BUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="reply_timeout">10000</limit>
</busconfig>
"""
# Bytes a D-Bus address may hold unescaped; any other is written %xx.
_ADDRESS_SAFE = frozenset(b"-_/.*0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class SecretService:
    """A running Secret Service. `env` is what a process needs to use it as its keyring."""

    env: dict[str, str]

    @property
    def address(self) -> str:
        return self.env["DBUS_SESSION_BUS_ADDRESS"]

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        # Straight to this bus by address: os.environ is neither read nor changed.
        with open_dbus_connection(bus=self.address) as connection:
            yield connection

    def lookup(self, service: str, username: str) -> str | None:
        """The secret stored for `service` and `username` (keyring's attributes), in any
        collection; None if there is none. Two such items is a bug worth failing on."""
        with self._connection() as connection:
            found = list(
                secretstorage.search_items(connection, {"service": service, "username": username})
            )
            if len(found) > 1:
                labels = [item.get_label() for item in found]
                raise AssertionError(f"{len(found)} items for {service!r}/{username!r}: {labels}")
            return found[0].get_secret().decode("utf-8") if found else None

    def items(self) -> list[tuple[dict[str, str], str]]:
        """Every (attributes, secret) in every collection: what a scan for leaks looks at."""
        with self._connection() as connection:
            return [
                (item.get_attributes(), item.get_secret().decode("utf-8", errors="replace"))
                for collection in secretstorage.get_all_collections(connection)
                for item in collection.get_all_items()
            ]


@dataclass(frozen=True)
class _Daemon:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


def _escape_address(value: str) -> str:
    return "".join(chr(b) if b in _ADDRESS_SAFE else f"%{b:02x}" for b in value.encode())


def _start(
    stack: ExitStack,
    name: str,
    command: list[str],
    env: dict[str, str],
    log: Path,
    stdin: bytes | None = None,
) -> _Daemon:
    """Start `command`, `stdin` piped in, its output in `log`; `stack` stops it whatever happens
    next. An exit (a broken pipe included) is for the caller's wait to report, with the log."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    stack.callback(_stop, process)
    if process.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(stdin or b"")
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
    return _Daemon(name, process, log)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _bus_state(address: str) -> str | None:
    """None once the bus takes connections; otherwise why not."""
    try:
        with open_dbus_connection(bus=address, auth_timeout=_CALL_LIMIT):
            return None
    except (OSError, ValueError) as error:
        return f"the bus does not answer: {error!r}"


def _keyring_state(address: str) -> str | None:
    """None once org.freedesktop.secrets answers with an unlocked default collection;
    otherwise what is still missing. Every call is bounded, so a hung daemon cannot hang this."""

    def call(message: Any) -> tuple[Any, ...]:
        body: tuple[Any, ...] = unwrap_msg(
            connection.send_and_get_reply(message, timeout=_CALL_LIMIT)
        )
        return body

    try:
        with open_dbus_connection(bus=address, auth_timeout=_CALL_LIMIT) as connection:
            (owned,) = Proxy(message_bus, connection, timeout=_CALL_LIMIT).NameHasOwner(_SECRETS)
            if not owned:
                return f"{_SECRETS} has no owner on the bus"
            (path,) = call(new_method_call(_SERVICE, "ReadAlias", "s", ("default",)))
            if path == "/":
                return "there is no default collection"
            collection = DBusAddress(
                path, bus_name=_SECRETS, interface="org.freedesktop.Secret.Collection"
            )
            ((_, locked),) = call(Properties(collection).get("Locked"))
            return f"the default collection {path} is locked" if locked else None
    except (OSError, ValueError, DBusErrorResponse) as error:
        return f"the Secret Service does not answer: {error!r}"


def _wait(
    state: Callable[[], str | None], daemons: list[_Daemon], deadline: float, what: str
) -> None:
    """Poll `state` until it reports nothing missing; fail, with the daemons' output, as soon
    as one of them exits or the deadline passes."""
    while True:
        for daemon in daemons:
            code = daemon.process.poll()
            if code is not None:
                _fail(f"{daemon.name} exited with status {code} before {what}", daemons)
        missing = state()
        if missing is None:
            return
        if time.monotonic() > deadline:
            _fail(f"timed out after {START_LIMIT:g} s waiting for {what}: {missing}", daemons)
        time.sleep(0.02)


def _fail(reason: str, daemons: list[_Daemon]) -> NoReturn:
    logs = []
    for daemon in daemons:
        output = daemon.log.read_text(errors="replace").strip() or "(no output)"
        logs.append(f"--- {daemon.name} ({daemon.log}):\n{output}")
    raise AssertionError("\n".join(["The Secret Service could not start: " + reason, *logs]))


@contextmanager
def running_secret_service(
    root: Path,
    *,
    dbus_daemon: str = "dbus-daemon",
    gnome_keyring: str = "gnome-keyring-daemon",
) -> Iterator[SecretService]:
    """A private dbus-daemon and an unlocked gnome-keyring-daemon (secrets only) on it, with
    their HOME, XDG dirs, socket and logs under `root`; both stopped on the way out."""
    root = root.resolve()
    home = root / "home"
    runtime = root / "runtime"
    socket = root / "bus"
    for path in (socket, runtime / "keyring" / "control"):  # gnome-keyring's control socket
        if len(os.fsencode(path)) > _SOCKET_PATH_MAX:
            raise AssertionError(f"socket path too long for a unix socket: {path}")
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(runtime),
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={_escape_address(str(socket))}",
    }
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    runtime.mkdir(exist_ok=True)
    runtime.chmod(0o700)  # as XDG_RUNTIME_DIR must be
    address = env["DBUS_SESSION_BUS_ADDRESS"]
    config = root / "bus.conf"
    config.write_text(_BUS_CONFIG.format(address=html.escape(address)))
    deadline = time.monotonic() + START_LIMIT

    with ExitStack() as stack:
        daemons = [
            _start(
                stack,
                "dbus-daemon",
                [dbus_daemon, f"--config-file={config}", "--nofork", "--nopidfile"],
                env,
                root / "dbus-daemon.log",
            )
        ]
        _wait(lambda: _bus_state(address), daemons, deadline, "the bus")
        # --unlock reads a password to the end of stdin, then creates the login keyring with it,
        # unlocked; that keyring is the default collection.
        daemons.append(
            _start(
                stack,
                "gnome-keyring-daemon",
                [gnome_keyring, "--foreground", "--unlock", "--components=secrets"],
                env,
                root / "gnome-keyring-daemon.log",
                stdin=secrets.token_urlsafe(16).encode(),
            )
        )
        _wait(lambda: _keyring_state(address), daemons, deadline, "an unlocked default keyring")
        yield SecretService(
            {"DBUS_SESSION_BUS_ADDRESS": address, "PYTHON_KEYRING_BACKEND": BACKEND}
        )


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    """One real, unlocked Secret Service for the session; see `running_secret_service`."""
    # Imported here, not at the top: conftest imports this module for the fixture.
    from tests.conftest import require

    gnome_keyring = require("gnome-keyring-daemon", "CTTUI_REQUIRE_KEYRING")
    dbus_daemon = require("dbus-daemon", "CTTUI_REQUIRE_KEYRING")
    root = tmp_path_factory.mktemp("secret-service")
    with running_secret_service(
        root, dbus_daemon=dbus_daemon, gnome_keyring=gnome_keyring
    ) as service:
        yield service


@contextmanager
def in_use(service: SecretService, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretService]:
    """This process, and the cttui processes it starts, keep passcodes in `service`; the
    keyring backend before it is back afterwards."""
    import keyring
    from keyring.backends import SecretService as backend

    for name, value in service.env.items():
        monkeypatch.setenv(name, value)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield service
    finally:
        keyring.set_keyring(previous)
