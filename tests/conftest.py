from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from cttui.emulator import Emulator, EmulatorConfig
from tests.home import home_variables
from tests.memory_keyring import MemoryKeyring
from tests.secret_service import secret_service  # noqa: F401 - a session fixture for all tests

# Variables that would point a test at a real account or a user's files.
_LEAKY = (
    "CLEVERTAP_ACCOUNT_ID",
    "CLEVERTAP_PASSCODE",
    "CLEVERTAP_REGION",
    "CTTUI_BASE_URL",
    "CTTUI_POLL_INTERVAL",
    "CTTUI_FAVORITES",
)
DEFAULTS = EmulatorConfig()
BIN = Path(sys.executable).parent
CTTUI = str(BIN / "cttui")


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_reaches_children() -> Iterator[None]:
    """A pytest-xdist worker ignores SIGINT, and every process it starts inherits that: Python
    in a child would never see the ctrl+c a test sends it. The worker takes the default back
    while tests run, and ignores it again after (execnet interrupts a worker's main thread as
    it shuts it down, which would otherwise print a KeyboardInterrupt)."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME and XDG dirs, and no credentials from the outside."""
    home = tmp_path / "home"
    for name, value in home_variables(home).items():
        monkeypatch.setenv(name, value)
    for name in _LEAKY:
        monkeypatch.delenv(name, raising=False)
    # A subprocess never reaches the developer's own keyring: it finds none unless a test hands
    # it the private Secret Service.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """In this process, the keyring is a dict: tests see what was stored without a real one."""
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator for the session, over a store small enough to build in a moment."""
    config = EmulatorConfig(
        seed=3,
        profiles=2_000,
        events=60_000,
        today=date.today(),
        compute_seconds=0.3,
        cache_dir=tmp_path_factory.mktemp("emulator-cache"),
    )
    with Emulator(config) as running:
        yield running


def partial_config(cache_dir: Path, compute_seconds: float) -> EmulatorConfig:
    """A small store whose every count answers partial, ready `compute_seconds` later."""
    return EmulatorConfig(
        seed=3,
        profiles=500,
        events=5_000,
        partial_after_days=0,
        compute_seconds=compute_seconds,
        cache_dir=cache_dir,
    )


@pytest.fixture
def partial_emulator(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator of its own whose every count answers partial, ready two seconds later."""
    with Emulator(partial_config(tmp_path / "partial-cache", 2.0)) as running:
        yield running


def emulator_variables(emulator: Emulator, poll_interval: float = 0.1) -> dict[str, str]:
    """The environment that points cttui at `emulator`, with an empty request log."""
    emulator.reset_log()
    return {
        "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
        "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        "CTTUI_BASE_URL": emulator.base_url,
        "CTTUI_POLL_INTERVAL": f"{poll_interval:g}",
    }


@pytest.fixture
def emulator_env(emulator: Emulator) -> dict[str, str]:
    return emulator_variables(emulator)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_cttui(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, stdin: str | None = None
) -> Run:
    """The installed `cttui` as a user runs it: its own process, this test's environment."""
    result = subprocess.run(
        [CTTUI, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def interrupt_when_said(args: list[str], env: dict[str, str], said: str) -> tuple[int, str]:
    """Run cttui with its stderr on a terminal (so that it reports progress there), press
    ctrl+c once it has said `said`; its exit code and the last line it wrote there."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [CTTUI, *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    try:
        read_until(controller, said)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        err = read_until(controller, None)
    finally:
        process.kill()
        os.close(controller)
    return process.returncode, err.replace("\r\n", "\n").strip().splitlines()[-1]


def read_until(fd: int, wanted: str | None, limit: float = 60.0) -> str:
    """What arrives on `fd` until it holds `wanted`, or (None) until the writer closes; bounded."""
    deadline = time.monotonic() + limit
    seen = ""
    while wanted is None or wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{wanted!r} never arrived; got {seen!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the pty's other end closed: the process is gone
            break
        if not chunk:
            break
        seen += chunk.decode(errors="replace")
    return seen


def require(binary: str, variable: str) -> str:
    """The path of `binary`; skips when it is missing, unless CI set `variable` to require it."""
    import shutil

    path = shutil.which(binary)
    if path is None:
        if os.environ.get(variable):
            pytest.fail(f"{binary} is required ({variable} is set) but not installed")
        pytest.skip(f"{binary} is not installed (set {variable}=1 to make this a failure)")
    return path


def wait_for(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Poll `condition` until it holds; fail after `limit` seconds, never wait blindly."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
