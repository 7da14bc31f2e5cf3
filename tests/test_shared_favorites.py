"""Shared favourites: files config.toml names in `favorites_files`, read beside your own
favorites.toml and never written; and CTTUI_FAVORITES / --favorites, which put another file in
place of your own. The installed `cttui` against the emulator, the files on disk."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from cttui.api.errors import UsageError
from cttui.api.ranges import RangePreset
from cttui.emulator import Emulator
from cttui.session.changes import Change, Notice
from cttui.session.core import Session
from cttui.session.setup import SessionSetup
from cttui.store import favorites_shared, favorites_store
from cttui.store.config import load_config, save_config
from cttui.store.credentials import CredentialStore, OsKeyring
from cttui.store.favorites import Favorite, Favorites
from cttui.store.favorites_shared import shared_paths
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import config_file, favorites_file, journal_file
from tests.conftest import run_cttui
from tests.test_cli_favorites import lines_of, span, true_count

TEAM = """\
[[favorite]]
name = "weekly"
event_name = "Charged"
range = "last_7_days"

[[favorite]]
name = "launches"
event_name = "App Launched"
range = "last_30_days"
"""
MINE = Favorite("weekly", "Product Viewed", dates=RangePreset.LAST_7_DAYS)
TEAM_WEEKLY = Favorite("weekly", "Charged", dates=RangePreset.LAST_7_DAYS)
TEAM_LAUNCHES = Favorite("launches", "App Launched", dates=RangePreset.LAST_30_DAYS)


def share(*paths: Path) -> None:
    """config.toml names `paths` as shared favourites files."""
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"favorites_files = {json.dumps([str(item) for item in paths])}\n")


@pytest.fixture
def team(tmp_path: Path) -> Path:
    path = tmp_path / "repo" / "team.toml"
    path.parent.mkdir()
    path.write_text(TEAM)
    share(path)
    return path


def history() -> dict[str, list[int]]:
    with sqlite3.connect(journal_file()) as connection:
        rows = connection.execute("SELECT favorite, count FROM favorite_counts ORDER BY at")
        found: dict[str, list[int]] = {}
        for name, count in rows:
            found.setdefault(name, []).append(count)
    return found


def test_a_shared_favourite_runs_and_keeps_its_history_apart_from_yours(
    team: Path, emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    FavoritesStore(favorites_file()).save(MINE)
    before = team.read_bytes()
    result = run_cttui("run", "weekly", "team.toml:weekly", "launches", env=emulator_env)
    assert result.code == 0, result.err
    # Your own wins a name; FILE:NAME picks the file's; a name only a shared file has is its.
    assert lines_of(result.out) == [
        ("weekly", str(true_count(emulator, MINE)), span(MINE)),
        ("team.toml:weekly", str(true_count(emulator, TEAM_WEEKLY)), span(TEAM_WEEKLY)),
        ("team.toml:launches", str(true_count(emulator, TEAM_LAUNCHES)), span(TEAM_LAUNCHES)),
    ]
    assert history() == {
        "weekly": [true_count(emulator, MINE)],
        "team.toml:weekly": [true_count(emulator, TEAM_WEEKLY)],
        "team.toml:launches": [true_count(emulator, TEAM_LAUNCHES)],
    }
    assert team.read_bytes() == before

    listed = run_cttui("favorites", "--json")
    assert listed.code == 0, listed.err
    rows = {(row["name"], row["file"], len(row["runs"])) for row in json.loads(listed.out)}
    assert rows == {
        ("weekly", None, 1),
        ("team.toml:weekly", "team.toml", 1),
        ("team.toml:launches", "team.toml", 1),
    }
    table = run_cttui("favorites")
    assert [line.split()[0] for line in table.out.splitlines()[1:]] == [
        "weekly",
        "team.toml:weekly",
        "team.toml:launches",
    ]

    # Renaming and deleting your own "weekly" never touches team.toml's history.
    assert run_cttui("favorites", "rename", "weekly", "mine").code == 0
    assert set(history()) == {"mine", "team.toml:weekly", "team.toml:launches"}
    assert run_cttui("favorites", "delete", "mine", "--yes").code == 0
    assert set(history()) == {"team.toml:weekly", "team.toml:launches"}
    assert team.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "verb"),
    [
        (("rename", "team.toml:weekly", "other"), "rename"),
        (("delete", "launches", "--yes"), "delete"),
    ],
)
def test_changing_a_shared_favourite_is_refused_in_one_line(
    team: Path, args: tuple[str, ...], verb: str
) -> None:
    before = team.read_bytes()
    result = run_cttui("favorites", *args)
    assert result.code == 2
    name = "weekly" if verb == "rename" else "launches"
    assert result.err == (
        f"cttui: {name!r} comes from team.toml, which cttui only reads; duplicate it (c) to "
        "change your own copy\n"
    )
    assert team.read_bytes() == before
    assert not favorites_file().exists()


def test_duplicating_a_shared_favourite_makes_your_own_copy(team: Path) -> None:
    before = team.read_bytes()
    result = run_cttui("favorites", "duplicate", "team.toml:weekly")
    assert result.code == 0, result.err
    assert result.out == "weekly saved\n"
    assert FavoritesStore(favorites_file()).read().items == (TEAM_WEEKLY,)
    again = run_cttui("favorites", "duplicate", "team.toml:weekly")
    assert again.out == "weekly (copy) saved\n"
    assert team.read_bytes() == before


def test_your_own_name_may_not_pose_as_a_shared_one(
    team: Path, emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    FavoritesStore(favorites_file()).save(MINE)
    renamed = run_cttui("favorites", "rename", "weekly", "TEAM.toml:weekly")
    saved = run_cttui(
        "count", "Charged", "--range", "last_7_days", "--save", "team.toml:x", env=emulator_env
    )
    for result in (renamed, saved):
        assert result.code == 2
        assert result.err.endswith(
            "names a favourite of team.toml, which cttui only reads; pick another name\n"
        )
    assert FavoritesStore(favorites_file()).read().items == (MINE,)
    assert emulator.requests == []


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


def _huge(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)


def _unreadable(path: Path) -> None:
    # A loop of symbolic links: refused even to root, whom no file mode stops.
    path.symlink_to(path)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda path: path.write_text("[[favorite]\nname = "), "not valid TOML"),
        (
            lambda path: path.write_text('[[favorite]]\nname = "odd"\nevent_name = ""\n'),
            "favourite 'odd'",
        ),
        (_unreadable, "cannot be read"),
        (_directory, "is a directory"),
        (_fifo, "is a FIFO"),
        (_huge, "is larger than 8 MB"),
        (lambda path: None, "does not exist"),
    ],
    ids=["toml", "invalid", "unreadable", "directory", "fifo", "huge", "missing"],
)
def test_a_broken_shared_file_is_one_warning_and_yours_work(
    tmp_path: Path,
    emulator: Emulator,
    emulator_env: dict[str, str],
    make: object,
    said: str,
) -> None:
    broken = tmp_path / "broken.toml"
    make(broken)  # type: ignore[operator]
    share(broken)
    FavoritesStore(favorites_file()).save(MINE)
    listed = run_cttui("favorites")
    assert listed.code == 0, listed.err
    [warning] = listed.err.splitlines()
    assert warning.startswith(f"cttui: warning: {broken}")
    assert said in warning
    assert warning.endswith("; your own favourites work as before")
    assert [line.split()[0] for line in listed.out.splitlines()[1:]] == ["weekly"]
    ran = run_cttui("run", "weekly", env=emulator_env)
    assert ran.code == 0, ran.err
    assert lines_of(ran.out) == [("weekly", str(true_count(emulator, MINE)), span(MINE))]


def test_a_read_only_shared_file_is_read_as_any_other(
    team: Path, emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    team.chmod(0o444)
    team.parent.chmod(0o555)
    try:
        result = run_cttui("run", "launches", env=emulator_env)
    finally:
        team.parent.chmod(0o755)
    assert result.code == 0, result.err
    assert result.err == ""
    assert lines_of(result.out) == [
        ("team.toml:launches", str(true_count(emulator, TEAM_LAUNCHES)), span(TEAM_LAUNCHES))
    ]


def test_two_shared_files_of_one_name_are_told_apart_by_their_directory(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a" / "cttui.toml", tmp_path / "b" / "cttui.toml"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(TEAM)
    share(first, second)
    listed = run_cttui("favorites", "--json")
    assert listed.code == 0, listed.err
    assert [row["name"] for row in json.loads(listed.out)] == [
        "a/cttui.toml:weekly",
        "a/cttui.toml:launches",
        "b/cttui.toml:weekly",
        "b/cttui.toml:launches",
    ]


@pytest.mark.parametrize("how", ["environment", "option", "option after the command"])
def test_cttui_favorites_points_a_run_at_another_file(
    tmp_path: Path, emulator: Emulator, emulator_env: dict[str, str], how: str
) -> None:
    FavoritesStore(favorites_file()).save(MINE)
    other = tmp_path / "elsewhere.toml"
    FavoritesStore(other).save(TEAM_LAUNCHES)
    env = dict(emulator_env)
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    if how == "environment":
        env["CTTUI_FAVORITES"] = str(other)
    elif how == "option":
        before = ("--favorites", str(other))
    else:
        after = ("--favorites", str(other))
    ran = run_cttui(*before, "run", "launches", *after, env=env)
    assert ran.code == 0, ran.err
    assert lines_of(ran.out) == [
        ("launches", str(true_count(emulator, TEAM_LAUNCHES)), span(TEAM_LAUNCHES))
    ]
    # Read and written as your own: a duplicate lands in it, favorites.toml is as it was.
    copied = run_cttui(*before, "favorites", *after, "duplicate", "launches", env=env)
    assert copied.code == 0, copied.err
    assert FavoritesStore(other).read().names() == ["launches", "launches (copy)"]
    assert FavoritesStore(favorites_file()).read().items == (MINE,)
    assert history() == {"launches": [true_count(emulator, TEAM_LAUNCHES)]}


# The app's refresh: the session reads a shared file again when it changes, and only then


def session_sharing(path: Path) -> Session:
    share(path)
    setup = SessionSetup(
        CredentialStore(config_file(), OsKeyring()), {}, favorites=favorites_file()
    )
    return Session(setup)


def test_refresh_rereads_a_shared_file_when_it_changes_and_keeps_it_when_it_goes(
    team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = session_sharing(team)
    heard: list[Change] = []
    session.subscribe(heard.append)
    reads: list[Path] = []
    read = favorites_store.read_favorites

    def counted(path: Path) -> Favorites:
        reads.append(path)
        return read(path)

    monkeypatch.setattr(favorites_shared, "read_favorites", counted)

    async def scenario() -> None:
        book = session.favorites
        await session.refresh()
        assert [item.name for item in book.listed()] == ["team.toml:weekly", "team.toml:launches"]
        await session.refresh()
        assert reads == [team]  # unchanged on disk: a stat, no read

        await asyncio.to_thread(team.write_text, TEAM.replace('"launches"', '"daily launches"'))
        await session.refresh()
        assert [item.name for item in book.listed()][-1] == "team.toml:daily launches"

        await asyncio.to_thread(team.unlink)
        await session.refresh()
        # Gone between two reads: the favourites last read stay, to run; one notice says so.
        assert [item.name for item in book.listed()][-1] == "team.toml:daily launches"
        [notice] = [change for change in heard if isinstance(change, Notice)]
        assert f"{team}: does not exist" in notice.message
        assert notice.message.endswith("your own favourites work as before")
        resolved = book.resolve("launches")
        assert resolved is None
        found = book.resolve("DAILY LAUNCHES")
        assert found is not None
        assert found.history_key == "team.toml:daily launches"
        await session.close()

    asyncio.run(scenario())


def test_the_session_refuses_to_change_a_shared_favourite(team: Path) -> None:
    session = session_sharing(team)

    async def scenario() -> None:
        book = session.favorites
        for change in (
            book.rename("team.toml:weekly", "mine"),
            book.delete(["team.toml:launches"]),
        ):
            with pytest.raises(
                UsageError, match=re.escape("comes from team.toml, which cttui only reads")
            ):
                await change
        with pytest.raises(UsageError, match=re.escape("names a favourite of team.toml")):
            await book.save(Favorite("team.toml:weekly", "Charged"))
        copy = await book.duplicate("team.toml:launches")
        assert copy == TEAM_LAUNCHES
        await session.close()

    asyncio.run(scenario())
    assert team.read_text() == TEAM
    assert FavoritesStore(favorites_file()).read().items == (TEAM_LAUNCHES,)


# config.toml's key, and the names


def test_config_keeps_the_shared_files_as_written_and_refuses_a_bad_value(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('favorites_files = ["~/team/cttui.toml", "growth.toml"]\ntheme = "nord"\n')
    config = load_config(path)
    assert config.favorites_files == ("~/team/cttui.toml", "growth.toml")
    assert shared_paths(config, path) == (
        Path.home() / "team" / "cttui.toml",
        tmp_path / "growth.toml",
    )
    save_config(config.with_theme("gruvbox"), path)
    assert load_config(path).favorites_files == config.favorites_files
    path.write_text('favorites_files = "team.toml"\n')
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert caught.value.message == (
        f'{path}: favorites_files must be a list of file names, such as ["~/team/cttui.toml"]; '
        "fix it or move the file aside"
    )


def test_a_shared_favourite_that_does_not_validate_is_named_when_run(
    tmp_path: Path, emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TEAM + '\n[[favorite]]\nname = "odd"\nevent_name = ""\n')
    share(path)
    result = run_cttui("run", "team.toml:odd", env=emulator_env)
    assert result.code == 2
    assert result.err.splitlines()[-1].startswith(f"cttui: {path}:")
    assert "favourite 'odd'" in result.err.splitlines()[-1]
    assert emulator.requests == []
    # The file's other favourites still run.
    ran = run_cttui("run", "weekly", env=emulator_env)
    assert ran.code == 0, ran.err
    assert lines_of(ran.out)[0][0] == "team.toml:weekly"


def test_a_series_of_a_shared_favourite_keeps_its_points_under_its_file(
    team: Path, emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    FavoritesStore(favorites_file()).save(MINE)
    result = run_cttui(
        "series", "team.toml:weekly", "--every", "week", "--last", "3", env=emulator_env
    )
    assert result.code == 0, result.err
    assert "3 weeks: 3 asked" in result.err
    assert set(history()) == {"team.toml:weekly"}
    assert len(history()["team.toml:weekly"]) == 3
    again = run_cttui("series", "team.toml:weekly", "--last", "3", env=emulator_env)
    assert "2 known already" in again.err
    assert "weekly" not in history()
