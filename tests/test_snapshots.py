"""SVG snapshots of each screen at 120x36, and of the four a user lives in at 80x24, 120x40
and 200x50: any change to what a screen shows fails here.

Baselines live in tests/__snapshots__/test_snapshots/; after an intended change, look at the
report pytest writes, then accept with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import keyring
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from cttui.api.draft import FilterDraft, QueryDraft
from cttui.api.models import OperatorChoice
from cttui.api.operators import Operator, ValueKind
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.app import CttuiApp
from cttui.tui.screens.calendar import CalendarScreen
from cttui.tui.screens.chart import ChartScreen
from cttui.tui.screens.credentials import CredentialsScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.help import HelpScreen
from cttui.tui.screens.history_export import SaveExportScreen
from cttui.tui.screens.job_details import JobDetailsScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.screens.series_form import SeriesFormScreen
from cttui.tui.widgets.query_editor import QueryEditor
from tests.apps import STAGING, WORK, build_app, settle
from tests.chart_history import save_chart_history, show_chart
from tests.job_states import FrozenClock, show_every_state
from tests.memory_keyring import MemoryKeyring, NoBusKeyring
from tests.saved_favorites import FAVORITES, save_favorites, show_favorites

SIZE = (120, 36)
PASSCODE = "SNAP-passcode-7Qx"

RunBefore = Callable[[Pilot[int]], Awaitable[None]]


class SnapCompare(Protocol):
    def __call__(
        self,
        app: CttuiApp,
        press: tuple[str, ...] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: RunBefore | None = None,
    ) -> bool: ...


@pytest.fixture(autouse=True)
def _colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR in the developer's shell would drain every snapshot of colour."""
    monkeypatch.delenv("NO_COLOR", raising=False)


def text_of(pilot: Pilot[int], selector: str) -> str:
    """What a Static on the top screen says; empty until the screen has composed it."""
    found = pilot.app.screen.query(selector).results(Static)
    return "".join(str(static.content) for static in found)


def test_main_screen_with_an_active_profile(snap_compare: SnapCompare) -> None:
    app = build_app(profiles=(WORK, STAGING), active=WORK.name)

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, MainScreen, lambda: pilot.app.sub_title.startswith(WORK.name))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


TWO_FILTERS = QueryDraft(
    "Charged",
    (
        FilterDraft("Amount", OperatorChoice(ValueKind.NUMBER, Operator.GREATER_THAN), "49.5"),
        FilterDraft("First Purchase", OperatorChoice(ValueKind.STRING, Operator.EQUALS), "true"),
    ),
    "2026-11-17",
    "2026-11-23",
)


async def load_two_filters(pilot: Pilot[int]) -> None:
    await settle(pilot, MainScreen)
    editor = pilot.app.screen.query_one(QueryEditor)
    await editor.load(TWO_FILTERS)
    await settle(pilot, MainScreen, lambda: editor.draft == TWO_FILTERS)


def test_editor_with_two_filters(snap_compare: SnapCompare) -> None:
    """Grouped operators, a number and a boolean value, a preset's dates, body and curl."""
    app = build_app(profiles=(WORK,), active=WORK.name)

    async def run_before(pilot: Pilot[int]) -> None:
        await load_two_filters(pilot)
        pilot.app.screen.query_one(QueryEditor).rows[1].field("value").focus()
        await settle(pilot, MainScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_calendar_open_on_the_to_date(snap_compare: SnapCompare) -> None:
    app = build_app(profiles=(WORK,), active=WORK.name)

    async def run_before(pilot: Pilot[int]) -> None:
        await load_two_filters(pilot)
        pilot.app.screen.query_one("#to", Input).focus()
        await pilot.press("ctrl+o")
        await settle(pilot, CalendarScreen)
        await pilot.press("left", "left")
        await settle(pilot, CalendarScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_narrow_terminal_stacks_the_jobs_under_the_editor(snap_compare: SnapCompare) -> None:
    app = build_app(profiles=(WORK,), active=WORK.name)

    async def run_before(pilot: Pilot[int]) -> None:
        await load_two_filters(pilot)

    assert snap_compare(app, terminal_size=(90, 40), run_before=run_before)


def test_credentials_first_run_is_an_empty_form(snap_compare: SnapCompare) -> None:
    """No profiles: the app opens the credentials screen by itself, with the welcome text."""
    app = build_app()

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, CredentialsScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def credentials_with_a_saved_passcode(pilot: Pilot[int]) -> None:
    """F2 on the active profile, once its note says its passcode is in the keyring."""
    await settle(pilot, MainScreen)
    await pilot.press("f2")
    await settle(pilot, CredentialsScreen, lambda: "is saved" in text_of(pilot, "#passcode-note"))


def test_credentials_filled_profile_says_its_passcode_is_saved(
    snap_compare: SnapCompare, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.items[("cttui", WORK.account_id)] = PASSCODE
    app = build_app(profiles=(WORK, STAGING), active=WORK.name)
    assert snap_compare(app, terminal_size=SIZE, run_before=credentials_with_a_saved_passcode)


def test_credentials_typed_passcode_is_masked(
    snap_compare: SnapCompare, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.items[("cttui", WORK.account_id)] = PASSCODE
    app = build_app(profiles=(WORK,), active=WORK.name)

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, MainScreen)
        await pilot.press("f2")
        await settle(
            pilot, CredentialsScreen, lambda: "is saved" in text_of(pilot, "#passcode-note")
        )
        pilot.app.screen.query_one("#passcode", Input).focus()
        await pilot.press(*PASSCODE)
        await settle(pilot, CredentialsScreen)
        assert pilot.app.screen.query_one("#passcode", Input).value == PASSCODE
        shown = pilot.app.export_screenshot()
        assert "\u2022" * 5 in shown
        assert PASSCODE not in shown
        assert PASSCODE[:4] not in shown

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_credentials_without_a_usable_keyring_shows_the_banner(
    snap_compare: SnapCompare,
) -> None:
    keyring.set_keyring(NoBusKeyring())  # the memory_keyring fixture puts the old one back
    app = build_app(profiles=(WORK,), active=WORK.name)

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, MainScreen)
        await pilot.press("f2")
        await settle(
            pilot, CredentialsScreen, lambda: pilot.app.screen.query_one("#keyring-banner").display
        )

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_over_the_main_screen(snap_compare: SnapCompare) -> None:
    app = build_app(profiles=(WORK,), active=WORK.name)

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, MainScreen)
        await pilot.press("f1")
        await settle(pilot, HelpScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_favorites_with_their_counts_over_time(snap_compare: SnapCompare, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    save_favorites(journal)
    app = build_app(profiles=(WORK,), clock=FrozenClock(), journal=journal)
    assert snap_compare(app, terminal_size=SIZE, run_before=show_favorites)


def test_saving_a_favourites_counts_as_csv(snap_compare: SnapCompare, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    save_favorites(journal)
    app = build_app(profiles=(WORK,), clock=FrozenClock(), journal=journal)

    async def run_before(pilot: Pilot[int]) -> None:
        await show_favorites(pilot)
        await pilot.press("w")
        await settle(pilot, SaveExportScreen)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# The four screens a user lives in, at the smallest common terminal, a usual one and a big one.
EVERY_SIZE = pytest.mark.parametrize(
    "size", [(80, 24), (120, 40), (200, 50)], ids=lambda size: "x".join(map(str, size))
)


@EVERY_SIZE
def test_main_screen_with_a_job_in_each_state(
    snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    app = build_app(profiles=(WORK,), clock=FrozenClock())
    assert snap_compare(app, terminal_size=size, run_before=show_every_state)


@EVERY_SIZE
def test_job_details_of_a_pending_job(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = build_app(profiles=(WORK,), clock=FrozenClock())

    async def run_before(pilot: Pilot[int]) -> None:
        await show_every_state(pilot)
        await pilot.press("enter")
        await settle(pilot, JobDetailsScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@EVERY_SIZE
def test_favorites_at_every_size(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]
) -> None:
    journal = tmp_path / "journal.sqlite3"
    save_favorites(journal)
    app = build_app(profiles=(WORK,), clock=FrozenClock(), journal=journal)
    assert snap_compare(app, terminal_size=size, run_before=show_favorites)


@EVERY_SIZE
def test_credentials_at_every_size(
    snap_compare: SnapCompare, memory_keyring: MemoryKeyring, size: tuple[int, int]
) -> None:
    memory_keyring.items[("cttui", WORK.account_id)] = PASSCODE
    app = build_app(profiles=(WORK, STAGING), active=WORK.name)
    assert snap_compare(app, terminal_size=size, run_before=credentials_with_a_saved_passcode)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda size: "x".join(map(str, size)))
def test_chart_of_weekly_and_30_day_counts(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]
) -> None:
    journal = tmp_path / "journal.sqlite3"
    save_chart_history(journal)
    app = build_app(profiles=(WORK,), clock=FrozenClock(), journal=journal)

    async def run_before(pilot: Pilot[int]) -> None:
        # A week's count highlighted, the line down to it among the others.
        await show_chart(pilot)
        await pilot.press("left", "left")
        await settle(pilot, ChartScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_chart_with_no_counts_yet(snap_compare: SnapCompare) -> None:
    FavoritesStore(favorites_file()).save(FAVORITES[0])
    app = build_app(profiles=(WORK,), clock=FrozenClock())

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, MainScreen)
        await pilot.press("f3")
        await settle(pilot, FavoritesScreen)
        await pilot.press("g")
        await settle(pilot, ChartScreen)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda size: "x".join(map(str, size)))
def test_series_form_from_the_editor(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """ctrl+t in the editor: the name to keep the counts under, the period, how many."""
    app = build_app(profiles=(WORK,), clock=FrozenClock())

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot, MainScreen)
        await pilot.press(*"Charged", "ctrl+t")
        await settle(pilot, SeriesFormScreen)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
