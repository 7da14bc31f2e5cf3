"""`cttui credentials test`: the session's connection test the app's credentials screen uses,
against the emulator over loopback, with the passcode never shown."""

from __future__ import annotations

import io
import socket
import sys

import pytest

from cttui.api.regions import get_region
from cttui.cli.main import main
from cttui.emulator import Emulator
from cttui.store.config import Config, Profile, save_config
from cttui.store.paths import config_file
from tests.conftest import DEFAULTS, run_cttui
from tests.memory_keyring import MemoryKeyring

WRONG = "wr0ng-passcode-9Zq"


def cttui(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def profiles(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> str:
    save_config(
        Config(
            (
                Profile("emu", DEFAULTS.account_id, get_region("eu1")),
                Profile("wrong", "WRO-NGA-CCNT", get_region("in1")),
            ),
            "emu",
        ),
        config_file(),
    )
    memory_keyring.items[("cttui", DEFAULTS.account_id)] = DEFAULTS.passcode
    memory_keyring.items[("cttui", "WRO-NGA-CCNT")] = WRONG
    for name in ("CLEVERTAP_ACCOUNT_ID", "CLEVERTAP_PASSCODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CTTUI_BASE_URL", emulator.base_url)
    return emulator.base_url.split("://", 1)[1]


def test_working_credentials_exit_0_naming_the_host(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, profiles: str
) -> None:
    code, out, err = cttui(capsys, monkeypatch, "credentials", "test")
    assert (code, err) == (0, "")
    assert out == (
        f"OK: the server at http://{profiles} (CTTUI_BASE_URL) accepted these credentials for "
        f"{DEFAULTS.account_id}.\n"
    )
    assert "Europe" not in out
    assert DEFAULTS.passcode not in out


def test_a_401_exits_1_without_the_passcode(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, profiles: str
) -> None:
    code, out, err = cttui(capsys, monkeypatch, "credentials", "test", "--profile", "wrong")
    assert (code, out) == (1, "")
    assert err.startswith("cttui: Bad credentials: the server at http://")
    assert "refused account WRO-NGA-CCNT with this passcode" in err
    assert err.count("\n") == 1
    assert WRONG not in err


@pytest.mark.parametrize(
    ("family", "host", "shown"),
    [(socket.AF_INET, "127.0.0.1", "127.0.0.1"), (socket.AF_INET6, "::1", "[::1]")],
)
def test_no_server_there_exits_1_saying_the_server_refused_not_the_region(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    profiles: str,
    family: socket.AddressFamily,
    host: str,
    shown: str,
) -> None:
    # Bound and never listening: the port is refused for as long as the test holds it.
    with socket.socket(family) as unused:
        unused.bind((host, 0))
        base_url = f"http://{shown}:{unused.getsockname()[1]}"
        monkeypatch.setenv("CTTUI_BASE_URL", base_url)
        code, out, err = cttui(capsys, monkeypatch, "credentials", "test")
    assert (code, out) == (1, "")
    assert err == (
        f"cttui: Network error: the server at {base_url} refused the connection: nothing "
        "listens there; start it (for the emulator, 'cttui emulator') or check CTTUI_BASE_URL.\n"
    )


def test_an_unknown_profile_or_none_saved_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, profiles: str
) -> None:
    code, _, err = cttui(capsys, monkeypatch, "credentials", "test", "--profile", "prod")
    assert (code, err) == (2, "cttui: no profile named 'prod' (known: emu, wrong)\n")
    config_file().unlink()
    code, _, err = cttui(capsys, monkeypatch, "credentials", "test")
    assert code == 2
    assert err == "cttui: no profiles yet: add one with 'cttui credentials set --account-id ID'\n"


def test_a_profile_without_a_saved_passcode_exits_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    profiles: str,
) -> None:
    memory_keyring.items.clear()
    code, _, err = cttui(capsys, monkeypatch, "credentials", "test")
    assert code == 2
    assert err.count("\n") == 1


def test_the_demo_credentials_work() -> None:
    result = run_cttui("--demo", "credentials", "test")
    assert result.code == 0, result.err
    assert result.out.startswith("OK: the built-in emulator at http://127.0.0.1:")
    assert result.out.endswith(" accepted these credentials for EMU-LAT-0001.\n")
    assert "Europe" not in result.out


def test_credentials_from_the_environment_are_the_ones_tested(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, profiles: str
) -> None:
    # What a cron job without a keyring uses is what it can check: no config.toml at all.
    config_file().unlink()
    monkeypatch.setenv("CLEVERTAP_ACCOUNT_ID", DEFAULTS.account_id)
    monkeypatch.setenv("CLEVERTAP_PASSCODE", DEFAULTS.passcode)
    code, out, err = cttui(capsys, monkeypatch, "credentials", "test")
    assert (code, err) == (0, "cttui: testing the credentials from the environment\n")
    assert out.startswith(f"OK: the server at http://{profiles} (CTTUI_BASE_URL) accepted ")
    assert DEFAULTS.passcode not in out + err


def test_a_wrong_passcode_in_the_environment_fails_though_the_saved_one_works(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, profiles: str
) -> None:
    # As for every command, CLEVERTAP_PASSCODE overrides the keyring: the test says so.
    monkeypatch.setenv("CLEVERTAP_PASSCODE", WRONG)
    code, out, err = cttui(capsys, monkeypatch, "credentials", "test", "--profile", "emu")
    assert (code, out) == (1, "")
    first, second = err.splitlines()
    assert first == "cttui: testing profile emu, with CLEVERTAP_PASSCODE from environment"
    assert second.startswith("cttui: Bad credentials: the server at ")
    assert second.endswith("refused account EMU-LAT-0001 with this passcode.")
    assert WRONG not in err


def test_another_account_in_the_environment_without_its_passcode_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, profiles: str
) -> None:
    monkeypatch.setenv("CLEVERTAP_ACCOUNT_ID", "ZZZ-ZZZ-ZZZZ")
    code, out, err = cttui(capsys, monkeypatch, "credentials", "test")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "cttui: CLEVERTAP_ACCOUNT_ID is set without CLEVERTAP_PASSCODE: set it too, to test them"
    )
