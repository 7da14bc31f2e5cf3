"""The command palette offers every action of the screen it opens on, and runs the one chosen."""

from __future__ import annotations

from textual.command import Command, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable

from cttui.emulator.server import Emulator
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.app import CttuiApp
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.job_details import JobDetailsScreen
from cttui.tui.screens.main import MainScreen
from tests.apps import WORK, build_app, settle, until
from tests.conftest import DEFAULTS

SIZE = (120, 40)


def listed(pilot: Pilot[int]) -> set[str]:
    """The titles the open palette lists (none while it is not open)."""
    screen = pilot.app.screen
    if not isinstance(screen, CommandPalette):
        return set()
    options = screen.query_one(CommandList)
    titles: set[str] = set()
    for index in range(options.option_count):
        option = options.get_option_at_index(index)
        if isinstance(option, Command):
            titles.add(str(option.hit.text))
    return titles


async def lists(pilot: Pilot[int], titles: set[str]) -> set[str]:
    """Open the palette empty; wait, bounded, until it lists every one of `titles`."""
    await pilot.press("ctrl+p")
    await until(pilot, lambda: titles <= listed(pilot), f"the palette to list {sorted(titles)}")
    return listed(pilot)


async def choose(pilot: Pilot[int], title: str) -> None:
    await pilot.press(*title)
    await until(pilot, lambda: listed(pilot) != set() and title in listed(pilot), title)
    await pilot.press("down", "enter")


def emulator_app(emulator: Emulator) -> CttuiApp:
    return build_app(
        environ={
            "CLEVERTAP_ACCOUNT_ID": DEFAULTS.account_id,
            "CLEVERTAP_PASSCODE": DEFAULTS.passcode,
            "CTTUI_BASE_URL": emulator.base_url,
        }
    )


async def fail_a_job(pilot: Pilot[int], app: CttuiApp) -> None:
    """Run a query for an event the emulator lacks; wait, bounded, until its job has failed."""
    jobs = app.session.jobs
    await settle(pilot, MainScreen)
    await pilot.press(*"No Such Event", "ctrl+r")
    await until(pilot, lambda: bool(jobs.jobs) and jobs.jobs[0].state == "failed", "failure")
    table = app.screen.query_one("#job-table", DataTable)
    await until(
        pilot,
        lambda: table.row_count == 1 and str(table.get_row_at(0)[2]) == "failed",  # State
        "the failure in the job list",
    )


async def test_the_palette_offers_the_main_screens_actions() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        offered = await lists(
            pilot,
            {
                "Run query",
                "Add filter",
                "Copy as curl",
                "New query",
                "Save as favourite",
                "Credentials",
                "Favourites",
                "Help",
                "Theme",
                "Quit",
            },
        )
        # Keys that edit text are not actions to pick by name.
        assert not {"Delete character left", "Move cursor left"} & offered
        await choose(pilot, "Favourites")
        await settle(pilot, FavoritesScreen)


async def test_the_palette_offers_the_favourites_screens_actions() -> None:
    FavoritesStore(favorites_file()).save(Favorite("Launches", "App Launched"))
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("f3")
        await settle(
            pilot, FavoritesScreen, lambda: app.session.favorites.current.names() == ["Launches"]
        )
        offered = await lists(
            pilot,
            {
                "Run favourites",
                "Select favourite",
                "Load favourite",
                "Rename favourite",
                "Duplicate favourite",
                "Delete favourite",
                "Filter favourites",
                "Back to the editor",
                "Credentials",
                "Help",
            },
        )
        # The screen already showing is not offered (check_action says so).
        assert "Favourites" not in offered
        await choose(pilot, "Duplicate favourite")
        await until(
            pilot,
            lambda: len(app.session.favorites.current.names()) == 2,
            "a copy from the palette",
        )


async def test_the_palette_offers_the_credentials_screens_actions() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("f2")
        await settle(pilot, CredentialsScreen)
        offered = await lists(
            pilot,
            {
                "Save profile",
                "Test connection",
                "New profile",
                "Delete profile",
                "Back to the editor",
                "Favourites",
                "Help",
            },
        )
        assert "Credentials" not in offered
        await choose(pilot, "Back to the editor")
        await settle(pilot, MainScreen)


async def test_the_palette_names_the_job_its_actions_act_on(emulator: Emulator) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await fail_a_job(pilot, app)
        app.screen.query_one("#job-table").focus()
        offered = await lists(
            pilot,
            {"Job 1: resubmit", "Job 1: remove", "Job 1: copy as curl", "Clear finished jobs"},
        )
        # A failed job has nothing to poll or cancel.
        assert not {"Job 1: poll now", "Job 1: cancel"} & offered
        await choose(pilot, "Clear finished jobs")
        await settle(pilot, ConfirmScreen)  # how many, asked first
        await pilot.press("y")
        await until(pilot, lambda: app.session.jobs.jobs == [], "the job cleared from the palette")


async def test_the_palette_offers_the_selected_jobs_actions_from_the_editor(
    emulator: Emulator,
) -> None:
    app = emulator_app(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await fail_a_job(pilot, app)
        assert app.screen.focused is not None
        assert app.screen.focused.id == "event"
        offered = await lists(
            pilot,
            {
                "Job 1: details",
                "Job 1: resubmit",
                "Job 1: remove",
                "Job 1: copy as curl",
                "Clear finished jobs",
                "Run query",
            },
        )
        assert not {"Job 1: poll now", "Job 1: cancel"} & offered
        await choose(pilot, "Job 1: details")
        await settle(pilot, JobDetailsScreen)
        await pilot.press("escape")
        await settle(pilot, MainScreen)
        await lists(pilot, {"Clear finished jobs"})
        await choose(pilot, "Clear finished jobs")
        await settle(pilot, ConfirmScreen)  # how many, asked first
        await pilot.press("y")
        await until(pilot, lambda: app.session.jobs.jobs == [], "the job cleared from the palette")


async def test_the_palette_offers_the_credentials_actions_that_have_no_key() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("f2")
        await settle(pilot, CredentialsScreen)
        await lists(pilot, {"Use this profile", "Delete profile"})
        await choose(pilot, "Delete profile")
        await settle(pilot, ConfirmScreen)
