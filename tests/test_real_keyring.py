"""The credentials round trip through a real Secret Service (gnome-keyring on a private D-Bus):
the installed CLI as a subprocess, and the screen in this process. Then a scan: the passcode is
in the keyring and in no file, no output and no screen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import keyring
import pytest
from textual.widgets import Input, Static

from cttui.api.regions import DEFAULT_REGION
from cttui.emulator import Emulator, EmulatorConfig
from cttui.store.config import Config, Profile, load_config, save_config
from cttui.store.paths import config_file
from cttui.tui.screens.credentials import CredentialsScreen
from tests.apps import build_app, settle, until
from tests.conftest import Run, run_cttui
from tests.secret_service import SecretService, in_use

# Unique enough that finding it anywhere means it leaked.
PASSCODE = "rk-Q7v!Lp3x-wz81-unique"
ACCOUNT = "RKT-EMU-0001"
TODAY = date.today()
RECENT = ["--from", (TODAY - timedelta(days=10)).isoformat(), "--to", TODAY.isoformat()]


@pytest.fixture(scope="module")
def private_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """An emulator that accepts only this module's passcode."""
    config = EmulatorConfig(
        account_id=ACCOUNT,
        passcode=PASSCODE,
        seed=5,
        profiles=500,
        events=5_000,
        today=TODAY,
        compute_seconds=0.2,
        cache_dir=tmp_path_factory.mktemp("rk-emulator"),
    )
    with Emulator(config) as running:
        yield running


@pytest.fixture
def real_keyring(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretService]:
    """This process and the subprocesses it starts use the private Secret Service."""
    with in_use(secret_service, monkeypatch):
        yield secret_service
    for _, secret in secret_service.items():
        assert secret != PASSCODE, "a test left the passcode in the keyring"


def _outputs(*runs: Run) -> str:
    return "".join(run.out + run.err for run in runs)


def _files_holding(root: Path, secret: str) -> list[str]:
    needle = secret.encode()
    return [str(path) for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]


def test_cli_round_trip_through_the_real_keyring(
    real_keyring: SecretService, private_emulator: Emulator, isolated_home: Path
) -> None:
    env = {"CTTUI_BASE_URL": private_emulator.base_url, "CTTUI_POLL_INTERVAL": "0.1"}
    saved = run_cttui(
        "credentials", "set", "--profile", "emu", "--account-id", ACCOUNT, "--passcode-stdin",
        env=env, stdin=PASSCODE + "\n",
    )  # fmt: skip
    assert saved.code == 0, saved.err
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/emu") == PASSCODE
    assert real_keyring.lookup("cttui", ACCOUNT) is None
    shown = run_cttui("credentials", "show", env=env)
    assert "passcode    ******** (in the OS keyring)" in shown.out
    expected = private_emulator.count(
        "Charged", int(RECENT[1].replace("-", "")), int(RECENT[3].replace("-", ""))
    )
    counted = run_cttui("count", "Charged", *RECENT, env=env)
    assert (counted.code, counted.out) == (0, f"{expected}\n"), counted.err
    wrong = run_cttui("count", "Charged", *RECENT, env={**env, "CLEVERTAP_PASSCODE": "nope-123"})
    assert wrong.code == 1
    refused = run_cttui("credentials", "set", "--passcode", PASSCODE, env=env)
    assert refused.code == 2
    listed = run_cttui("credentials", "list", env=env)
    deleted = run_cttui("credentials", "delete", "--yes", env=env)
    assert deleted.out.startswith("deleted profile emu; its passcode was removed")
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/emu") is None
    assert PASSCODE not in _outputs(saved, shown, counted, wrong, refused, listed, deleted)
    assert _files_holding(isolated_home, PASSCODE) == []


async def test_screen_round_trip_through_the_real_keyring(
    real_keyring: SecretService, private_emulator: Emulator, isolated_home: Path
) -> None:
    app = build_app(environ={"CTTUI_BASE_URL": private_emulator.base_url})
    screens: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, CredentialsScreen)
        screen = app.screen

        def status() -> str:
            return str(screen.query_one("#status", Static).render())

        screen.query_one("#name", Input).value = "emu"
        screen.query_one("#account-id", Input).value = ACCOUNT
        passcode = screen.query_one("#passcode", Input)
        passcode.focus()
        await pilot.press(*PASSCODE)
        # Shot once every key has landed, so the screen shows the whole (masked) passcode.
        await until(pilot, lambda: passcode.value == PASSCODE, "the passcode typed")
        screens.append(app.export_screenshot())
        await pilot.press("ctrl+t")
        await until(pilot, lambda: status().startswith("OK:"), "the connection test")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: status().startswith("Saved profile emu"), "the save")
        assert real_keyring.lookup("cttui", f"{ACCOUNT}/emu") == PASSCODE
        assert load_config(config_file()).names() == ["emu"]
        screens.append(app.export_screenshot())
        assert passcode.value == ""
        await pilot.press("ctrl+t")  # now with the passcode read back from the keyring
        await until(pilot, lambda: status().startswith("OK:"), "the second connection test")
        screens.append(app.export_screenshot())
    assert all(PASSCODE not in svg for svg in screens)
    assert _files_holding(isolated_home, PASSCODE) == []
    assert PASSCODE not in os.environ.values()
    keyring.delete_password("cttui", f"{ACCOUNT}/emu")


def test_two_profiles_and_an_older_versions_entry_through_the_real_keyring(
    real_keyring: SecretService, private_emulator: Emulator, isolated_home: Path
) -> None:
    """An entry under the bare account ID (as earlier versions saved it) moves to each profile that
    reads it, and goes once none relies on it; a third profile on the account keeps a passcode
    of its own; deleting one profile leaves the others' entries alone."""
    env = {"CTTUI_BASE_URL": private_emulator.base_url, "CTTUI_POLL_INTERVAL": "0.1"}
    save_config(
        Config(
            (Profile("mine", ACCOUNT, DEFAULT_REGION), Profile("team", ACCOUNT, DEFAULT_REGION))
        ),
        config_file(),
    )
    keyring.set_password("cttui", ACCOUNT, PASSCODE)
    runs = [run_cttui("count", "Charged", *RECENT, "--profile", "mine", env=env)]
    assert runs[-1].code == 0, runs[-1].err
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/mine") == PASSCODE
    assert real_keyring.lookup("cttui", ACCOUNT) == PASSCODE  # team still relies on it
    runs.append(run_cttui("count", "Charged", *RECENT, "--profile", "team", env=env))
    assert runs[-1].code == 0, runs[-1].err
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/team") == PASSCODE
    assert real_keyring.lookup("cttui", ACCOUNT) is None
    runs.append(
        run_cttui(
            "credentials",
            "set",
            "--profile",
            "other",
            "--account-id",
            ACCOUNT,
            "--passcode-stdin",
            env=env,
            stdin="a-different-passcode\n",
        )
    )
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/other") == "a-different-passcode"
    runs.append(run_cttui("count", "Charged", *RECENT, "--profile", "other", env=env))
    assert runs[-1].code == 1  # its own passcode, which the emulator does not accept
    runs.append(run_cttui("count", "Charged", *RECENT, "--profile", "mine", env=env))
    assert runs[-1].code == 0, runs[-1].err
    runs.append(run_cttui("credentials", "delete", "--profile", "mine", "--yes", env=env))
    assert runs[-1].out.startswith(
        "deleted profile mine; its passcode was removed from the OS keyring; team, other, on the "
        "same account, keep theirs"
    )
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/mine") is None
    assert real_keyring.lookup("cttui", f"{ACCOUNT}/team") == PASSCODE
    for name in ("team", "other"):
        runs.append(run_cttui("credentials", "delete", "--profile", name, "--yes", env=env))
        assert runs[-1].code == 0, runs[-1].err
    assert [
        s for attributes, s in real_keyring.items() if attributes.get("service") == "cttui"
    ] == []
    assert PASSCODE not in _outputs(*runs)
    assert _files_holding(isolated_home, PASSCODE) == []
