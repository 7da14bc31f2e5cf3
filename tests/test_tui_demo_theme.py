"""The demo remembers the theme picked in it, in its own state (demo/config.toml), and comes back
with it; the user's config.toml is never read for it nor written, and a plain cttui keeps its
own theme. A demo settings file that cannot be read or written is one line, never a crash."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.pilot import Pilot

from cttui.session.setup import SessionSetup
from cttui.store.config import load_config
from cttui.store.paths import config_file, demo_config_file
from cttui.tui.app import CttuiApp
from tests.apps import WORK, build_app, until, until_equal
from tests.conftest import DEFAULTS
from tests.test_hostile_files import read_only, tmpfs

SIZE = (80, 24)


def demo_app() -> CttuiApp:
    # No request is sent: the demo's emulator need not run for its theme.
    return CttuiApp(SessionSetup.for_demo(DEFAULTS, "http://127.0.0.1:9", 1.0))


def said(app: CttuiApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def not_saved(app: CttuiApp) -> list[str]:
    return [line for line in said(app) if line.startswith("Theme not saved:")]


async def started(pilot: Pilot[int]) -> None:
    app = pilot.app
    await until(pilot, lambda: app.screen.is_mounted, "the main screen")


async def test_the_demo_comes_back_with_its_theme_and_leaves_the_users_alone(
    isolated_home: Path,
) -> None:
    user = build_app(profiles=(WORK,), theme="gruvbox")
    before = config_file().read_bytes()
    demo = demo_app()
    async with demo.run_test(size=SIZE) as pilot:
        await started(pilot)
        # The demo does not take the user's theme either.
        assert demo.theme == "textual-dark"
        demo.theme = "nord"
        await until(pilot, demo_config_file().exists, "the demo's settings")
        await until_equal(pilot, lambda: load_config(demo_config_file()).theme, "nord")
    assert config_file().read_bytes() == before
    assert oct(demo_config_file().stat().st_mode & 0o777) == "0o600"
    # Its own file holds the theme, not the demo's profile.
    assert tomllib.loads(demo_config_file().read_text()).get("profiles", {}) == {}

    again = demo_app()
    async with again.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until_equal(pilot, lambda: again.theme, "nord")

    async with user.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until_equal(pilot, lambda: user.theme, "gruvbox")
        user.theme = "dracula"
        await until_equal(pilot, lambda: load_config(config_file()).theme, "dracula")
    assert load_config(demo_config_file()).theme == "nord"


async def test_a_demo_settings_file_that_does_not_read_is_a_warning_and_is_never_overwritten(
    isolated_home: Path,
) -> None:
    demo_config_file().parent.mkdir(parents=True)
    demo_config_file().write_bytes(b"theme = [nord\x00")
    garbage = demo_config_file().read_bytes()
    demo = demo_app()
    async with demo.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        await until(pilot, lambda: any(str(demo_config_file()) in t for t in said(demo)), "line")
        (warning,) = [t for t in said(demo) if str(demo_config_file()) in t]
        assert "move it aside" in warning
        assert demo.theme == "textual-dark"
        demo._notifications.clear()
        demo.theme = "nord"
        await until(pilot, lambda: bool(not_saved(demo)), "the refusal")
        assert str(demo_config_file()) in not_saved(demo)[0]
        assert all("bug" not in t for t in said(demo))
        assert demo.theme == "nord"
    assert demo_config_file().read_bytes() == garbage
    assert not config_file().exists()


async def test_a_read_only_demo_state_is_one_line_and_the_theme_stays_for_the_session(
    isolated_home: Path,
) -> None:
    with tmpfs(demo_config_file().parent) as directory:
        read_only(directory)
        demo = demo_app()
        async with demo.run_test(size=SIZE, notifications=True) as pilot:
            await started(pilot)
            demo.theme = "nord"
            await until(pilot, lambda: bool(not_saved(demo)), "the refusal")
            (line,) = not_saved(demo)
            assert str(demo_config_file()) in line
            assert "read-only" in line
            assert line.endswith("nord stays for this session only")
            assert all("bug" not in t for t in said(demo))
            assert demo.theme == "nord"
        assert not demo_config_file().exists()
    assert not config_file().exists()
