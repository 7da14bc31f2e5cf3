"""Under a dialog, the footer shows the dialog's keys, read off the screen as drawn at 80x24:
never the keys of the screen behind it, which do nothing while the dialog is up."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from cttui.api.ranges import RangePreset
from cttui.emulator import Emulator
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.screens.calendar import CalendarScreen
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.job_details import JobDetailsScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.name_prompt import NamePromptScreen
from cttui.tui.screens.save_favorite import SaveFavoriteScreen
from tests.apps import settle, until
from tests.test_tui_jobs import app_on

SIZE = (80, 24)
# Words only the main screen's footer shows.
MAIN_WORDS = ("Run", "Add filter", "Save favourite")


def bottom_line(pilot: Pilot[int]) -> str:
    """The terminal's last line as the top screen draws it (the screens behind included)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "".join(segment.text for segment in strips[-1])


async def footer_says(pilot: Pilot[int], *words: str) -> str:
    await until(
        pilot, lambda: all(word in bottom_line(pilot) for word in words), f"a footer of {words}"
    )
    line = bottom_line(pilot)
    for word in MAIN_WORDS:
        assert word not in line, f"{type(pilot.app.screen).__name__}'s footer: {line!r}"
    return line


async def test_each_dialog_shows_its_own_keys_in_the_footer(emulator: Emulator) -> None:
    FavoritesStore(favorites_file()).save(
        Favorite("Buyers", "Charged", (), RangePreset.LAST_7_DAYS)
    )
    app = app_on(emulator)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        assert "Run" in bottom_line(pilot)

        await pilot.press(*"Charged", "ctrl+q")
        await settle(pilot, ConfirmScreen)
        await footer_says(pilot, "No", "Yes")
        await pilot.press("n")

        await settle(pilot, MainScreen)
        await pilot.press("ctrl+s")
        await settle(pilot, SaveFavoriteScreen)
        await footer_says(pilot, "Cancel")
        await pilot.press("escape")

        await settle(pilot, MainScreen)
        app.screen.query_one("#from", Input).focus()
        await pilot.press("ctrl+o")
        await settle(pilot, CalendarScreen)
        await footer_says(pilot, "Pick", "Cancel")
        await pilot.press("escape")

        await settle(pilot, MainScreen)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: bool(app.session.jobs.jobs), "the job")
        table = app.screen.query_one("#job-table")
        await until(pilot, lambda: table.display, "the job listed")
        table.focus()
        await pilot.press("enter")
        await settle(pilot, JobDetailsScreen)
        await footer_says(pilot, "Close")
        await pilot.press("escape")

        await settle(pilot, MainScreen)
        await pilot.press("f3")
        await settle(pilot, FavoritesScreen)
        await pilot.press("n")
        await settle(pilot, NamePromptScreen)
        await footer_says(pilot, "Cancel")
