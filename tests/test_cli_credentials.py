"""`cttui credentials ...`, and `count` on a saved profile instead of the environment."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import keyring
import pytest

from cttui.api.regions import get_region
from cttui.cli.main import main
from cttui.emulator import Emulator
from cttui.store.config import Config, Profile, load_config, save_config
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import config_file, favorites_file
from tests.conftest import DEFAULTS, emulator_variables, run_cttui
from tests.memory_keyring import MemoryKeyring, NoBusKeyring

PASSCODE = "pc-7Hq!x92-unique"
TODAY = date.today()
RECENT = ["--from", (TODAY - timedelta(days=5)).isoformat(), "--to", TODAY.isoformat()]


def cttui(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_set_reads_the_passcode_from_stdin_into_the_keyring_only(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    code, out, err = cttui(
        capsys,
        monkeypatch,
        "credentials", "set", "--profile", "work", "--account-id", "W9R-486-4W5Z",
        "--region", "in1", "--passcode-stdin",
        stdin=PASSCODE + "\n",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == (
        "saved profile work: account W9R-486-4W5Z, region in1 (India, in1.api.clevertap.com); "
        "passcode in the OS keyring\n"
    )
    assert memory_keyring.items == {("cttui", "W9R-486-4W5Z/work"): PASSCODE}
    assert load_config(config_file()) == Config(
        (Profile("work", "W9R-486-4W5Z", get_region("in1")),), "work"
    )
    assert PASSCODE not in config_file().read_text()


def test_set_takes_account_and_region_from_a_dashboard_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://sg1.dashboard.clevertap.com/ABC-DEF-1234/main/overview"
    code, _, _ = cttui(
        capsys, monkeypatch, "credentials", "set", "--account-id", url, "--passcode-stdin",
        stdin="x",
    )  # fmt: skip
    assert code == 0
    assert load_config(config_file()).profiles == (
        Profile("default", "ABC-DEF-1234", get_region("sg1")),
    )
    code, _, err = cttui(
        capsys, monkeypatch, "credentials", "set", "--account-id", url, "--region", "eu1",
        "--passcode-stdin", stdin="x",
    )  # fmt: skip
    assert code == 2
    assert "the dashboard URL is in region sg1 but --region says eu1" in err


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--account-id", "A", "--passcode", PASSCODE], "", "never takes a passcode as an arg"),
        (["--account-id", "A", f"--passcode={PASSCODE}"], "", "never takes a passcode as an arg"),
        (["--account-id", "A", "--passcode-std"], "", "'--passcode-std' is not one of its options"),
        (["--account-id", "W9R-486-4W5Z"], "", "no terminal to ask for the passcode on; pipe it "
         "in and add --passcode-stdin"),
        (["--account-id", "W9R-486-4W5Z", "--passcode-stdin"], "", "no passcode on standard input"),
        (["--account-id", "W9R-486-4W5Z", "--passcode-stdin"], "a\nb\n", "must be a single line"),
        (["--passcode-stdin"], "x", "a new profile needs --account-id"),
        (["--account-id", "A", "--region", "mars", "--passcode-stdin"], "x", "unknown region"),
        (["--profile", "a/b", "--account-id", "A", "--passcode-stdin"], "x", "may use letters"),
    ],
)  # fmt: skip
def test_set_refuses_bad_input_in_one_line_and_saves_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    args: list[str],
    stdin: str,
    message: str,
) -> None:
    code, out, err = cttui(capsys, monkeypatch, "credentials", "set", *args, stdin=stdin)
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1
    assert PASSCODE not in out + err
    assert not config_file().exists()
    assert memory_keyring.items == {}


def test_an_unusual_account_id_is_saved_with_a_warning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cttui(
        capsys, monkeypatch, "credentials", "set", "--account-id", "acct42", "--passcode-stdin",
        stdin="x",
    )  # fmt: skip
    assert code == 0
    assert "warning: account IDs usually look like XXX-XXX-XXXX" in err


def _two_profiles(memory_keyring: MemoryKeyring) -> None:
    save_config(
        Config(
            (
                Profile("work", "W9R-486-4W5Z", get_region("in1")),
                Profile("staging", "TEST-8R6-5Z4Z", get_region("eu1")),
            ),
            "work",
        ),
        config_file(),
    )
    memory_keyring.items[("cttui", "W9R-486-4W5Z")] = PASSCODE


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787"),
        ("http://[::1]:8787", "http://[::1]:8787"),
        ("https://counts.example.com", "https://counts.example.com"),
    ],
)
def test_show_names_the_server_cttui_base_url_sends_to(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    base_url: str,
    shown: str,
) -> None:
    _two_profiles(memory_keyring)
    monkeypatch.setenv("CTTUI_BASE_URL", base_url)
    code, out, err = cttui(capsys, monkeypatch, "credentials", "show")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "profile     work (active)",
        "account ID  W9R-486-4W5Z",
        "region      in1 (India), not used while CTTUI_BASE_URL is set",
        f"server      → {shown} (CTTUI_BASE_URL)",
        "passcode    ******** (in the OS keyring)",
    ]


def test_show_with_the_regions_own_host_or_a_bad_base_url(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    _two_profiles(memory_keyring)
    monkeypatch.setenv("CTTUI_BASE_URL", "https://in1.api.clevertap.com/")
    code, out, _ = cttui(capsys, monkeypatch, "credentials", "show")
    assert code == 0
    assert "region      in1 (India, in1.api.clevertap.com)" in out.splitlines()
    assert "server" not in out
    for bad in ("ftp://127.0.0.1", "http://10.0.0.1:8787", "http://127.0.0.1/\x1b[2J"):
        monkeypatch.setenv("CTTUI_BASE_URL", bad)
        code, out, err = cttui(capsys, monkeypatch, "credentials", "show")
        assert (code, out) == (2, "")
        assert err.startswith("cttui: base URL ")
        assert err.count("\n") == 1
        assert "\x1b" not in err


def test_list_show_use_and_delete(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    _two_profiles(memory_keyring)
    assert cttui(capsys, monkeypatch, "credentials", "list") == (
        0,
        "* work     W9R-486-4W5Z    in1 (India)\n  staging  TEST-8R6-5Z4Z   eu1 (Europe)\n",
        "",
    )
    code, out, _ = cttui(capsys, monkeypatch, "credentials", "show")
    assert code == 0
    assert out.splitlines() == [
        "profile     work (active)",
        "account ID  W9R-486-4W5Z",
        "region      in1 (India, in1.api.clevertap.com)",
        "passcode    ******** (in the OS keyring)",
    ]
    code, out, _ = cttui(capsys, monkeypatch, "credentials", "show", "--profile", "staging")
    assert "passcode    not saved yet" in out
    assert cttui(capsys, monkeypatch, "credentials", "use", "staging")[:2] == (
        0,
        "active profile: staging\n",
    )
    code, _, err = cttui(capsys, monkeypatch, "credentials", "use", "prod")
    assert (code, err) == (2, "cttui: no profile named 'prod' (known: work, staging)\n")
    code, _, err = cttui(capsys, monkeypatch, "credentials", "delete", "--profile", "work")
    assert (code, err) == (2, "cttui: add --yes to delete a profile without being asked\n")
    code, out, _ = cttui(capsys, monkeypatch, "credentials", "delete", "--profile", "work", "--yes")
    assert code == 0
    assert out == (
        "deleted profile work; its passcode was removed from the OS keyring\n"
        "active profile: staging\n"
    )
    assert memory_keyring.items == {}
    assert load_config(config_file()).names() == ["staging"]


def test_delete_with_no_keyring_deletes_the_profile_and_says_what_is_left(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    _two_profiles(memory_keyring)
    keyring.set_keyring(NoBusKeyring())
    code, _, err = cttui(capsys, monkeypatch, "credentials", "delete", "--yes")
    assert code == 1
    assert "deleted profile work, but its passcode could not be removed" in err
    assert load_config(config_file()).names() == ["staging"]


def test_count_uses_the_active_profile_without_environment_variables(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    emulator: Emulator,
) -> None:
    save_config(
        Config(
            (
                Profile("emu", DEFAULTS.account_id, get_region("eu1")),
                Profile("wrong", "WRO-NGA-CCNT", get_region("eu1")),
            ),
            "emu",
        ),
        config_file(),
    )
    memory_keyring.items[("cttui", DEFAULTS.account_id)] = DEFAULTS.passcode
    memory_keyring.items[("cttui", "WRO-NGA-CCNT")] = "nope"
    monkeypatch.setenv("CTTUI_BASE_URL", emulator.base_url)
    start, end = (int(day.replace("-", "")) for day in RECENT[1::2])
    expected = emulator.count("Charged", start, end)
    assert cttui(capsys, monkeypatch, "count", "Charged", *RECENT) == (0, f"{expected}\n", "")
    code, _, err = cttui(capsys, monkeypatch, "count", "Charged", *RECENT, "--profile", "wrong")
    assert code == 1
    assert "rejected the credentials" in err
    assert "region" in err
    # The environment still wins, for one run.
    monkeypatch.setenv("CLEVERTAP_PASSCODE", "bad-from-env")
    assert cttui(capsys, monkeypatch, "count", "Charged", *RECENT)[0] == 1


def test_count_with_no_keyring_exits_2_naming_the_fix(emulator: Emulator) -> None:
    """The real binary, whose keyring (the fail backend this suite sets) finds no backend."""
    save_config(Config((Profile("emu", DEFAULTS.account_id, get_region("eu1")),)), config_file())
    result = run_cttui("count", "Charged", *RECENT, env={"CTTUI_BASE_URL": emulator.base_url})
    assert result.code == 2
    assert result.err == (
        "cttui: cannot read the passcode for emu: the OS keyring is not usable (no keyring "
        "backend found; install and unlock one such as gnome-keyring or KWallet); set "
        "CLEVERTAP_PASSCODE for this run, or install and unlock a keyring such as gnome-keyring\n"
    )
    with_env = run_cttui(
        "count",
        "Charged",
        *RECENT,
        env={"CTTUI_BASE_URL": emulator.base_url, "CLEVERTAP_PASSCODE": DEFAULTS.passcode},
    )
    assert with_env.code == 0, with_env.err


def test_headless_count_on_a_profile_imports_keyring_but_never_textual(
    emulator: Emulator, memory_keyring: MemoryKeyring
) -> None:
    probe = (
        "import sys\nfrom cttui.cli.main import main\ncode = main(sys.argv[1:])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'keyring'}))\n"
        "sys.exit(code)"
    )
    save_config(Config((Profile("emu", DEFAULTS.account_id, get_region("eu1")),)), config_file())
    result = subprocess.run(
        [sys.executable, "-c", probe, "count", "Charged", *RECENT],
        env={**os.environ, "CTTUI_BASE_URL": emulator.base_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "['keyring']", result.stderr


def test_the_app_module_imports_neither_keyring_nor_httpx_until_they_are_needed() -> None:
    probe = "import sys, cttui.tui.app; print(sorted({'keyring', 'httpx'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_app_refuses_an_unknown_profile_or_a_broken_config_before_it_starts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    save_config(Config((Profile("work", "W9R-486-4W5Z", get_region("in1")),)), config_file())
    assert cttui(capsys, monkeypatch, "--profile", "nope") == (
        2,
        "",
        "cttui: no profile named 'nope' (known: work)\n",
    )
    config_file().write_text("active_profile = [")
    code, _, err = cttui(capsys, monkeypatch)
    assert code == 2
    assert "config.toml is not valid TOML" in err
    assert "fix it or move it aside" in err


@pytest.mark.parametrize(
    "args",
    [
        ["credentials", "set", "--account-id", "A", "--passcod", PASSCODE],
        ["credentials", "set", "--account-id", "A", "-p", PASSCODE],
        ["credentials", "set", "--account-id", "A", f"-p{PASSCODE}"],
        ["credentials", "set", "--account-id", "A", "--pass", PASSCODE],
        ["credentials", "set", "--account-id", "A", f"--pass={PASSCODE}"],
        ["credentials", "set", "--account-id", "A", "--PASSCODE", PASSCODE],
        ["credentials", "set", "--account-id", "A", "--passcode-stdn", PASSCODE],
        ["credentials", "set", "--account-id", "A", f"--passcode-stdin={PASSCODE}"],
        ["count", "Charged", "--pascode", PASSCODE],
        ["--passcode", PASSCODE],
    ],
)
def test_a_passcode_option_misspelt_is_refused_without_echoing_its_value(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    args: list[str],
) -> None:
    code, out, err = cttui(capsys, monkeypatch, *args)
    assert code == 2
    assert "cttui never takes a passcode as an argument" in err
    assert "--passcode-stdin" in err
    assert len(err.splitlines()) == 1
    assert PASSCODE not in out + err
    assert PASSCODE[3:] not in out + err
    assert memory_keyring.items == {}


@pytest.mark.parametrize(
    ("stdin", "problem"),
    [
        ("trailing-space \n", "starts or ends with a space"),
        ("caf\u00e9-passcode\n", "a character that is not plain ASCII"),
        ("tab\tinside\n", "a line break or another control character"),
    ],
)
def test_set_refuses_a_passcode_no_header_can_carry(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    stdin: str,
    problem: str,
) -> None:
    code, _, err = cttui(
        capsys, monkeypatch, "credentials", "set", "--account-id", "W9R-486-4W5Z",
        "--passcode-stdin", stdin=stdin,
    )  # fmt: skip
    assert code == 2
    assert problem in err
    assert err.isascii()
    assert len(err.splitlines()) == 1
    assert stdin.strip() not in err
    assert memory_keyring.items == {}
    assert not config_file().exists()


@pytest.mark.parametrize("passcode", ["emulator-passcode\n", "emulator-passcode ", "\u00e9mulator"])
def test_a_bad_environment_passcode_fails_at_once_and_sends_nothing(
    emulator: Emulator, passcode: str
) -> None:
    env = {**emulator_variables(emulator), "CLEVERTAP_PASSCODE": passcode}
    result = run_cttui("count", "Charged", *RECENT, env=env, timeout=60)
    assert result.code == 2, result.err
    assert result.err.startswith("cttui: CLEVERTAP_PASSCODE ")
    assert len(result.err.splitlines()) == 1
    assert "LocalProtocolError" not in result.err
    assert emulator.requests == []


def test_two_profiles_on_one_account_each_count_with_their_own_passcode(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    emulator: Emulator,
) -> None:
    for name, passcode in (("right", DEFAULTS.passcode), ("stale", "an-old-passcode")):
        code, _, err = cttui(
            capsys, monkeypatch, "credentials", "set", "--profile", name,
            "--account-id", DEFAULTS.account_id, "--passcode-stdin", stdin=passcode + "\n",
        )  # fmt: skip
        assert code == 0, err
    monkeypatch.setenv("CTTUI_BASE_URL", emulator.base_url)
    start, end = (int(day.replace("-", "")) for day in RECENT[1::2])
    expected = emulator.count("Charged", start, end)
    assert cttui(capsys, monkeypatch, "count", "Charged", *RECENT, "--profile", "right") == (
        0,
        f"{expected}\n",
        "",
    )
    code, _, err = cttui(capsys, monkeypatch, "count", "Charged", *RECENT, "--profile", "stale")
    assert code == 1
    assert "rejected the credentials" in err
    # Deleting one says what happens to each entry, and the other still counts.
    code, out, _ = cttui(
        capsys, monkeypatch, "credentials", "delete", "--profile", "stale", "--yes"
    )
    assert out.splitlines()[0] == (
        "deleted profile stale; its passcode was removed from the OS keyring; right, on the "
        "same account, keeps its passcode"
    )
    assert cttui(capsys, monkeypatch, "count", "Charged", *RECENT, "--profile", "right")[0] == 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_delete_prompt_says_what_happens_to_an_entry_shared_from_an_older_version(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    save_config(
        Config(
            (
                Profile("work", "W9R-486-4W5Z", get_region("in1")),
                Profile("team", "W9R-486-4W5Z", get_region("in1")),
            ),
            "work",
        ),
        config_file(),
    )
    memory_keyring.items[("cttui", "W9R-486-4W5Z")] = PASSCODE  # saved by an older cttui
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert main(["credentials", "delete", "--profile", "work"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Delete profile work (W9R-486-4W5Z)? Its passcode stays in the OS keyring: team, on the "
        "same account, uses it too. [y/N] "
    )
    assert memory_keyring.items == {("cttui", "W9R-486-4W5Z"): PASSCODE}


def test_jobs_resume_polls_each_job_with_its_own_profiles_passcode(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    emulator: Emulator,
) -> None:
    save_config(
        Config(
            (
                Profile("right", DEFAULTS.account_id, get_region("eu1")),
                Profile("stale", DEFAULTS.account_id, get_region("eu1")),
            ),
            "right",
        ),
        config_file(),
    )
    memory_keyring.items[("cttui", f"{DEFAULTS.account_id}/right")] = DEFAULTS.passcode
    memory_keyring.items[("cttui", f"{DEFAULTS.account_id}/stale")] = "an-old-passcode"
    monkeypatch.setenv("CTTUI_BASE_URL", emulator.base_url)
    monkeypatch.setenv("CTTUI_POLL_INTERVAL", "0.1")
    long = ["--from", (TODAY - timedelta(days=60)).isoformat(), "--to", TODAY.isoformat()]
    # Both sent with the right passcode, for one run each; both left pending.
    monkeypatch.setenv("CLEVERTAP_PASSCODE", DEFAULTS.passcode)
    for name in ("right", "stale"):
        code, _, err = cttui(capsys, monkeypatch, "count", "Charged", *long, "--profile", name,
                             "--no-wait")  # fmt: skip
        assert code == 3, err
    monkeypatch.delenv("CLEVERTAP_PASSCODE")
    code, _, err = cttui(capsys, monkeypatch, "jobs", "resume")
    assert code == 1, err
    code, out, _ = cttui(capsys, monkeypatch, "jobs", "--json")
    states = {job["profile"]: job["state"] for job in json.loads(out)}
    assert states == {"right": "done", "stale": "failed"}


def test_run_sends_each_favourite_with_its_own_profiles_passcode(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    emulator: Emulator,
) -> None:
    save_config(
        Config(
            (
                Profile("right", DEFAULTS.account_id, get_region("eu1")),
                Profile("stale", DEFAULTS.account_id, get_region("eu1")),
            ),
            "right",
        ),
        config_file(),
    )
    memory_keyring.items[("cttui", f"{DEFAULTS.account_id}/right")] = DEFAULTS.passcode
    memory_keyring.items[("cttui", f"{DEFAULTS.account_id}/stale")] = "an-old-passcode"
    store = FavoritesStore(favorites_file())
    for name in ("right", "stale"):
        store.save(Favorite(f"on {name}", "Charged", profile=name))
    monkeypatch.setenv("CTTUI_BASE_URL", emulator.base_url)
    code, out, err = cttui(capsys, monkeypatch, "run", "on right", "on stale", "--json")
    assert code == 1, err
    assert [(run["name"], run["status"]) for run in json.loads(out)] == [
        ("on right", "success"),
        ("on stale", "fail"),
    ]


def test_credentials_list_names_the_override_without_loading_the_selection() -> None:
    save_config(Config((Profile("emu", DEFAULTS.account_id, get_region("eu1")),)), config_file())
    probe = (
        "import sys\nfrom cttui.cli.main import main\ncode = main(sys.argv[1:])\n"
        "print('cttui.store.selection' in sys.modules)\nsys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "credentials", "list"],
        env={**os.environ, "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "CLEVERTAP_ACCOUNT_ID is set" in result.stderr
    assert result.stdout.splitlines()[-1] == "False"
