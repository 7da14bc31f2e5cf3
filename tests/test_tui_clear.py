"""D, clear every finished job: it asks first, saying how many, and the empty list after it says
what went, rather than "No jobs yet"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from cttui.api.models import DateRange, Query
from cttui.emulator import Emulator
from cttui.records import JobRecord, JobState, Origin
from cttui.store.journal import Journal
from cttui.tui.screens.confirm import ConfirmScreen
from cttui.tui.screens.main import MainScreen
from cttui.tui.widgets.job_panel import JobPanel
from tests.apps import TODAY, send, settle, until, until_equal
from tests.conftest import DEFAULTS
from tests.test_tui_jobs import LONG, app_on, slow_emulator

__all__ = ["slow_emulator"]  # a fixture of these tests

SIZE = (120, 40)
QUERY = Query("Charged", DateRange(TODAY, TODAY))


def journal_of(emulator: Emulator, path: Path, *states: JobState) -> Path:
    """A journal left by an earlier run: a job in each of `states`, none of them running."""
    origin = Origin(DEFAULTS.account_id, emulator.base_url)
    journal = Journal.open(path)
    try:
        for number, state in enumerate(states):
            record = JobRecord(0, origin, QUERY, state, count=number, created=1.0 + number)
            record.finished = 2.0 + number if state.finished else None
            journal.create(record)
    finally:
        journal.close()
    return path


def journal_ids(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT id FROM jobs ORDER BY id")]


def empty_text(pilot: Pilot[int]) -> str:
    return str(pilot.app.screen.query_one("#jobs-empty", Static).content)


async def listed(pilot: Pilot[int], rows: int) -> JobPanel:
    await settle(pilot, MainScreen)
    panel = pilot.app.screen.query_one(JobPanel)
    await until_equal(pilot, lambda: panel.table.row_count, rows)
    panel.table.focus()
    return panel


async def asked(pilot: Pilot[int]) -> str:
    await pilot.press("D")
    await settle(pilot, ConfirmScreen)
    return str(pilot.app.screen.query_one("#confirm-question", Static).content)


async def test_clear_finished_asks_first_and_the_empty_list_says_what_went(
    emulator: Emulator, tmp_path: Path
) -> None:
    journal = journal_of(emulator, tmp_path / "journal.sqlite3", *[JobState.DONE] * 12)
    app = app_on(emulator, journal, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        panel = await listed(pilot, 12)
        assert "12" in await asked(pilot)
        await pilot.press("n")
        await settle(pilot, MainScreen)
        assert panel.table.row_count == 12
        assert len(journal_ids(journal)) == 12

        await asked(pilot)
        await pilot.press("y")
        await until_equal(pilot, lambda: panel.table.row_count, 0)
        await until(pilot, lambda: panel.query_one("#jobs-empty").display, "the empty list")
        assert empty_text(pilot) == (
            "12 finished jobs cleared; the journal keeps nothing of them. "
            "Build a query and press ctrl+r."
        )
        assert journal_ids(journal) == []

        # Once a later job is removed, the list says what it says on a first start.
        app.screen.query_one("#event").focus()
        await pilot.press(*"Charged", "ctrl+r")
        await until_equal(pilot, lambda: panel.table.row_count, 1)
        panel.table.focus()
        await pilot.press("d")
        await until_equal(pilot, lambda: panel.table.row_count, 0)
        await until(pilot, lambda: empty_text(pilot).startswith("No jobs yet"), "the first text")


async def test_a_job_that_ends_while_the_question_is_open_is_cleared_and_counted(
    slow_emulator: Emulator, tmp_path: Path
) -> None:
    journal = journal_of(slow_emulator, tmp_path / "journal.sqlite3", JobState.DONE)
    app = app_on(slow_emulator, journal, poll_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        await listed(pilot, 1)
        assert app.session.selection is not None
        send(app, LONG, app.session.selection)
        panel = await listed(pilot, 2)
        pending = app.session.jobs.jobs[-1]
        await until(pilot, lambda: pending.state is JobState.PENDING, "the job pending")
        assert "(1 now)" in await asked(pilot)
        app.run_worker(app.session.cancel(pending), exit_on_error=False)
        await until(pilot, lambda: pending.state is JobState.CANCELLED, "the job cancelled")
        await pilot.press("y")
        await until_equal(pilot, lambda: panel.table.row_count, 0)
        await until(pilot, lambda: empty_text(pilot).startswith("2 finished jobs cleared"), "2")
        assert journal_ids(journal) == []


async def test_a_clear_while_a_job_is_being_removed_leaves_nothing_behind(
    emulator: Emulator, tmp_path: Path
) -> None:
    journal = journal_of(emulator, tmp_path / "journal.sqlite3", *[JobState.FAILED] * 3)
    app = app_on(emulator, journal, poll_interval=30)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        panel = await listed(pilot, 3)
        # In one burst: remove the highlighted job, clear the rest, yes.
        await pilot.press("d", "D", "y")
        await until_equal(pilot, lambda: panel.table.row_count, 0)
        await settle(pilot, MainScreen)
        assert journal_ids(journal) == []
        assert app.session.jobs.jobs == []
        cleared = [n.message for n in app._notifications if n.title == "Jobs"]
        # The job the removal took is not counted again by the clear.
        assert cleared in (["2 finished jobs cleared"], ["3 finished jobs cleared"])
        assert [n for n in app._notifications if n.severity == "error"] == []
