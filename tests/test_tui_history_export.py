"""The favourites screen's exports, driven with Pilot: `y` copies the highlighted favourite's
counts as TSV, `w` saves them as CSV where the prompt says, asking before replacing a file; a
failure keeps the prompt and what was typed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cttui.exports import export_file_name
from cttui.records import FavoriteRun
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file, journal_file
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.history_export import SaveExportScreen
from tests.apps import build_app, settle, until, until_equal
from tests.test_cli_exports import NAME, as_rows, seed
from tests.test_tui_favorites import open_favorites, toasts

SIZE = (120, 40)
HEADER = ["from", "to", "count", "counted_at", "job"]


@pytest.fixture
def runs() -> list[FavoriteRun]:
    """The favourite's counts in the journal on disk (seeded here: a Pilot test cannot run an
    event loop of its own)."""
    return seed()


async def highlight(pilot: Pilot[int], name: str) -> FavoritesScreen:
    screen = await open_favorites(pilot)
    rows = [str(row.key.value) for row in screen.table.ordered_rows]
    screen.table.move_cursor(row=rows.index(name))
    await until(pilot, lambda: screen.selected is not None and screen.selected.name == name, name)
    return screen


async def test_y_copies_the_counts_of_the_current_query_as_tsv(runs: list[FavoriteRun]) -> None:
    app = build_app(journal=journal_file())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await highlight(pilot, NAME)
        await pilot.press("y")
        await until(pilot, lambda: bool(app.clipboard), "the clipboard")
        header, *rows = csv.reader(
            io.StringIO(app.clipboard), delimiter="\t", quoting=csv.QUOTE_NONE
        )
        assert header == HEADER
        assert rows == as_rows(runs[2:])
        assert f"Copied: 3 count(s) of {NAME} as TSV: paste them into a spreadsheet" in toasts(app)


async def test_a_favourite_never_counted_has_nothing_to_copy(runs: list[FavoriteRun]) -> None:
    FavoritesStore(favorites_file()).save(Favorite("Never run", "Charged"))
    app = build_app(journal=journal_file())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await highlight(pilot, "Never run")
        await pilot.press("y", "w")
        await until(pilot, lambda: len(toasts(app)) == 2, "two toasts")
        assert app.clipboard == ""
        assert not isinstance(app.screen, SaveExportScreen)
        assert set(toasts(app)) == {
            "Nothing to export: Never run has no counts of its query yet: enter runs it"
        }


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


async def open_save(pilot: Pilot[int]) -> Input:
    await highlight(pilot, NAME)
    await pilot.press("w")
    await settle(pilot, SaveExportScreen)
    return pilot.app.screen.query_one("#export-path", Input)


async def test_w_saves_the_counts_as_csv_in_the_home_directory(
    runs: list[FavoriteRun], isolated_home: Path
) -> None:
    app = build_app(journal=journal_file())
    target = isolated_home / f"{export_file_name(NAME)}-history.csv"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        field = await open_save(pilot)
        assert field.value == f"~/{export_file_name(NAME)}-history.csv"
        await pilot.press("enter")
        await settle(pilot, FavoritesScreen)
        assert f"Saved: 3 count(s) in {target}" in toasts(app)
    assert read_csv(target) == [HEADER, *as_rows(runs[2:])]
    assert target.read_bytes().count(b"\r\n") == 4


async def test_saving_over_a_file_asks_and_no_keeps_it(
    runs: list[FavoriteRun], isolated_home: Path
) -> None:
    target = isolated_home / "counts.csv"
    target.write_text("mine")
    app = build_app(journal=journal_file())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        field = await open_save(pilot)
        field.value = "~/counts.csv"
        await pilot.press("enter")
        await settle(pilot, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot, SaveExportScreen)
        # Kept, and so is what was typed, to name another file or to say yes after all.
        assert target.read_text() == "mine"
        assert app.screen.query_one("#export-path", Input).value == "~/counts.csv"
        await pilot.press("enter")
        await settle(pilot, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, FavoritesScreen)
    assert read_csv(target) == [HEADER, *as_rows(runs[2:])]


async def test_a_failed_save_is_one_toast_and_keeps_the_prompt(
    runs: list[FavoriteRun], tmp_path: Path
) -> None:
    nowhere = tmp_path / "missing" / "counts.csv"
    app = build_app(journal=journal_file())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        field = await open_save(pilot)
        for typed, said in (
            (str(nowhere), f"there is no directory {nowhere.parent}"),
            (str(tmp_path), "is a directory"),
        ):
            field.value = typed
            app._notifications.clear()
            await pilot.press("enter")
            await until(pilot, lambda: bool(toasts(app)), "the toast")
            [toast] = toasts(app)
            assert toast.startswith("Not saved: cannot write ")
            assert said in toast
            assert "\n" not in toast
            assert isinstance(app.screen, SaveExportScreen)
            assert field.value == typed
        field.value = ""
        await pilot.press("enter")
        problem = app.screen.query_one("#export-problem")
        await until_equal(pilot, lambda: problem.display, True)
    assert not nowhere.parent.exists()


def test_a_name_becomes_a_file_name_a_shell_need_not_quote() -> None:
    assert export_file_name("Weekly buyers") == "Weekly-buyers"
    assert export_file_name("../.hidden/ü x") == "hidden-ü-x"
    assert export_file_name(NAME) == "HYPERLINK-x--1-ünï"
    assert export_file_name("///") == "favourite"
