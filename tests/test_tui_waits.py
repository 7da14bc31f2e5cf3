"""The tests' own waits: on conditions, with a bound, never on a worker a newer one may cancel."""

from __future__ import annotations

import asyncio

from cttui.tui.screens.main import MainScreen
from tests.apps import WORK, build_app, settle

SIZE = (120, 40)


async def test_settle_outlasts_a_reader_that_a_newer_one_cancels() -> None:
    """The app reads favorites.toml once a second in an exclusive worker: under load, a newer
    read cancels the one a test was waiting for."""
    app = build_app(profiles=(WORK,))

    def read_later() -> None:
        app.run_worker(asyncio.sleep(0.3), group="favorites", exclusive=True, exit_on_error=False)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        read_later()
        app.set_timer(0.1, read_later)
        await settle(pilot, MainScreen)
        assert app.is_running
