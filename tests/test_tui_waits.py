"""The tests' own waits: on conditions, with a bound, never on a worker a newer one may cancel."""

from __future__ import annotations

import asyncio

import pytest

from cttui.tui.screens.main import MainScreen
from tests.apps import WORK, build_app, settle, until_equal

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


async def test_until_equal_fails_naming_the_last_value_it_saw() -> None:
    app = build_app(profiles=(WORK,))
    async with app.run_test(size=SIZE) as pilot:
        seen = iter(range(1_000_000))
        with pytest.raises(AssertionError, match=r"timed out: \d+ != -1"):
            # The bound is what ends this wait: the value never comes.
            await until_equal(pilot, lambda: next(seen), -1, limit=0.2)
