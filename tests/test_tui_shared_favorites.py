"""Shared favourites in the app, driven with Pilot: listed under their file's name, run with
their own history, refused when changed, copied with c; a broken shared file is one toast and
your own list works; CTTUI_FAVORITES / --favorites for the app."""

from __future__ import annotations

from pathlib import Path

from cttui.cli.arguments import Scope
from cttui.cli.session import session_setup
from cttui.emulator import Emulator
from cttui.records import JobState
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.app import CttuiApp
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.name_prompt import NamePromptScreen
from tests.apps import settle, until, until_equal
from tests.test_shared_favorites import MINE, TEAM, TEAM_WEEKLY, share
from tests.test_tui_favorites import SIZE, app_on, cell, names, open_favorites, toasts

REFUSED = (
    "Not changed: 'weekly' comes from team.toml, which cttui only reads; duplicate it (c) to "
    "change your own copy"
)


def team_file(tmp_path: Path, text: str = TEAM) -> Path:
    path = tmp_path / "repo" / "team.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    share(path)
    return path


async def test_shared_favourites_are_listed_by_file_and_run_with_their_own_history(
    tmp_path: Path, emulator: Emulator
) -> None:
    team = team_file(tmp_path)
    FavoritesStore(favorites_file()).save(MINE)
    before = team.read_bytes()
    app = app_on(emulator)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_favorites(pilot)
        await until_equal(
            pilot, lambda: names(screen), ["weekly", "team.toml:weekly", "team.toml:launches"]
        )
        assert cell(screen, "team.toml:weekly", "name") == "team.toml:weekly"

        await pilot.press("down", "n")
        await until(pilot, lambda: REFUSED in toasts(app), "the refusal to rename")
        assert isinstance(app.screen, FavoritesScreen)
        app.clear_notifications()
        await pilot.press("d")
        await until(pilot, lambda: REFUSED in toasts(app), "the refusal to delete")
        assert isinstance(app.screen, FavoritesScreen)

        await pilot.press("c")
        # Your own "weekly" has the name: the copy is "weekly (copy)", in your own file.
        await until_equal(pilot, lambda: "weekly (copy)" in names(screen), True)
        copy = FavoritesStore(favorites_file()).read().find("weekly (copy)")
        assert copy is not None
        assert copy.event_name == TEAM_WEEKLY.event_name

        screen.table.move_cursor(row=names(screen).index("team.toml:weekly"))
        await pilot.press("enter")
        await settle(pilot, MainScreen)
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job")
        job = app.session.jobs.jobs[-1]
        await until(pilot, lambda: job.state is JobState.DONE, "the count")
        assert job.favorite == "team.toml:weekly"
        await until(
            pilot,
            lambda: "team.toml:weekly" in app.session.favorites.history(),
            "the shared favourite's history",
        )
        assert "weekly" not in app.session.favorites.history()
    assert team.read_bytes() == before


async def test_a_broken_shared_file_is_a_toast_and_your_own_favourites_work(
    tmp_path: Path, emulator: Emulator
) -> None:
    team = team_file(tmp_path, "[[favorite]\nname = ")
    FavoritesStore(favorites_file()).save(MINE)
    app = app_on(emulator)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_favorites(pilot)
        await until(
            pilot,
            lambda: any(f"{team}:" in toast and "not valid TOML" in toast for toast in toasts(app)),
            "the toast naming the shared file",
        )
        assert names(screen) == ["weekly"]
        # Mended by hand (a git pull) while the app runs: read again at the next refresh.
        team.write_text(TEAM)
        await until_equal(
            pilot, lambda: names(screen), ["weekly", "team.toml:weekly", "team.toml:launches"]
        )
        # Your own file is as writable as ever: n asks for the new name.
        await pilot.press("n")
        await settle(pilot, NamePromptScreen)
        assert not any("Not changed" in toast for toast in toasts(app))


async def test_the_app_on_another_favourites_file(tmp_path: Path) -> None:
    FavoritesStore(favorites_file()).save(MINE)
    other = tmp_path / "elsewhere.toml"
    FavoritesStore(other).save(Favorite("elsewhere", "Charged"))
    app = CttuiApp(session_setup(Scope(demo=False, profile=None, favorites=str(other)), 30.0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_favorites(pilot)
        await until_equal(pilot, lambda: names(screen), ["elsewhere"])
