"""Running a query (or a favourite) that is already on its way asks before sending it again:
once for a burst of ctrl+r, the editor kept as it was whatever the answer.

Against an emulator whose counts take ten minutes: a job stays pending as long as a test needs.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Static

from cttui.api.models import Query
from cttui.api.ranges import RangePreset
from cttui.emulator import Emulator
from cttui.jobs import Job
from cttui.records import JobRecord, JobState, Origin
from cttui.store.favorites import Favorite
from cttui.store.favorites_store import FavoritesStore
from cttui.store.paths import favorites_file
from cttui.tui.app import CttuiApp
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.favorites import FavoritesScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.query_editor import QueryEditor
from tests.apps import settle, until, until_equal
from tests.conftest import DEFAULTS
from tests.test_tui_jobs import app_on, slow_emulator

__all__ = ["slow_emulator"]  # a fixture of these tests

SIZE = (120, 40)


def posts(emulator: Emulator) -> int:
    return sum(request.method == "POST" for request in emulator.requests)


async def typed(pilot: Pilot[int], event: str) -> QueryEditor:
    await settle(pilot, MainScreen)
    editor = pilot.app.screen.query_one(QueryEditor)
    await pilot.press(*event)
    await until_equal(pilot, lambda: pilot.app.screen.query_one("#event", Input).value, event)
    return editor


async def pending(pilot: Pilot[int], jobs: int) -> Job:
    """The newest job, once there are `jobs` and it is pending."""
    app = pilot.app
    assert isinstance(app, CttuiApp)
    await until_equal(pilot, lambda: len(app.session.jobs.jobs), jobs)
    job = app.session.jobs.jobs[-1]
    await until(pilot, lambda: job.state is JobState.PENDING, f"job {job.id} pending")
    return job


async def asked(pilot: Pilot[int]) -> str:
    await settle(pilot, ConfirmScreen)
    asking = [screen for screen in pilot.app.screen_stack if isinstance(screen, ConfirmScreen)]
    assert len(asking) == 1
    return str(pilot.app.screen.query_one("#confirm-question", Static).content)


async def test_running_a_query_already_pending_asks_and_keeps_the_editor(
    slow_emulator: Emulator,
) -> None:
    app = app_on(slow_emulator, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        editor = await typed(pilot, "Charged")
        await pilot.press("ctrl+r")
        job = await pending(pilot, 1)
        draft = editor.draft
        await pilot.press("ctrl+r")
        assert await asked(pilot) == (
            f"Job {job.id} is already pending for this query. Send it again?"
        )
        await pilot.press("n")
        await settle(pilot, MainScreen)
        assert editor.draft == draft
        assert len(app.session.jobs.jobs) == 1
        # The focus is back where it was: typing goes on in the event name.
        await pilot.press("s")
        await until_equal(pilot, lambda: editor.draft.event_name, "Chargeds")
        await pilot.press("backspace")

        await pilot.press("ctrl+r")
        await asked(pilot)
        await pilot.press("y")
        await pending(pilot, 2)
        assert editor.draft == draft
        assert posts(slow_emulator) == 2

        # Another query is sent without a question (the emulator knows no such event).
        await pilot.press("s", "ctrl+r")
        await until_equal(pilot, lambda: len(app.session.jobs.jobs), 3)
        assert isinstance(app.screen, MainScreen)


async def test_a_burst_of_ctrl_r_sends_once_and_asks_once(slow_emulator: Emulator) -> None:
    app = app_on(slow_emulator, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        editor = await typed(pilot, "Charged")
        draft = editor.draft
        await pilot.press("ctrl+r", "ctrl+r", "ctrl+r")
        # The first is still being sent, or already queued, sending or pending: asked either way.
        assert (await asked(pilot)).endswith("Send it again?")
        await pilot.press("n")
        await settle(pilot, MainScreen)
        await pending(pilot, 1)
        assert posts(slow_emulator) == 1
        assert editor.draft == draft


async def test_a_job_that_ends_while_the_question_is_open_is_sent_again_on_yes(
    slow_emulator: Emulator,
) -> None:
    app = app_on(slow_emulator, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        await typed(pilot, "Charged")
        await pilot.press("ctrl+r")
        first = await pending(pilot, 1)
        await pilot.press("ctrl+r")
        await asked(pilot)
        app.run_worker(app.session.cancel(first), exit_on_error=False)
        await until(pilot, lambda: first.state is JobState.CANCELLED, "the job cancelled")
        await pilot.press("y")
        second = await pending(pilot, 2)
        assert posts(slow_emulator) == 2
        await pilot.press("ctrl+r")
        assert f"Job {second.id} is already pending" in await asked(pilot)


async def test_a_query_another_cttui_has_pending_asks_too(slow_emulator: Emulator) -> None:
    app = app_on(slow_emulator, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        editor = await typed(pilot, "Charged")
        query = editor.draft.build()[0]
        assert isinstance(query, Query)
        origin = Origin(DEFAULTS.account_id, slow_emulator.base_url, "cron")
        record = JobRecord(41, origin, query, JobState.PENDING, req_id="41", created=1.0)
        app.session.jobs.adopt([record], set())
        await pilot.press("ctrl+r")
        assert await asked(pilot) == (
            "Job 41 is already pending for this query (in another cttui). Send it again?"
        )
        await pilot.press("n")
        await settle(pilot, MainScreen)
        assert posts(slow_emulator) == 0


async def test_running_a_favourite_already_on_its_way_asks_from_the_editor_and_its_list(
    slow_emulator: Emulator,
) -> None:
    FavoritesStore(favorites_file()).save(
        # A name that reads as markup is shown as typed.
        Favorite("Buyers [/]", "Charged", (), RangePreset.LAST_7_DAYS)
    )
    app = app_on(slow_emulator, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, MainScreen)
        await pilot.press("f3")
        await settle(pilot, FavoritesScreen)
        await pilot.press("enter")
        await settle(pilot, MainScreen)
        job = await pending(pilot, 1)
        assert job.favorite == "Buyers [/]"

        await pilot.press("f3")
        await settle(pilot, FavoritesScreen)
        await pilot.press("enter")
        assert await asked(pilot) == (
            f"Job {job.id} is already pending for favourite Buyers [/]. Run it again?"
        )
        await pilot.press("n")
        await settle(pilot, FavoritesScreen)
        await pilot.press("l")
        await settle(pilot, MainScreen)
        await pilot.press("ctrl+r")
        assert "favourite Buyers [/]" in await asked(pilot)
        await pilot.press("y")
        await pending(pilot, 2)
        assert app.session.jobs.jobs[-1].favorite == "Buyers [/]"
        assert posts(slow_emulator) == 2
