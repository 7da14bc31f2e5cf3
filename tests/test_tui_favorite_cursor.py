"""F3 reopens the favourites on the one used last, found by its name: after escape, after enter
ran it, after a rename, with favourites added above it by hand meanwhile; one deleted meanwhile
leaves the cursor at the top."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from cttui.emulator import Emulator
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.name_prompt import NamePromptScreen
from tests.apps import WORK, build_app, settle, until, until_equal
from tests.test_tui_favorites import LAUNCHES, SIZE, VIEWS, WEEKLY, app_on, open_favorites, saved

ODD = Favorite("a[/]b ünï 東京", "Charged")


def on(screen: FavoritesScreen) -> str | None:
    return screen.selected.name if screen.selected else None


async def reopen(pilot: Pilot[int]) -> FavoritesScreen:
    await settle(pilot, MainScreen)
    return await open_favorites(pilot)


async def move_to(pilot: Pilot[int], screen: FavoritesScreen, name: str) -> None:
    """Down until the cursor is on `name` (bounded: at most one press a row)."""
    for _ in screen.favorites.items:
        if on(screen) == name:
            break
        await pilot.press("down")
    await until_equal(pilot, lambda: on(screen), name)


async def opened_on(pilot: Pilot[int], name: str, saved: int) -> FavoritesScreen:
    """F3 once the `saved` favourites are read, and the cursor moved down to `name`."""
    screen = await open_favorites(pilot)
    await until(pilot, lambda: len(screen.favorites.items) == saved, "the file")
    await move_to(pilot, screen, name)
    return screen


async def test_escape_then_f3_comes_back_to_the_same_favourite_by_name(
    isolated_home: Path,
) -> None:
    saved(WEEKLY, LAUNCHES, ODD, VIEWS)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened_on(pilot, WEEKLY.name, 4)
        # Never opened before: on the first.
        assert screen.table.cursor_row == 0
        await move_to(pilot, screen, ODD.name)
        await pilot.press("escape")
        screen = await reopen(pilot)
        await until_equal(pilot, lambda: on(screen), ODD.name)
        # Two favourites written above it by hand while the screen was closed: still on it.
        await move_to(pilot, screen, VIEWS.name)
        await pilot.press("escape")
        await settle(pilot, MainScreen)
        text = favorites_file().read_text()
        first = text.index("[[favorite]]")
        added = '[[favorite]]\nname = "New one"\nevent_name = "E"\nrange = "today"\n\n'
        added += '[[favorite]]\nname = "Newer one"\nevent_name = "F"\nrange = "today"\n\n'
        favorites_file().write_text(text[:first] + added + text[first:])
        await until(pilot, lambda: len(app.session.favorites.current.items) == 6, "the edit")
        screen = await reopen(pilot)
        await until_equal(pilot, lambda: on(screen), VIEWS.name)
        assert screen.table.cursor_row == 5


async def test_a_renamed_favourite_is_found_again_and_a_deleted_one_leaves_the_top(
    isolated_home: Path,
) -> None:
    saved(WEEKLY, LAUNCHES, VIEWS)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened_on(pilot, LAUNCHES.name, 3)
        await pilot.press("n")
        await settle(pilot, NamePromptScreen)
        app.screen.query_one(Input).value = "Launches, renamed"
        await pilot.press("enter")
        await settle(pilot, FavoritesScreen)
        await until_equal(pilot, lambda: on(screen), "Launches, renamed")
        await pilot.press("escape")
        screen = await reopen(pilot)
        await until_equal(pilot, lambda: on(screen), "Launches, renamed")
        await pilot.press("escape")
        await settle(pilot, MainScreen)
        FavoritesStore(favorites_file()).delete(["Launches, renamed"])
        await until(pilot, lambda: len(app.session.favorites.current.items) == 2, "the delete")
        screen = await reopen(pilot)
        await until_equal(pilot, lambda: on(screen), WEEKLY.name)


async def test_enter_runs_a_favourite_and_f3_comes_back_to_it(emulator: Emulator) -> None:
    saved(WEEKLY, LAUNCHES, VIEWS)
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await opened_on(pilot, VIEWS.name, 3)
        await pilot.press("enter")
        await settle(pilot, MainScreen)
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job")
        assert app.session.jobs.jobs[0].favorite == VIEWS.name
        screen = await reopen(pilot)
        await until_equal(pilot, lambda: on(screen), VIEWS.name)
