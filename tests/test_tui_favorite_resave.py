"""ctrl+s on a favourite that the file already holds as it is: no question, one line saying so,
and not a byte written; anything that differs (the query, the dates, the profile) asks first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Select

from cttui.api.models import PropertyFilter
from cttui.api.operators import Operator
from cttui.store.favorites import Favorite, FavoriteExists
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.app import CttuiApp
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.save_favorite import SaveFavoriteScreen
from tests.apps import STAGING, WORK, build_app, settle, until
from tests.test_hostile_files import read_only, tmpfs
from tests.test_tui_favorites import LAUNCHES, WEEKLY, saved, toasts

SIZE = (120, 40)
MARKUP = Favorite(
    "a[/]b ünï", "Charged", (PropertyFilter("City", Operator.EQUALS, "x" * 600),), profile="work"
)


def on_disk() -> tuple[bytes, int, int]:
    """What a write, even of the same bytes, would change: the content, the inode, the time."""
    path = favorites_file()
    stat = path.stat()
    return path.read_bytes(), stat.st_ino, stat.st_mtime_ns


async def load_and_save(pilot: Pilot[int], name: str) -> None:
    """F3, load `name` with l, then ctrl+s: the dialog, open."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    await settle(pilot, MainScreen)
    await until(pilot, lambda: bool(app.session.favorites.current.items), "the file read")
    await pilot.press("f3")
    await settle(pilot, FavoritesScreen)
    screen = app.screen
    assert isinstance(screen, FavoritesScreen)
    while screen.selected is not None and screen.selected.name != name:
        await pilot.press("down")
    await pilot.press("l")
    await settle(pilot, MainScreen)
    await until(pilot, lambda: app.screen.query_one("#event", Input).value != "", "the load")
    await pilot.press("ctrl+s")
    await settle(pilot, SaveFavoriteScreen)
    assert app.screen.query_one("#favorite-name", Input).value == name


@pytest.mark.parametrize("favorite", [WEEKLY, LAUNCHES, MARKUP], ids=["rolling", "fixed", "odd"])
async def test_saving_an_unchanged_favourite_again_says_so_and_writes_nothing(
    isolated_home: Path, favorite: Favorite
) -> None:
    saved(WEEKLY, LAUNCHES, MARKUP)
    before = on_disk()
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await load_and_save(pilot, favorite.name)
        await pilot.press("enter")
        await settle(pilot, MainScreen)
        said = f"Favourite: {favorite.name} is already saved as it is; nothing was written"
        await until(pilot, lambda: said in toasts(app), "the toast")
        assert not any(isinstance(screen, ConfirmScreen) for screen in app.screen_stack)
        # Kept in a favourite: quitting does not ask about the editor's query.
        main = app.screen
        assert isinstance(main, MainScreen)
        assert not main.holds_unsent_work
    assert on_disk() == before


async def test_on_a_read_only_disk_an_unchanged_favourite_is_already_saved_and_a_change_refused(
    isolated_home: Path,
) -> None:
    with tmpfs(favorites_file().parent) as directory:
        saved(WEEKLY)
        app = build_app(profiles=(WORK,))
        read_only(directory)
        before = on_disk()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await load_and_save(pilot, WEEKLY.name)
            await pilot.press("enter")
            said = f"Favourite: {WEEKLY.name} is already saved as it is; nothing was written"
            await until(pilot, lambda: said in toasts(app), "the toast")
            assert not any(t.startswith("Not saved") for t in toasts(app))
            # Changed, it needs a write: one line saying why not.
            await settle(pilot, MainScreen)
            await pilot.press("ctrl+s")
            await settle(pilot, SaveFavoriteScreen)
            app.screen.query_one("#favorite-name", Input).value = "Another name"
            await pilot.press("enter")
            await until(pilot, lambda: any(t.startswith("Not saved") for t in toasts(app)), "no")
            (refusal,) = [t for t in toasts(app) if t.startswith("Not saved")]
            assert str(favorites_file()) in refusal
            assert "read-only" in refusal
        assert on_disk() == before


async def test_other_dates_or_another_profile_ask_before_replacing(isolated_home: Path) -> None:
    saved(WEEKLY)
    before = on_disk()
    app = build_app(profiles=(WORK, STAGING))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for change in ("dates", "profile"):
            await load_and_save(pilot, WEEKLY.name)
            if change == "dates":
                app.screen.query_one("#dates-fixed", RadioButton).value = True
            else:
                app.screen.query_one("#favorite-profile", Select).value = "staging"
            await pilot.press("enter")
            await settle(pilot, ConfirmScreen)
            await pilot.press("n")
            await settle(pilot, SaveFavoriteScreen)
            await pilot.press("escape")
            await settle(pilot, MainScreen)
    assert on_disk() == before
    assert not any("already saved" in t for t in toasts(app))


async def test_a_hand_edit_made_while_the_dialog_is_open_is_never_overwritten(
    isolated_home: Path,
) -> None:
    """The dialog saw the favourite unchanged; by the time Save is pressed the file holds
    another query under that name: refused with one line, the hand edit kept."""
    store = saved(WEEKLY)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await load_and_save(pilot, WEEKLY.name)
        edited = favorites_file().read_text().replace('"Charged"', '"Edited By Hand"')
        favorites_file().write_text(edited)
        await pilot.press("enter")
        await until(pilot, lambda: any(t.startswith("Not saved:") for t in toasts(app)), "refusal")
        (refusal,) = [t for t in toasts(app) if t.startswith("Not saved:")]
        assert refusal == (
            "Not saved: a favourite named 'Weekly buyers' already exists; pick another name"
        )
        # The editor still holds the query, to save under another name.
        assert app.screen.query_one("#event", Input).value == "Charged"
    assert favorites_file().read_text() == edited
    assert [item.event_name for item in store.read().items] == ["Edited By Hand"]


def test_the_store_writes_nothing_for_a_favourite_it_holds_as_it_is(isolated_home: Path) -> None:
    store = saved(WEEKLY)
    before = on_disk()
    for replace_existing in (False, True):
        # The notes and unknown keys are the file's own: not part of what the editor saves.
        again = Favorite(WEEKLY.name.upper(), WEEKLY.event_name, WEEKLY.filters, WEEKLY.dates)
        favorites, written = store.save_if_changed(again, replace_existing=replace_existing)
        assert not written
        assert favorites.items == (WEEKLY,)
        assert on_disk() == before
    os.utime(favorites_file(), ns=(1, 1))
    # True and 1 compare equal in Python, but CleverTap is sent "True" for one and 1 for the
    # other: another query.
    flag = Favorite("Flag", "Charged", (PropertyFilter("Beta", Operator.EQUALS, True),))
    one = Favorite("Flag", "Charged", (PropertyFilter("Beta", Operator.EQUALS, 1),))
    store.save(flag)
    with pytest.raises(FavoriteExists):
        store.save_if_changed(one)
    assert not flag.same_query(one)
    _, written = store.save_if_changed(one, replace_existing=True)
    assert written
    stored = FavoritesStore(favorites_file()).read().find("Flag")
    assert stored is not None
    assert type(stored.filters[0].value) is int
