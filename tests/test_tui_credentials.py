"""The app shell and the credentials screen, driven with Pilot over an in-memory keyring (and the
emulator over loopback for the connection test)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path

import keyring
import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select, Static

from cttui.emulator import Emulator
from cttui.store.config import Config, Profile, load_config
from cttui.store.credentials import SessionPasscodes
from cttui.store.paths import config_file
from cttui.tui import screens
from cttui.tui.app import CttuiApp
from cttui.tui.failures import ShowsFailedWorkers
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.help import HelpScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.preview import QueryPreview
from tests.apps import STAGING, WORK, build_app, idle, send, until, until_equal
from tests.conftest import DEFAULTS
from tests.memory_keyring import MemoryKeyring, NoBusKeyring

PASSCODE = "tui-pc-Zr81!unique"
SIZE = (120, 40)


async def settle(pilot: Pilot[int], ready: Callable[[], bool] = lambda: True) -> None:
    """Let the keys pressed be handled, `ready` hold (what the test checks next: a pause may
    return before the worker it waits for has even started) and the workers finish (bounded:
    a condition, never an await on a worker a newer one may cancel)."""
    await pilot.pause()
    await until(pilot, lambda: ready() and idle(pilot.app), "the app to be ready")


def text_of(app: CttuiApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def curl_preview(pilot: Pilot[int]) -> str:
    """The curl the main screen offers for a query: it names the account counts go to."""
    assert not pilot.app.screen.query_one("#connection").display
    pilot.app.screen.query_one("#event", Input).value = "App Launched"
    preview = pilot.app.screen.query_one(QueryPreview)
    await until(pilot, lambda: "App Launched" in (preview.curl or ""), "the curl preview")
    return preview.curl or ""


async def fill(pilot: Pilot[int], selector: str, value: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.press(*value)
    await pilot.pause()


async def test_first_run_opens_the_credentials_screen_and_saves_to_the_keyring(
    memory_keyring: MemoryKeyring,
) -> None:
    app = build_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        assert isinstance(app.screen, CredentialsScreen)
        assert "Welcome to cttui" in text_of(app, "#welcome")
        assert app.sub_title == "no profile yet"
        await fill(pilot, "#name", "work")
        await fill(pilot, "#account-id", WORK.account_id)
        app.screen.query_one("#region", Select).value = "in1"
        await fill(pilot, "#passcode", PASSCODE)
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: memory_keyring.items == {("cttui", "W9R-486-4W5Z/work"): PASSCODE}
        )
        assert memory_keyring.items == {("cttui", "W9R-486-4W5Z/work"): PASSCODE}
        assert load_config(config_file()) == Config((WORK,), "work")
        assert app.screen.query_one("#passcode", Input).value == ""
        assert "A passcode is saved in the OS keyring" in text_of(app, "#passcode-note")
        assert "Saved profile work. It is the active profile." in text_of(app, "#status")
        assert app.sub_title == "work · in1 India"
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, MainScreen))
        assert isinstance(app.screen, MainScreen)
        assert "X-CleverTap-Account-Id: W9R-486-4W5Z" in await curl_preview(pilot)


async def test_a_saved_profile_reopens_masked(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.items[("cttui", WORK.account_id)] = PASSCODE
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, MainScreen))
        assert isinstance(app.screen, MainScreen)
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        screen = app.screen
        assert isinstance(screen, CredentialsScreen)
        assert screen.query_one("#account-id", Input).value == WORK.account_id
        passcode = screen.query_one("#passcode", Input)
        assert (passcode.value, passcode.password) == ("", True)
        assert passcode.placeholder == "saved: type a new one to replace it"
        assert PASSCODE not in app.export_screenshot()


async def test_pasting_a_dashboard_url_fills_account_and_region() -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        account = app.screen.query_one("#account-id", Input)
        account.value = "https://aps3.dashboard.clevertap.com/ABC-DEF-1234/main/overview"
        await until_equal(pilot, lambda: account.value, "ABC-DEF-1234")
        assert app.screen.query_one("#region", Select).value == "aps3"
        assert "Filled from the dashboard URL" in text_of(app, "#account-note")
        account.value = "abc123"
        await until(pilot, lambda: "XXX-XXX" in text_of(app, "#account-note"), "the note")
        assert "usually look like XXX-XXX-XXXX" in text_of(app, "#account-note")


async def test_saving_with_bad_fields_says_what_to_fix_and_stores_nothing(
    memory_keyring: MemoryKeyring,
) -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "a profile needs a name" in text_of(app, "#status"))
        assert "a profile needs a name" in text_of(app, "#status")
        assert app.focused is app.screen.query_one("#name")
        await fill(pilot, "#name", "work")
        await fill(pilot, "#account-id", WORK.account_id)
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: "enter the passcode for profile work (W9R-486-4W5Z)" in text_of(app, "#status"),
        )
        assert "enter the passcode for profile work (W9R-486-4W5Z)" in text_of(app, "#status")
        assert app.focused is app.screen.query_one("#passcode")
        assert memory_keyring.items == {}
        assert not config_file().exists()


async def test_connection_test_against_the_emulator(emulator: Emulator) -> None:
    app = build_app(environ={"CTTUI_BASE_URL": emulator.base_url})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#name", "emu")
        await fill(pilot, "#account-id", DEFAULTS.account_id)
        await fill(pilot, "#passcode", DEFAULTS.passcode)
        emulator.reset_log()
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: text_of(app, "#status").startswith("OK:"))
        assert text_of(app, "#status") == (
            f"OK: the server at {emulator.base_url} (CTTUI_BASE_URL) accepted these credentials "
            "for EMU-LAT-0001."
        )
        assert [r.method for r in emulator.requests] == ["POST"]
        await fill(pilot, "#passcode", "wrong-passcode")
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: text_of(app, "#status").startswith("Bad credentials"))
        status = text_of(app, "#status")
        # Not CleverTap: its advice to check the region does not apply to this server.
        assert status == (
            f"Bad credentials: the server at {emulator.base_url} (CTTUI_BASE_URL) refused "
            "account EMU-LAT-0001 with this passcode."
        )
        assert "wrong-passcode" not in status
        assert app.screen.query_one("#status").has_class("-error")


async def test_connection_test_with_nothing_listening_is_a_network_error() -> None:
    app = build_app(environ={"CTTUI_BASE_URL": "http://127.0.0.1:9"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#account-id", DEFAULTS.account_id)
        await fill(pilot, "#passcode", "x")
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: text_of(app, "#status").startswith("Network error:"))
        assert text_of(app, "#status").startswith("Network error:")


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787"),
        ("http://[::1]:8787", "http://[::1]:8787"),
        ("https://counts.example.com:8443/ct", "https://counts.example.com:8443/ct"),
    ],
)
async def test_the_header_names_the_server_that_cttui_base_url_sends_to(
    memory_keyring: MemoryKeyring, base_url: str, shown: str
) -> None:
    # The profile is in India, but the requests go elsewhere: the header says where.
    app = build_app(profiles=(WORK,), environ={"CTTUI_BASE_URL": base_url})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.sub_title.startswith("work"))
        assert app.sub_title == f"work · → {shown}"
    app = build_app(
        profiles=(WORK,), environ={"CTTUI_BASE_URL": base_url, "CLEVERTAP_PASSCODE": "env-pc"}
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.sub_title.startswith("work"))
        assert app.sub_title == f"work · → {shown} · from environment"


async def test_a_region_api_host_in_cttui_base_url_reads_as_that_region(
    memory_keyring: MemoryKeyring,
) -> None:
    # Pointing CTTUI_BASE_URL at the profile's own host changes nothing.
    app = build_app(profiles=(WORK,), environ={"CTTUI_BASE_URL": "https://in1.api.clevertap.com/"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.sub_title.startswith("work"))
        assert app.sub_title == "work · in1 India"


async def test_delete_asks_first_then_removes_the_keyring_entry(
    memory_keyring: MemoryKeyring,
) -> None:
    memory_keyring.items[("cttui", WORK.account_id)] = PASSCODE
    app = build_app(profiles=(WORK, STAGING))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        await pilot.press("f8")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot, lambda: memory_keyring.items != {})
        assert memory_keyring.items != {}
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, lambda: memory_keyring.items == {})
        assert memory_keyring.items == {}
        assert load_config(config_file()) == Config((STAGING,), "staging")
        assert app.sub_title == "staging · eu1 Europe"
        assert "Deleted profile work" in text_of(app, "#status")


async def test_switching_profile_from_the_palette(memory_keyring: MemoryKeyring) -> None:
    app = build_app(profiles=(WORK, STAGING))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.sub_title == "work · in1 India")
        assert app.sub_title == "work · in1 India"
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Switch profile: staging")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, lambda: app.sub_title == "staging · eu1 Europe")
        assert app.sub_title == "staging · eu1 Europe"
        assert load_config(config_file()).active == "staging"
        assert "X-CleverTap-Account-Id: TEST-8R6-5Z4Z" in await curl_preview(pilot)


async def test_profile_option_and_environment_override_are_shown(
    memory_keyring: MemoryKeyring,
) -> None:
    app = build_app(profiles=(WORK, STAGING), profile="staging")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.sub_title == "staging · eu1 Europe")
        assert app.sub_title == "staging · eu1 Europe"
    app = build_app(profiles=(WORK,), environ={"CLEVERTAP_PASSCODE": "from-env"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.sub_title == "work · in1 India · from environment")
        assert app.sub_title == "work · in1 India · from environment"
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        banner = app.screen.query_one("#env-banner", Static)
        assert banner.display
        assert "CLEVERTAP_PASSCODE from the environment override" in str(banner.render())
    assert load_config(config_file()).active == "work"  # nothing from the environment saved


async def test_no_keyring_offers_this_session_only(memory_keyring: MemoryKeyring) -> None:
    keyring.set_keyring(NoBusKeyring())
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#name", "work")
        await fill(pilot, "#account-id", WORK.account_id)
        await fill(pilot, "#passcode", PASSCODE)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen.query_one("#keyring-banner").display)
        banner = app.screen.query_one("#keyring-banner")
        assert banner.display
        assert "No usable OS keyring: RuntimeError" in text_of(app, "#keyring-text")
        assert "Not saved: the OS keyring is not usable" in text_of(app, "#status")
        assert not config_file().exists()
        await pilot.click("#session-only")
        await settle(pilot, lambda: app.session.session_only)
        assert app.session.session_only
        assert "for this session only" in text_of(app, "#keyring-text")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.session.store.passcodes, SessionPasscodes))
        assert isinstance(app.session.store.passcodes, SessionPasscodes)
        assert app.session.store.passcodes.get("W9R-486-4W5Z/work") == PASSCODE
        assert load_config(config_file()).names() == ["work"]
        assert PASSCODE not in config_file().read_text()


async def test_unsaved_changes_are_never_dropped_without_asking() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        await fill(pilot, "#account-id", "NEW-ACC-0001")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # keep editing
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        assert isinstance(app.screen, CredentialsScreen)
        assert app.screen.query_one("#account-id", Input).value == "NEW-ACC-0001"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, lambda: isinstance(app.screen, MainScreen))
        assert isinstance(app.screen, MainScreen)


async def test_a_failing_worker_becomes_a_toast_and_the_app_lives_on() -> None:
    app = build_app(profiles=(WORK,))

    def boom() -> None:
        raise ValueError("disk on fire")

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.screen.run_worker(boom, name="Burning", thread=True, exit_on_error=False)
        app.run_worker(boom, name="Burning twice", thread=True, exit_on_error=False)
        await settle(pilot, lambda: len(app._notifications) >= 2)
        messages = [n.message for n in app._notifications]
        assert any("Burning failed (ValueError: disk on fire)" in m for m in messages)
        assert any("Burning twice failed" in m for m in messages)
        assert app.is_running
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        assert isinstance(app.screen, CredentialsScreen)


def test_every_screen_reports_failed_workers() -> None:
    """Textual tells only a worker's own node that it failed: every screen needs the mixin."""
    found = [
        cls
        for path in Path(screens.__file__).parent.glob("*.py")
        for _, cls in inspect.getmembers(
            importlib.import_module(f"cttui.tui.screens.{path.stem}"), inspect.isclass
        )
        if issubclass(cls, Screen) and cls.__module__.startswith("cttui.")
    ]
    assert {cls.__name__ for cls in found} >= {"MainScreen", "CredentialsScreen", "HelpScreen"}
    assert [cls.__name__ for cls in found if not issubclass(cls, ShowsFailedWorkers)] == []
    assert issubclass(CttuiApp, ShowsFailedWorkers)


async def test_theme_is_remembered_in_config(memory_keyring: MemoryKeyring) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await settle(pilot)
    assert load_config(config_file()).theme == "nord"
    assert load_config(config_file()).profiles == (WORK,)
    again = build_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: again.theme == "nord")
        assert again.theme == "nord"


async def test_a_theme_that_cannot_be_saved_says_why_and_not_that_cttui_has_a_bug(
    memory_keyring: MemoryKeyring,
) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        # config.toml's place taken by a directory: every write of it fails, with its cause.
        config_file().unlink()
        config_file().mkdir()
        app.theme = "nord"
        await until(
            pilot,
            lambda: any("config.toml" in n.message for n in app._notifications),
            "the toast",
        )
        said = [n for n in app._notifications if "config.toml" in n.message]
        assert said[0].title == "Theme not saved"
        assert "nord stays for this session" in said[0].message
        assert all(n.title != "A bug in cttui" for n in app._notifications)
        assert app.theme == "nord"


async def test_an_unknown_theme_in_config_is_a_warning(memory_keyring: MemoryKeyring) -> None:
    app = build_app(profiles=(WORK,), theme="no-such-theme")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(
            pilot,
            lambda: any("no-such-theme" in n.message for n in app._notifications),
            "the warning",
        )
        assert app.theme == "textual-dark"


async def test_f1_help_lists_the_keys_of_the_screen_beneath() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen)
        rows = [
            str(cell)
            for table in app.screen.query(DataTable)
            for row in range(table.row_count)
            for cell in table.get_row_at(row)
        ]
        for wanted in ("^s", "Save profile", "Test connection", "f8", "Delete profile", "Quit"):
            assert wanted in rows
        assert "Command palette" in rows
        assert rows.index("Save profile") < rows.index("Move cursor left")  # cttui's keys first
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        assert isinstance(app.screen, CredentialsScreen)


async def test_demo_profile_lives_in_memory_only(emulator: Emulator) -> None:
    from cttui.session.setup import SessionSetup

    app = CttuiApp(SessionSetup.for_demo(emulator.config, emulator.base_url, 1.0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.title == "cttui DEMO")
        assert app.title == "cttui DEMO"
        assert app.has_class("-demo")
        app.theme = "nord"
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: text_of(app, "#status").startswith("OK:"))
        assert text_of(app, "#status").startswith("OK:")
    assert not config_file().exists()
    assert keyring.get_password("cttui", emulator.config.account_id) is None


async def test_a_passcode_no_header_can_carry_is_an_inline_error(
    memory_keyring: MemoryKeyring,
) -> None:
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#name", "work")
        await fill(pilot, "#account-id", WORK.account_id)
        passcode = app.screen.query_one("#passcode", Input)
        for typed, problem in (
            ("caf\u00e9-pass", "a character that is not plain ASCII"),
            ("two\nlines", "a line break or another control character"),
        ):
            for key in ("ctrl+s", "ctrl+t"):
                passcode.value = typed  # as a paste would put it there
                await pilot.press(key)
                await settle(pilot)
                status = text_of(app, "#status")
                assert problem in status, status
                assert status.isascii()
                assert app.focused is passcode
        assert memory_keyring.items == {}
        assert not config_file().exists()


async def test_delete_says_what_happens_to_the_passcode(memory_keyring: MemoryKeyring) -> None:
    twin = Profile("team", WORK.account_id, WORK.region)
    memory_keyring.items[("cttui", WORK.account_id)] = PASSCODE  # saved by an older cttui
    app = build_app(profiles=(WORK, twin, STAGING))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, CredentialsScreen))
        await pilot.press("f8")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        # Opening the profile moved the old entry to its own; team still relies on the old one.
        assert text_of(app, "#confirm-question") == (
            "Delete profile work (W9R-486-4W5Z)? Its passcode is removed from the OS keyring; "
            "team, on the same account, keeps its passcode."
        )
        await pilot.press("y")
        await settle(pilot)
        # team, shown next, moved the old entry to its own: nothing relies on the old one now.
        assert memory_keyring.items == {("cttui", "W9R-486-4W5Z/team"): PASSCODE}
        assert text_of(app, "#status") == (
            "Deleted profile work; its passcode was removed from the OS keyring; team, on the "
            "same account, keeps its passcode."
        )


async def test_two_profiles_on_one_account_send_with_their_own_passcodes(
    memory_keyring: MemoryKeyring, emulator: Emulator
) -> None:
    from datetime import timedelta

    from cttui.api.models import DateRange, Query
    from cttui.records import JobState
    from cttui.store.selection import select

    right = Profile("right", DEFAULTS.account_id, WORK.region)
    stale = Profile("stale", DEFAULTS.account_id, WORK.region)
    memory_keyring.items[("cttui", f"{DEFAULTS.account_id}/right")] = DEFAULTS.passcode
    memory_keyring.items[("cttui", f"{DEFAULTS.account_id}/stale")] = "an-old-passcode"
    app = build_app(profiles=(right, stale), environ={"CTTUI_BASE_URL": emulator.base_url})
    today = emulator.config.resolved_today()
    query = Query("Charged", DateRange(today - timedelta(days=3), today))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for sent, name in enumerate(("right", "stale"), start=1):
            send(app, query, select(app.session.setup.environ, app.session.config, name))

            def finished(sent: int = sent) -> bool:
                return (
                    len(app.session.jobs.jobs) == sent and app.session.jobs.jobs[-1].state.finished
                )

            await until(pilot, finished, f"the job of {name} to finish")
        states = [(job.origin.profile, job.state) for job in app.session.jobs.jobs]
        assert states == [("right", JobState.DONE), ("stale", JobState.FAILED)]
