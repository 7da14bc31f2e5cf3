"""Favourites in the app, driven with Pilot: save (and overwrite) with ctrl+s, the F3 screen
with its filter, rerun one or several against an emulator over loopback, load, rename,
duplicate, delete, a file broken and mended by hand while the app runs."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Select, Static

from cttui.api.models import DateRange, PropertyFilter
from cttui.api.operators import Operator
from cttui.api.ranges import RangePreset
from cttui.emulator import Emulator, EmulatorConfig
from cttui.jobs import Job
from cttui.records import JobRecord, JobState, Origin
from cttui.report import compact_count
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.journal_writer import JournalWriter
from cttui.store.paths import favorites_file, journal_file
from cttui.tui.app import CttuiApp
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.favorites import FavoritesChanged, FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.name_prompt import NamePromptScreen
from cttui.tui.screens.save_favorite import SaveFavoriteScreen
from cttui.tui.widgets.preview import QueryPreview
from cttui.tui.widgets.query_editor import QueryEditor
from tests.apps import TODAY, WORK, build_app, settle, until, until_equal
from tests.conftest import DEFAULTS, emulator_variables, run_cttui

SIZE = (120, 40)
WEEKLY = Favorite(
    "Weekly buyers",
    "Charged",
    (PropertyFilter("Amount", Operator.GREATER_THAN, 100),),
    RangePreset.LAST_7_DAYS,
    notes="the big spenders",
    extra={"owner": "growth"},
)
LAUNCHES = Favorite(
    "Launches", "App Launched", (), DateRange(date(2026, 11, 1), date(2026, 11, 22))
)
VIEWS = Favorite("Product views", "Product Viewed", (), RangePreset.YESTERDAY)


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """Every request waits three seconds in flight, and ten may be: what a client sends at
    once is what the emulator sees at once, even on a machine so loaded that the app takes a
    second to send the next."""
    config = EmulatorConfig(
        seed=7,
        profiles=300,
        events=3_000,
        today=TODAY,
        latency=3.0,
        max_concurrent=10,
        partial_after_days=400,
        cache_dir=tmp_path_factory.mktemp("latency-emulator"),
    )
    with Emulator(config) as running:
        yield running


def saved(*favorites: Favorite) -> FavoritesStore:
    store = FavoritesStore(favorites_file())
    for favorite in favorites:
        store.save(favorite)
    return store


def app_on(emulator: Emulator, journal: Path | None = None) -> CttuiApp:
    emulator.reset_log()
    environ = {
        "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
        "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
        "CTTUI_BASE_URL": emulator.base_url,
    }
    return build_app(environ=environ, poll_interval=0.1, journal=journal)


async def open_favorites(pilot: Pilot[int]) -> FavoritesScreen:
    await settle(pilot, MainScreen)
    await pilot.press("f3")
    await settle(pilot, FavoritesScreen)
    screen = pilot.app.screen
    assert isinstance(screen, FavoritesScreen)
    return screen


def names(screen: FavoritesScreen) -> list[str]:
    table = screen.table
    return [str(row.key.value) for row in table.ordered_rows]


def cell(screen: FavoritesScreen, name: str, column: str) -> str:
    return str(screen.table.get_cell(name, column))


async def run_first(pilot: Pilot[int]) -> Job:
    """Enter on the first favourite; its job, once it has its count."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    before = len(app.session.jobs.jobs)
    await open_favorites(pilot)
    await pilot.press("enter")
    await settle(pilot, MainScreen)
    await until(pilot, lambda: len(app.session.jobs.jobs) > before, "the job")
    job = app.session.jobs.jobs[-1]
    await until(pilot, lambda: job.state is JobState.DONE, "the count")
    return job


def toasts(app: CttuiApp) -> list[str]:
    return [f"{toast.title}: {toast.message}" for toast in app._notifications]


async def type_event(pilot: Pilot[int], event: str) -> None:
    await settle(pilot, MainScreen)
    field = pilot.app.screen.query_one("#event", Input)
    field.value = event
    await shown_in_preview(pilot, event)


async def shown_in_preview(pilot: Pilot[int], event: str) -> None:
    """Wait until the screen has handled the editor's change: the preview shows `event`."""
    preview = pilot.app.screen.query_one(QueryPreview)
    await until(pilot, lambda: f'"{event}"' in (preview.body or ""), f"{event} in the preview")


async def test_ctrl_s_saves_the_query_with_its_rolling_range(isolated_home: Path) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await type_event(pilot, "Charged")
        await pilot.press("ctrl+s")
        await settle(pilot, SaveFavoriteScreen)
        name = app.screen.query_one("#favorite-name", Input)
        assert name.value == "Charged"
        assert app.screen.query_one("#dates-rolling", RadioButton).value
        name.value = "Daily charges"
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.session.favorites.current.items), "the favourite saved")
        await until(pilot, lambda: any("Daily charges saved" in t for t in toasts(app)), "toast")
    document = tomllib.loads(favorites_file().read_text())
    assert document["version"] == 1
    assert document["favorite"] == [
        {"name": "Daily charges", "event_name": "Charged", "range": "last_30_days"}
    ]


async def test_fixed_dates_are_saved_as_dates_when_asked(isolated_home: Path) -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await type_event(pilot, "Charged")
        await pilot.press("ctrl+s")
        await settle(pilot, SaveFavoriteScreen)
        app.screen.query_one("#dates-fixed", RadioButton).value = True
        app.screen.query_one("#favorite-name", Input).value = "November"
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.session.favorites.current.items), "the favourite saved")
    (entry,) = tomllib.loads(favorites_file().read_text())["favorite"]
    assert (entry["from"], entry["to"]) == (date(2026, 10, 25), TODAY)
    assert "range" not in entry


async def test_saving_over_a_name_asks_first_and_keeps_notes_and_unknown_keys(
    isolated_home: Path,
) -> None:
    saved(WEEKLY)
    before = favorites_file().read_bytes()
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.session.favorites.current.items), "the file read")
        await type_event(pilot, "Product Viewed")
        for answer in ("n", "y"):
            await pilot.press("ctrl+s")
            await settle(pilot, SaveFavoriteScreen)
            app.screen.query_one("#favorite-name", Input).value = "weekly BUYERS"
            await pilot.press("enter")
            await settle(pilot, ConfirmScreen)
            await pilot.press(answer)
            if answer == "n":
                await settle(pilot, SaveFavoriteScreen)
                assert favorites_file().read_bytes() == before
                await pilot.press("escape")
        await until(
            pilot,
            lambda: app.session.favorites.current.items[0].event_name == "Product Viewed",
            "the replacement",
        )
    (entry,) = tomllib.loads(favorites_file().read_text())["favorite"]
    assert entry == {
        "name": "Weekly buyers",
        "event_name": "Product Viewed",
        "range": "last_30_days",
        "notes": "the big spenders",
        "owner": "growth",
    }


async def test_filter_as_you_type_narrows_the_list(isolated_home: Path) -> None:
    saved(WEEKLY, LAUNCHES, VIEWS)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_favorites(pilot)
        await until(pilot, lambda: len(names(screen)) == 3, "three favourites")
        await pilot.press("slash")
        await pilot.press(*"spend")
        # Notes are searched.
        await until_equal(pilot, lambda: names(screen), ["Weekly buyers"])
        count = screen.query_one("#favorites-count", Static)
        await until_equal(pilot, lambda: str(count.render()), "1 of 3")
        await pilot.press("ctrl+u")
        await pilot.press(*"app laun")
        # Every word must match.
        await until_equal(pilot, lambda: names(screen), ["Launches"])
        await pilot.press(*"zzz")
        await until_equal(pilot, lambda: names(screen), [])
        await until(pilot, lambda: screen.query_one("#favorites-empty").display, "the empty note")
        await pilot.press("escape")
        everything = ["Weekly buyers", "Launches", "Product views"]
        await until_equal(pilot, lambda: names(screen), everything)
        await pilot.press("escape")
        await until(pilot, lambda: screen.table.has_focus, "the table's focus")
        await pilot.press("escape")
        await settle(pilot, MainScreen)


async def test_enter_reruns_a_favourite_and_its_counts_make_its_history(
    emulator: Emulator, tmp_path: Path
) -> None:
    saved(LAUNCHES, VIEWS)
    app = app_on(emulator, journal=tmp_path / "journal.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(2):
            job = await run_first(pilot)
            assert job.favorite == "Launches"
            assert job.query is not None
            assert job.query.date_range == LAUNCHES.dates
        expected = emulator.count("App Launched", 20261101, 20261122)
        assert [run.count for run in app.session.journal.history()["Launches"]] == [
            expected,
            expected,
        ]
        screen = await open_favorites(pilot)
        assert cell(screen, "Launches", "last") == f"{expected:,}"
        # The same dates counted twice are one point over time, not a flat line of two.
        assert cell(screen, "Launches", "trend") == f"▄ {compact_count(expected)}"
        assert cell(screen, "Product views", "last") == "never run"


async def test_counts_from_cttui_run_elsewhere_show_while_the_screen_is_open(
    emulator: Emulator,
) -> None:
    """Cron's `cttui run` writes to the journal the open app holds: the screen shows its count."""
    saved(LAUNCHES, VIEWS)
    app = app_on(emulator, journal=journal_file())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_favorites(pilot)
        await until(
            pilot,
            lambda: app.session.journal.path is not None and app.session.journal.path.exists(),
            "journal",
        )
        assert cell(screen, "Launches", "last") == "never run"
        environment = emulator_variables(emulator)
        result = await asyncio.to_thread(run_cttui, "run", "Launches", env=environment)
        assert result.code == 0, result.err
        expected = emulator.count("App Launched", 20261101, 20261122)
        await until(pilot, lambda: cell(screen, "Launches", "last") == f"{expected:,}", "the count")
        assert cell(screen, "Launches", "trend") == f"▄ {compact_count(expected)}"
        assert cell(screen, "Product views", "last") == "never run"


async def test_a_change_that_comes_as_the_screen_goes_is_ignored(isolated_home: Path) -> None:
    """Enter runs a favourite and dismisses the screen; its job's first change can reach the
    screen after its widgets are gone (seen once in tmux, as a crash)."""
    saved(WEEKLY)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_favorites(pilot)
        await screen.remove_children()
        # What the footer asks, and what a job's change or a re-read file posts.
        assert screen.check_action("rename", ()) is True
        screen.post_message(FavoritesChanged())
        # Handled once the screen's queue is empty and a pause has let the handler finish; a
        # crash would end the app.
        await until(pilot, lambda: screen.message_queue_size == 0, "the message")
        await pilot.pause()
        assert app.is_running
        assert app.screen is screen


async def test_several_marked_favourites_run_at_once_through_the_gate_of_three(
    slow_emulator: Emulator, tmp_path: Path
) -> None:
    favorites = [
        Favorite(
            f"Charged over {amount}",
            "Charged",
            (PropertyFilter("Amount", Operator.GREATER_THAN, amount),),
        )
        for amount in (10, 20, 30, 40, 50)
    ]
    saved(*favorites)
    app = app_on(slow_emulator, journal=tmp_path / "journal.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_favorites(pilot)
        await until(pilot, lambda: len(names(screen)) == 5, "the favourites")
        await pilot.press("down", "space", "space", "space", "space")
        # The first stays unmarked: the cursor moved off it before the marks.
        marks = [" ", "●", "●", "●", "●"]
        await until_equal(pilot, lambda: [cell(screen, f.name, "mark") for f in favorites], marks)
        await pilot.press("enter")
        await settle(pilot, MainScreen)
        await until(pilot, lambda: len(app.session.jobs.jobs) == 4, "four jobs")
        await until(
            pilot,
            lambda: all(job.state is JobState.DONE for job in app.session.jobs.jobs),
            "the counts",
        )
    assert sorted(str(job.favorite) for job in app.session.jobs.jobs) == [
        f.name for f in favorites[1:]
    ]
    assert slow_emulator.max_in_flight == 3


async def test_load_puts_the_favourite_in_the_editor_and_ctrl_r_runs_it_as_that_favourite(
    emulator: Emulator,
) -> None:
    saved(WEEKLY)
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await open_favorites(pilot)
        await pilot.press("l")
        await settle(pilot, MainScreen)
        editor = app.screen.query_one("#editor")
        await until(
            pilot, lambda: app.screen.query_one("#event", Input).value == "Charged", "the load"
        )
        assert editor.query_one("#preset", Select).value == "last_7_days"
        assert [row.draft.name for row in app.screen.query_one(QueryEditor).rows] == ["Amount"]
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(app.session.jobs.jobs) == 1, "the job")
        assert app.session.jobs.jobs[0].favorite == "Weekly buyers"
        # Changed, it is a query of its own.
        app.screen.query_one("#event", Input).value = "Product Viewed"
        await shown_in_preview(pilot, "Product Viewed")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(app.session.jobs.jobs) == 2, "the second job")
        assert app.session.jobs.jobs[1].favorite is None


async def test_rename_moves_the_history_and_duplicate_and_delete_change_the_file(
    emulator: Emulator, tmp_path: Path
) -> None:
    saved(LAUNCHES, VIEWS)
    app = app_on(emulator, journal=tmp_path / "journal.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        count = compact_count((await run_first(pilot)).count or 0)
        screen = await open_favorites(pilot)
        await pilot.press("n")
        await settle(pilot, NamePromptScreen)
        app.screen.query_one(Input).value = "product VIEWS"
        await pilot.press("enter")
        problem = app.screen.query_one("#name-problem", Static)
        await until(pilot, lambda: "taken" in str(problem.render()), "the name's problem")
        app.screen.query_one(Input).value = "November launches"
        await pilot.press("enter")
        await settle(pilot, FavoritesScreen)
        await until(
            pilot,
            lambda: list(app.session.journal.history()) == ["November launches"],
            "the history renamed",
        )
        await until(pilot, lambda: "November launches" in names(screen), "the rename")
        assert app.session.jobs.jobs[0].favorite == "November launches"
        await until_equal(pilot, lambda: cell(screen, "November launches", "trend"), f"▄ {count}")
        await pilot.press("c")
        await until(pilot, lambda: len(names(screen)) == 3, "the copy")
        assert names(screen)[1] == "November launches (copy)"
        assert screen.selected is not None
        assert screen.selected.name == "November launches (copy)"
        await pilot.press("d")
        await settle(pilot, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot, FavoritesScreen)
        assert len(names(screen)) == 3
        await pilot.press("up", "d")
        await settle(pilot, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: len(names(screen)) == 2, "the delete")
        await until(pilot, lambda: app.session.journal.history() == {}, "the history forgotten")
    document = tomllib.loads(favorites_file().read_text())
    assert [entry["name"] for entry in document["favorite"]] == [
        "November launches (copy)",
        "Product views",
    ]


async def test_a_broken_file_is_read_only_until_mended_by_hand_while_the_app_runs(
    isolated_home: Path,
) -> None:
    store = saved(WEEKLY, LAUNCHES)
    path = favorites_file()
    good = path.read_text()
    path.write_text(good.replace('event_name = "App Launched"', "event_name = App Launched"))
    broken = path.read_bytes()
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: bool(app.session.favorites.current.problems), "the problem")
        line = broken.decode().splitlines().index("event_name = App Launched") + 1
        assert any(f"favorites.toml:{line}:14: not valid TOML" in t for t in toasts(app))
        await type_event(pilot, "Charged")
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: any(t.startswith("Not saved:") and f":{line}:14:" in t for t in toasts(app)),
            "the toast",
        )
        assert not isinstance(app.screen, SaveFavoriteScreen)
        screen = await open_favorites(pilot)
        banner = screen.query_one("#favorites-problem", Static)
        assert banner.display
        assert f":{line}:14:" in str(banner.render())
        assert names(screen) == []
        assert path.read_bytes() == broken
        # Mended in an editor: picked up within the second, and writable again.
        path.write_text(good)
        await until(pilot, lambda: not banner.display, "the mended file")
        assert names(screen) == ["Weekly buyers", "Launches"]
        # Broken again while shown: the favourites stay, and every change is refused, saying why.
        path.write_bytes(broken)
        await until(pilot, lambda: bool(banner.display), "the broken file")
        assert names(screen) == ["Weekly buyers", "Launches"]
        for key in ("n", "c", "d"):
            app._notifications.clear()
            await pilot.press(key)
            await until(pilot, lambda: bool(toasts(app)), f"the answer to {key}")
            assert app.screen is screen
            assert toasts(app)[0].startswith(f"Not changed: {path}:{line}:14: not valid TOML")
        assert path.read_bytes() == broken
        path.write_text(good)
        await until(pilot, lambda: not banner.display, "the file mended again")
        await pilot.press("c")
        await until(pilot, lambda: len(names(screen)) == 3, "the copy")
    assert [f.name for f in store.read().items] == [
        "Weekly buyers",
        "Weekly buyers (copy)",
        "Launches",
    ]


async def test_a_favourite_added_by_hand_shows_while_the_screen_is_open(
    isolated_home: Path,
) -> None:
    store = saved(WEEKLY)
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_favorites(pilot)
        await until(pilot, lambda: names(screen) == ["Weekly buyers"], "the file")
        store.save(VIEWS)
        await until(pilot, lambda: names(screen) == ["Weekly buyers", "Product views"], "edit")


async def test_an_interrupted_last_run_keeps_the_last_real_count_and_says_so(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A cttui killed mid-POST leaves its favourite's job interrupted: the list keeps the count
    before it, and the detail line says the last run was cut off."""
    saved(LAUNCHES, VIEWS)
    journal = tmp_path / "journal.sqlite3"
    origin = Origin(DEFAULTS.account_id, emulator.base_url)
    query = LAUNCHES.query(TODAY)
    writer = JournalWriter(journal)
    await writer.load()
    done = JobRecord(
        0, origin, query, JobState.DONE, count=4_321, created=1.0, finished=2.0, favorite="Launches"
    )
    done.id = await writer.create(done)
    await writer.save(done)
    cut = JobRecord(0, origin, query, JobState.SENDING, created=3.0, favorite="Launches")
    cut.id = await writer.create(cut)
    writer.close()
    app = app_on(emulator, journal)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the jobs from the journal")
        assert app.session.jobs.jobs[-1].state is JobState.INTERRUPTED
        screen = await open_favorites(pilot)
        await until(pilot, lambda: cell(screen, "Launches", "last") == "4,321", "the last count")
        detail = str(screen.query_one("#favorites-detail", Static).render())
        assert "interrupted" in detail
        assert emulator.requests == []
