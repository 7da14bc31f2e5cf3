"""Render cttui's screens to SVG in this folder: `make screenshots`.

Everything runs over a temporary HOME and XDG dirs and an in-memory keyring, so the user's
config.toml and OS keyring are never read or written; the demo's emulator has a fixed seed, size
and today. The SVGs are byte-identical from run to run: Rich names an SVG's CSS classes after a
hash of its content, and the content here never changes unless a screen does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from cttui.tui.app import CttuiApp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZE = (120, 36)
TODAY = date(2026, 11, 23)
DEMO_PORT = 48123
# Put in the keyring for the credentials screenshot; it must never appear in an SVG.
PASSCODE = "render-passcode-Zq81"

# Variables that change what Textual draws (read when textual is imported or an app starts)
# or that would point the app at a real account.
_SCRUBBED_PREFIXES = ("TEXTUAL_", "CLEVERTAP_", "CTTUI_")
_SCRUBBED = ("NO_COLOR", "FORCE_COLOR", "COLORTERM", "ESCDELAY", "DBUS_SESSION_BUS_ADDRESS")

Steps = Callable[["Pilot[int]"], Awaitable[None]]


def isolate(home: Path) -> None:
    """Point HOME and the XDG dirs at `home` and drop variables that would change the output.
    Runs before textual or cttui is imported."""
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES) or name in _SCRUBBED:
            del os.environ[name]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # for tests.home, tests.apps and tests.memory_keyring
    from tests.home import home_variables

    os.environ.update(home_variables(home))
    # Should anything reach past the in-memory backend set below, it finds no keyring at all.
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


async def shoot(app: CttuiApp, steps: Steps, size: tuple[int, int] = SIZE) -> str:
    async with app.run_test(size=size) as pilot:
        await steps(pilot)
        return app.export_screenshot()


def render_all(home: Path) -> dict[str, str]:
    """Every screenshot by file name."""
    return {
        **render_demo(home),
        **render_credentials(home),
        **render_jobs(home),
        **render_favorites(home),
        **render_chart(home),
    }


async def main_screen(pilot: Pilot[int]) -> None:
    from cttui.tui.screens.main import MainScreen
    from tests.apps import settle

    await settle(pilot, MainScreen, lambda: pilot.app.sub_title != "")


def render_demo(home: Path) -> dict[str, str]:
    """The demo, as `cttui --demo` opens it, over a small emulator with a fixed today."""
    from textual.widgets import Input

    from cttui.api.draft import FilterDraft, QueryDraft
    from cttui.api.models import OperatorChoice
    from cttui.api.operators import Operator, ValueKind
    from cttui.emulator import Emulator, EmulatorConfig
    from cttui.session.setup import SessionSetup
    from cttui.tui.app import CttuiApp
    from cttui.tui.screens.calendar import CalendarScreen
    from cttui.tui.screens.help import HelpScreen
    from cttui.tui.screens.main import MainScreen
    from cttui.tui.widgets.query_editor import QueryEditor
    from tests.apps import settle
    from tests.job_states import StillClock

    # CleverTap's documented example: who chose a new favourite food containing "piz".
    contains = OperatorChoice(ValueKind.STRING, Operator.CONTAINS)
    example = QueryDraft(
        "choseNewFavoriteFood", (FilterDraft("value", contains, "piz"),), "2026-10-25", "2026-11-23"
    )

    async def run(pilot: Pilot[int], draft: QueryDraft) -> None:
        app = pilot.app
        assert isinstance(app, CttuiApp)
        await app.screen.query_one(QueryEditor).load(draft)
        await pilot.pause()
        sent = len(app.session.jobs.jobs) + 1
        await pilot.press("ctrl+r")
        await settle(
            pilot,
            MainScreen,
            lambda: len(app.session.jobs.jobs) == sent and app.session.jobs.jobs[-1].state.finished,
        )

    async def editor_with_jobs(pilot: Pilot[int]) -> None:
        await main_screen(pilot)
        await run(pilot, QueryDraft("Charged", (), "2026-10-25", "2026-11-23"))
        await run(pilot, example)
        pilot.app.screen.query_one(QueryEditor).rows[0].field("value").focus()
        await settle(pilot, MainScreen)

    async def calendar(pilot: Pilot[int]) -> None:
        await main_screen(pilot)
        await pilot.app.screen.query_one(QueryEditor).load(example)
        pilot.app.screen.query_one("#from", Input).focus()
        await pilot.press("ctrl+o")
        await settle(pilot, CalendarScreen)
        await pilot.press("down", "right")
        await settle(pilot, CalendarScreen)

    async def help_screen(pilot: Pilot[int]) -> None:
        await main_screen(pilot)
        await pilot.press("f1")
        await settle(pilot, HelpScreen)

    emulator_config = EmulatorConfig(
        seed=7,
        profiles=5_000,
        events=100_000,
        today=TODAY,
        cache_dir=home / "emulator",
        # The curl preview shows the demo's URL: a fixed port keeps the SVGs byte-identical.
        port=DEMO_PORT,
    )
    with Emulator(emulator_config) as emulator:

        def demo() -> CttuiApp:
            setup = SessionSetup.for_demo(emulator.config, emulator.base_url, poll_interval=0.5)
            # Elapsed times would otherwise read 0s or 1s depending on the machine's speed.
            return CttuiApp(replace(setup, today=lambda: TODAY, clock=StillClock()))

        return {
            "main.svg": asyncio.run(shoot(demo(), editor_with_jobs)),
            # The smallest common terminal: the editor without blank lines, the list's first
            # columns, nothing behind a horizontal scrollbar.
            "main-80x24.svg": asyncio.run(shoot(demo(), editor_with_jobs, (80, 24))),
            "calendar.svg": asyncio.run(shoot(demo(), calendar)),
            "help.svg": asyncio.run(shoot(demo(), help_screen)),
        }


def render_credentials(home: Path) -> dict[str, str]:
    """The credentials screen with a saved passcode, and without a usable keyring."""
    import keyring
    from textual.widgets import Static

    from cttui.tui.screens.credentials import CredentialsScreen
    from tests.apps import STAGING, WORK, build_app, settle
    from tests.memory_keyring import MemoryKeyring, NoBusKeyring

    def says(pilot: Pilot[int], selector: str, text: str) -> bool:
        found = pilot.app.screen.query(selector).results(Static)
        return any(text in str(static.content) for static in found)

    async def credentials(pilot: Pilot[int]) -> None:
        await main_screen(pilot)
        await pilot.press("f2")
        await settle(pilot, CredentialsScreen, lambda: says(pilot, "#passcode-note", "is saved"))

    async def credentials_no_keyring(pilot: Pilot[int]) -> None:
        await main_screen(pilot)
        await pilot.press("f2")
        await settle(
            pilot,
            CredentialsScreen,
            lambda: bool(pilot.app.screen.query_one("#keyring-banner").display),
        )

    shots: dict[str, str] = {}
    memory = MemoryKeyring()
    memory.items[("cttui", WORK.account_id)] = PASSCODE
    keyring.set_keyring(memory)
    config = home / "filled" / "config.toml"
    app = build_app(profiles=(WORK, STAGING), active=WORK.name, config_path=config)
    shots["credentials.svg"] = asyncio.run(shoot(app, credentials))

    keyring.set_keyring(NoBusKeyring())
    config = home / "no-keyring" / "config.toml"
    app = build_app(profiles=(WORK,), active=WORK.name, config_path=config)
    shots["credentials-no-keyring.svg"] = asyncio.run(shoot(app, credentials_no_keyring))
    return shots


def render_jobs(home: Path) -> dict[str, str]:
    """The job panel with a job in each state, and one job's details, on a clock that never
    moves (tests/job_states.py, which the snapshot tests share)."""
    import keyring

    from cttui.tui.screens.job_details import JobDetailsScreen
    from tests.apps import WORK, build_app, settle
    from tests.job_states import FrozenClock, show_every_state
    from tests.memory_keyring import MemoryKeyring

    async def details(pilot: Pilot[int]) -> None:
        await show_every_state(pilot)
        await pilot.press("enter")
        await settle(pilot, JobDetailsScreen)

    keyring.set_keyring(MemoryKeyring())
    config = home / "jobs" / "config.toml"

    def app() -> CttuiApp:
        return build_app(profiles=(WORK,), config_path=config, clock=FrozenClock())

    return {
        "jobs.svg": asyncio.run(shoot(app(), show_every_state)),
        "job-details.svg": asyncio.run(shoot(app(), details)),
    }


def render_favorites(home: Path) -> dict[str, str]:
    """The favourites screen, with months of counts behind them (tests/saved_favorites.py,
    which the snapshot test shares), on a clock that never moves."""
    import keyring

    from tests.apps import WORK, build_app
    from tests.job_states import FrozenClock
    from tests.memory_keyring import MemoryKeyring
    from tests.saved_favorites import save_favorites, show_favorites

    keyring.set_keyring(MemoryKeyring())
    journal = home / "favorites" / "journal.sqlite3"
    save_favorites(journal)
    config = home / "favorites" / "config.toml"
    app = build_app(profiles=(WORK,), config_path=config, clock=FrozenClock(), journal=journal)
    return {"favorites.svg": asyncio.run(shoot(app, show_favorites))}


def render_chart(home: Path) -> dict[str, str]:
    """The chart of a favourite's weekly and 30-day counts (tests/chart_history.py, which the
    snapshot test shares), a week's count highlighted, at 80x24 as a user first meets it."""
    import keyring

    from tests.apps import WORK, build_app
    from tests.chart_history import save_chart_history, show_chart
    from tests.home import home_variables
    from tests.job_states import FrozenClock
    from tests.memory_keyring import MemoryKeyring

    async def steps(pilot: Pilot[int]) -> None:
        from cttui.tui.screens.chart import ChartScreen
        from tests.apps import settle

        await show_chart(pilot)
        await pilot.press("left", "left")
        await settle(pilot, ChartScreen)

    keyring.set_keyring(MemoryKeyring())
    # A HOME of its own: the favourites screenshot's favorites.toml holds five others.
    os.environ.update(home_variables(home / "chart"))
    journal = home / "chart" / "journal.sqlite3"
    save_chart_history(journal)
    config = home / "chart" / "config.toml"

    def build() -> CttuiApp:
        return build_app(profiles=(WORK,), config_path=config, clock=FrozenClock(), journal=journal)

    async def series_form(pilot: Pilot[int]) -> None:
        from cttui.tui.screens.series_form import SeriesFormScreen
        from tests.apps import settle

        await show_chart(pilot)
        await pilot.press("s")
        await settle(pilot, SeriesFormScreen)

    return {
        "chart.svg": asyncio.run(shoot(build(), steps, (80, 24))),
        "series-form.svg": asyncio.run(shoot(build(), series_form, (80, 24))),
    }


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cttui-screenshots-") as temporary:
        home = Path(temporary)
        isolate(home)
        shots = render_all(home)
    from cttui.emulator import EmulatorConfig

    secrets = (PASSCODE, EmulatorConfig().passcode)
    for name, svg in sorted(shots.items()):
        leaked = [secret for secret in secrets if secret in svg]
        if leaked:
            print(f"screenshots: {name} shows a passcode; not written", file=sys.stderr)
            return 1
        (HERE / name).write_text(svg, encoding="utf-8", newline="\n")
        print(f"wrote screenshots/{name}")
    print(f"{len(shots)} screenshots in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
