"""`cttui favorites rename|duplicate|delete`: the session's verbs the app's favourites screen
uses, on favorites.toml and the journal's history, from the installed binary."""

from __future__ import annotations

import io
import json
import sys

import pytest

from cttui.api.ranges import RangePreset
from cttui.cli.main import main
from cttui.emulator import Emulator
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from tests.conftest import run_cttui

WEEKLY = Favorite("weekly buyers", "Charged", dates=RangePreset.LAST_7_DAYS)
LAUNCHES = Favorite("launches", "App Launched", dates=RangePreset.LAST_30_DAYS)


def save(*favorites: Favorite) -> None:
    store = FavoritesStore(favorites_file())
    for favorite in favorites:
        store.save(favorite)


def listed() -> dict[str, list[object]]:
    result = run_cttui("favorites", "--json")
    assert result.code == 0, result.err
    return {item["name"]: item["runs"] for item in json.loads(result.out)}


def test_rename_moves_the_history_with_it(emulator: Emulator, emulator_env: dict[str, str]) -> None:
    save(WEEKLY, LAUNCHES)
    assert run_cttui("run", "weekly buyers", env=emulator_env).code == 0
    runs = listed()["weekly buyers"]
    assert len(runs) == 1

    renamed = run_cttui("favorites", "rename", "weekly buyers", "buyers")
    assert (renamed.code, renamed.out, renamed.err) == (0, "weekly buyers is now buyers\n", "")
    assert listed() == {"buyers": runs, "launches": []}


def test_rename_onto_an_existing_name_exits_2_and_changes_nothing() -> None:
    save(WEEKLY, LAUNCHES)
    before = favorites_file().read_bytes()
    result = run_cttui("favorites", "rename", "weekly buyers", "Launches")
    assert result.code == 2
    assert result.err == "cttui: a favourite named 'launches' already exists; pick another name\n"
    assert favorites_file().read_bytes() == before


def test_an_unknown_name_exits_2_with_the_known_ones() -> None:
    save(WEEKLY, LAUNCHES)
    before = favorites_file().read_bytes()
    for args in (("rename", "nope", "new"), ("delete", "nope", "--yes"), ("duplicate", "nope")):
        result = run_cttui("favorites", *args)
        assert result.code == 2, args
        assert result.err == (
            "cttui: no favourite named 'nope' (known: weekly buyers, launches)\n"
        ), args
    assert favorites_file().read_bytes() == before


def test_a_broken_file_exits_2_and_stays_byte_for_byte() -> None:
    path = favorites_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[[favorite]]\nname = "good"\nevent = "Charged"\nrange = "today"\n\n'
        '[[favorite]]\nname = "bad"\nevent = "Charged"\nrange = "last_fortnight"\n'
    )
    before = path.read_bytes()
    for args in (("rename", "good", "better"), ("delete", "good", "--yes"), ("duplicate", "good")):
        result = run_cttui("favorites", *args)
        assert result.code == 2, args
        assert result.err.startswith(f"cttui: {path}:"), result.err
        assert result.err.count("\n") == 1
    assert path.read_bytes() == before


def test_duplicate_saves_a_copy_beside_it() -> None:
    save(WEEKLY, LAUNCHES)
    result = run_cttui("favorites", "duplicate", "weekly buyers")
    assert (result.code, result.out) == (0, "weekly buyers (copy) saved\n")
    assert list(listed()) == ["weekly buyers", "weekly buyers (copy)", "launches"]


def test_delete_drops_the_favourite_and_its_history_as_the_app_does(
    emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    save(WEEKLY, LAUNCHES)
    assert run_cttui("run", "weekly buyers", env=emulator_env).code == 0
    deleted = run_cttui("favorites", "delete", "weekly buyers", "--yes")
    assert (deleted.code, deleted.out) == (0, "weekly buyers deleted\n")
    save(WEEKLY)
    # Saved again under the same name, it starts with no counts: they went with the delete.
    assert listed() == {"launches": [], "weekly buyers": []}


def test_delete_without_a_terminal_or_yes_refuses_with_the_hint() -> None:
    save(WEEKLY)
    before = favorites_file().read_bytes()
    result = run_cttui("favorites", "delete", "weekly buyers")
    assert result.code == 2
    assert result.err == "cttui: add --yes to delete a favourite without being asked\n"
    assert favorites_file().read_bytes() == before


def test_the_editing_commands_work_on_the_demo() -> None:
    store = FavoritesStore(favorites_file(demo=True))
    store.save(WEEKLY)
    assert run_cttui("--demo", "favorites", "rename", "weekly buyers", "w").code == 0
    assert run_cttui("--demo", "favorites", "duplicate", "w").code == 0
    assert run_cttui("--demo", "favorites", "delete", "w", "--yes").code == 0
    assert [item.name for item in store.read().items] == ["w (copy)"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "kept"), [("n\n", True), ("y\n", False)])
def test_delete_on_a_terminal_asks_first(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, answer: str, kept: bool
) -> None:
    save(WEEKLY)
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    assert main(["favorites", "delete", "weekly buyers"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Delete favourite 'weekly buyers'? [y/N] ")
    assert captured.err == ("cttui: nothing deleted\n" if kept else "")
    names = [item.name for item in FavoritesStore(favorites_file()).read().items]
    assert names == (["weekly buyers"] if kept else [])
